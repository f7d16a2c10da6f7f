export interface Env {
  CACHE: KVNamespace;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const value = await env.CACHE.get("greeting");
    return new Response(value ?? "hello");
  },

  async scheduled(controller: ScheduledController, env: Env): Promise<void> {
    await env.CACHE.put("greeting", `hello at ${Date.now()}`);
  },
} satisfies ExportedHandler<Env>;
