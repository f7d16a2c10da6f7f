import { DurableObject } from "cloudflare:workers";

export interface Env {
  QUOTES: KVNamespace;
  QUOTES_BACKUP: KVNamespace;
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  UPSTREAM_URL: string;
  SYMBOLS: string;
}

interface Quote {
  symbol: string;
  price: number;
  at: number;
}

const STALE_AFTER_MS = 5 * 60 * 1000;

async function fetchQuote(env: Env, symbol: string): Promise<Quote> {
  const response = await fetch(`${env.UPSTREAM_URL}/quote/${symbol}`);
  if (!response.ok) throw new Error(`upstream ${response.status} for ${symbol}`);
  const body = (await response.json()) as { price: number };
  return { symbol, price: body.price, at: Date.now() };
}

async function readQuote(env: Env, symbol: string): Promise<Quote> {
  const cached = await env.QUOTES.get<Quote>(`quote:${symbol}`, "json");
  if (cached && Date.now() - cached.at < STALE_AFTER_MS) return cached;
  const fresh = await fetchQuote(env, symbol);
  // Written on every miss, without expirationTtl: the key never expires.
  await env.QUOTES.put(`quote:${symbol}`, JSON.stringify(fresh));
  await env.QUOTES_BACKUP.put(`backup:${symbol}:${Date.now()}`, JSON.stringify(fresh));
  return fresh;
}

async function sweepStaleQuotes(env: Env): Promise<void> {
  // An expiry sweep: every list, get and delete is a billed operation.
  const { keys } = await env.QUOTES.list({ prefix: "quote:" });
  for (const key of keys) {
    const quote = await env.QUOTES.get<Quote>(key.name, "json");
    if (quote && Date.now() - quote.at > STALE_AFTER_MS) await env.QUOTES.delete(key.name);
  }
}

export class RateLimiter extends DurableObject {
  async hit(client: string): Promise<boolean> {
    const count = ((await this.ctx.storage.get<number>(client)) ?? 0) + 1;
    await this.ctx.storage.put(client, count);
    return count <= 100;
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const limiter = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName("global"));
    if (!(await limiter.hit(request.headers.get("cf-connecting-ip") ?? "anon"))) {
      return new Response("slow down", { status: 429 });
    }
    const match = url.pathname.match(/^\/quote\/([A-Z]{1,5})$/);
    if (!match) return new Response("not found", { status: 404 });
    return Response.json(await readQuote(env, match[1]));
  },

  async scheduled(controller: ScheduledController, env: Env): Promise<void> {
    if (controller.cron === "*/30 * * * *") {
      await sweepStaleQuotes(env);
      return;
    }
    for (const symbol of env.SYMBOLS.split(",")) {
      await env.QUOTES.put(`quote:${symbol}`, JSON.stringify(await fetchQuote(env, symbol)));
    }
  },
} satisfies ExportedHandler<Env>;
