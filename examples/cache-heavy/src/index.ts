// Routes and cron dispatch of the catalogue API.
import { DataAccessLayer } from "./data/data-access-layer";
import type { Env } from "./env";
import { loadFlags } from "./lib/flags";
import { toProduct, UpstreamError } from "./lib/upstream";
import { refreshFeatured } from "./jobs/refresh";
import { sweepExpired } from "./jobs/sweep";
import { isRecord } from "./types";

export { HotKeyCache } from "./durable/hot-key-cache";

async function createProduct(request: Request, dal: DataAccessLayer): Promise<Response> {
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return Response.json({ error: "body must be a JSON object" }, { status: 400 });
  }
  if (!isRecord(body)) return Response.json({ error: "body must be a JSON object" }, { status: 400 });
  const id = typeof body.id === "string" && body.id !== "" ? body.id : crypto.randomUUID();
  const product = toProduct(id, body);
  await dal.saveProduct(product);
  return Response.json(product, { status: 201 });
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health") return Response.json({ ok: true });

    // Runs before every route: one KV read per request, for a value that changes
    // a few times a year.
    const flags = await loadFlags(env);
    if (flags.maintenance) {
      return Response.json({ error: "down for maintenance" }, { status: 503, headers: { "retry-after": "300" } });
    }

    const dal = new DataAccessLayer(env);
    try {
      if (url.pathname === "/api/featured" && request.method === "GET") {
        return Response.json(await dal.listFeatured());
      }

      if (url.pathname === "/api/products" && request.method === "POST") {
        return await createProduct(request, dal);
      }

      if (url.pathname.startsWith("/api/products/")) {
        const id = decodeURIComponent(url.pathname.slice("/api/products/".length));
        if (id === "") return Response.json({ error: "not found" }, { status: 404 });
        if (request.method === "GET") return Response.json(await dal.getProduct(id));
        if (request.method === "DELETE") {
          // Admin purge after an edit in the back office.
          await dal.evictProduct(id);
          return new Response(null, { status: 204 });
        }
        return new Response("method not allowed", { status: 405, headers: { allow: "GET, DELETE" } });
      }

      if (url.pathname.startsWith("/api/hot/") && request.method === "GET") {
        const key = decodeURIComponent(url.pathname.slice("/api/hot/".length));
        const stub = env.HOT_KEYS.get(env.HOT_KEYS.idFromName(key));
        const { product, source } = await stub.lookup(key);
        return Response.json(product, { headers: { "x-cache": source } });
      }

      return Response.json({ error: "not found" }, { status: 404 });
    } catch (error) {
      if (error instanceof UpstreamError) return Response.json({ error: error.message }, { status: 502 });
      throw error;
    }
  },

  async scheduled(controller: ScheduledController, env: Env): Promise<void> {
    switch (controller.cron) {
      case "*/10 * * * *": {
        const report = await sweepExpired(env, controller.scheduledTime);
        console.log(`sweep: scanned ${report.scanned}, deleted ${report.deleted}`);
        break;
      }
      case "*/5 * * * *":
        console.log(`refresh: ${await refreshFeatured(env)} featured products`);
        break;
      default:
        console.warn(`no job for cron ${controller.cron}`);
    }
  },
} satisfies ExportedHandler<Env>;
