// Each handler makes the KV operations its comment states.
import { WorkerEntrypoint } from "cloudflare:workers";

interface Env {
  CACHE: KVNamespace;
}

export default class extends WorkerEntrypoint<Env> {
  // CACHE: 1 get, 1 put in waitUntil
  async fetch(): Promise<Response> {
    const greeting = await this.env.CACHE.get("greeting");
    this.ctx.waitUntil(this.env.CACHE.put("seen", "yes"));
    return new Response(greeting ?? "none");
  }

  // CACHE: 1 list
  async scheduled(): Promise<void> {
    await this.env.CACHE.list();
  }
}
