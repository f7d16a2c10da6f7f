export interface Env {
  CACHE: KVNamespace;
}

// The pull request: a write on every cache miss (no TTL), and a TTL on the cron's write.
export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const value = await env.CACHE.get("greeting");
    if (value === null) {
      await env.CACHE.put("greeting", "hello");
    }
    return new Response(value ?? "hello");
  },

  async scheduled(controller: ScheduledController, env: Env): Promise<void> {
    await env.CACHE.put("greeting", `hello at ${Date.now()}`, { expirationTtl: 3600 });
  },
} satisfies ExportedHandler<Env>;
