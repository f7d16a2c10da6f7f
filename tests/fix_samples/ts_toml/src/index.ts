import { audit, save } from "./store";

export interface Env {
  QUOTES: KVNamespace;
}

const SHORT_TTL = 30;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const symbol = new URL(request.url).searchParams.get("s") ?? "AAPL";
    const cached = await env.QUOTES.get(`quote:${symbol}`, { cacheTtl: 10 });
    if (cached) return new Response(cached);
    const body = JSON.stringify({ symbol, note: "prix en €" });
    await env.QUOTES.put(`quote:📈€:${symbol}`, body);
    await env.QUOTES.put(`quote:raw:${symbol}`, body as string,);
    await env.QUOTES.put(`quote:meta:${symbol}`, body, { metadata: { symbol } });
    await env.QUOTES.put(`quote:empty:${symbol}`, body, {});
    await env.QUOTES.put(
      `quote:long:${symbol}`,
      body,
    );
    await env.QUOTES.put(`quote:hot:${symbol}`, body, { expirationTtl: 30, metadata: { hot: true } });
    await env.QUOTES.put(`quote:short:${symbol}`, body, { expirationTtl: SHORT_TTL });
    await save(env, `quote:saved:${symbol}`, body);
    await audit(env, `quote:audit:${symbol}`, body, { tag: "a" });
    return new Response(body);
  },
} satisfies ExportedHandler<Env>;
