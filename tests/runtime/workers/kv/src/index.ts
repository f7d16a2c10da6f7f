// Each route and cron makes the KV operations its comment states, no more.
import { env as importedEnv } from "cloudflare:workers";

interface Env {
  CACHE: KVNamespace;
  MIRROR: KVNamespace;
  MIRROR_ALIAS: KVNamespace;
  UPSTREAM: string;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const { pathname } = new URL(request.url);
    switch (pathname) {
      case "/read": {
        // CACHE: 2 get, 1 getWithMetadata
        const a = await env.CACHE.get("a");
        await env.CACHE.get("b", "json");
        await env.CACHE.getWithMetadata("a");
        return new Response(a);
      }
      case "/write": {
        // CACHE: 3 put, 1 delete
        await env.CACHE.put("w:1", "1");
        await env.CACHE.put("w:2", "2", { expirationTtl: 3600 });
        await env.CACHE.put("w:1", "again");
        await env.CACHE.delete("w:2");
        return new Response("written");
      }
      case "/list": {
        // CACHE: 2 list (a page of one key, then the rest)
        const first = await env.CACHE.list({ prefix: "item:", limit: 1 });
        const rest = first.list_complete ? { keys: [] } : await env.CACHE.list({ prefix: "item:", cursor: first.cursor });
        return new Response(String(first.keys.length + rest.keys.length));
      }
      case "/later": {
        // CACHE: 1 get before the response, 2 put in waitUntil after it
        await env.CACHE.get("a");
        ctx.waitUntil(
          (async () => {
            await sleep(50);
            await env.CACHE.put("late:1", "x");
            await sleep(20);
            await env.CACHE.put("late:2", "x");
          })(),
        );
        return new Response("later");
      }
      case "/late-failure": {
        // CACHE: 1 put in waitUntil, which then fails; the response is still 200
        ctx.waitUntil(
          (async () => {
            await env.CACHE.put("late:3", "x");
            throw new Error("late failure");
          })(),
        );
        return new Response("accepted");
      }
      case "/shared": {
        // MIRROR: 1 put; MIRROR_ALIAS: 1 get, which sees that put (one namespace)
        await env.MIRROR.put("shared-key", "written through MIRROR");
        return new Response(await env.MIRROR_ALIAS.get("shared-key"));
      }
      case "/imported": {
        // CACHE: 1 get, through `env` imported from cloudflare:workers
        return new Response((await importedEnv.CACHE.get("a")) ?? "missing");
      }
      case "/upstream": {
        // No KV; 1 outbound fetch, answered by the harness
        const response = await fetch(`${env.UPSTREAM}/price?symbol=X`);
        const body = (await response.json()) as { price: number };
        return new Response(`${response.status} ${body.price}`);
      }
      case "/slow": {
        // No KV; waitUntil work that outlasts the harness's timeout in the timeout test
        ctx.waitUntil(sleep(25_000));
        return new Response("slow");
      }
      case "/boom": {
        // CACHE: 1 get, then an uncaught exception
        await env.CACHE.get("a");
        throw new Error("boom after one get");
      }
    }
    return new Response("not found", { status: 404 });
  },

  async scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
    if (controller.cron === "0 * * * *") {
      // CACHE: 1 list, 1 get per "item:" key, 1 put
      const { keys } = await env.CACHE.list({ prefix: "item:" });
      for (const key of keys) await env.CACHE.get(key.name);
      await env.CACHE.put("swept", String(keys.length));
      return;
    }
    // CACHE: 4 delete, two of them in waitUntil
    await env.CACHE.delete("d:1");
    await env.CACHE.delete("d:2");
    ctx.waitUntil(
      (async () => {
        await sleep(30);
        await env.CACHE.delete("d:3");
        await env.CACHE.delete("d:4");
      })(),
    );
  },
};
