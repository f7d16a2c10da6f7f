// Forwards structured logs through logfwdr bindings.
export default {
  async fetch(request, env): Promise<Response> {
    return new Response("ok");
  },
} satisfies ExportedHandler<Env>;
