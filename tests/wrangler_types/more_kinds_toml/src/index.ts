// A media service using the newer binding kinds.
export default {
  async fetch(request, env): Promise<Response> {
    return env.SITE_ASSETS.fetch(request);
  },
} satisfies ExportedHandler<Env>;
