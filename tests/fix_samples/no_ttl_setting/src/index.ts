interface Env {
  FEED: KVNamespace;
}

export default {
  async scheduled(controller: ScheduledController, env: Env): Promise<void> {
    const res = await fetch("https://feeds.example.test/latest.json");
    await env.FEED.put("feed:latest", await res.text());
    await env.FEED.put("feed:previous", await res.text(), { expirationTtl: 45 });
  },
} satisfies ExportedHandler<Env>;
