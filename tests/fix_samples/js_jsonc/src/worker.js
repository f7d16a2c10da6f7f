export default {
  async fetch(request, env) {
    const id = crypto.randomUUID();
    const options = { metadata: { ip: request.headers.get("cf-connecting-ip") } };
    await env.SESSIONS.put(`session:${id}`, await request.text(), { metadata: { v: 1 } });
    await env.SESSIONS.put(`session:copy:${id}`, "{}", options);
    await env.SESSIONS.put(`session:short:${id}`, "{}", { expirationTtl: 5 });
    await env.SESSIONS.put(`session:note:${id}`, "{}" /* no options yet */);
    return new Response(id);
  },

  async scheduled(event, env) {
    const { keys } = await env.SESSIONS.list({ prefix: "session:" });
    await env.SESSIONS.put("sweep:last", String(keys.length));
  },
};
