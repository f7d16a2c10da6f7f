// Uses the pre-GA rate limiting binding declared through `unsafe`.
export default {
  async fetch(request, env): Promise<Response> {
    const { success } = await env.API_LIMITER.limit({ key: request.headers.get("cf-connecting-ip") ?? "" });
    return new Response(success ? "ok" : "slow down", { status: success ? 200 : 429 });
  },
} satisfies ExportedHandler<Env>;
