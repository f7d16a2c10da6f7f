// Each route and method makes the requests and storage operations its comment states.
import { DurableObject } from "cloudflare:workers";

interface Env {
  CACHE: KVNamespace;
  COUNTER: DurableObjectNamespace<Counter>;
  LEDGER: DurableObjectNamespace<Ledger>;
}

export class Counter extends DurableObject<Env> {
  value = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Counter storage: 1 get, once per object
    ctx.blockConcurrencyWhile(async () => {
      this.value = (await ctx.storage.get<number>("value")) ?? 0;
    });
  }

  // Counter storage: 1 put, 1 setAlarm; CACHE: 1 put
  async increment(): Promise<number> {
    this.value += 1;
    await this.ctx.storage.put("value", this.value);
    await this.ctx.storage.setAlarm(Date.now() + 3_600_000);
    await this.env.CACHE.put("counter", String(this.value));
    return this.value;
  }

  // Counter storage: 1 get, 1 put, both on a transaction
  async reset(): Promise<void> {
    await this.ctx.storage.transaction(async (txn) => {
      await txn.get("value");
      await txn.put("value", 0);
    });
    this.value = 0;
  }

  // Counter storage: 1 list, 1 delete (of every key, in one call)
  async fetch(): Promise<Response> {
    const entries = await this.ctx.storage.list();
    await this.ctx.storage.delete([...entries.keys()]);
    return Response.json([...entries.keys()]);
  }

  async alarm(): Promise<void> {}
}

export class Ledger extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS entries (amount INTEGER)");
  }

  // Ledger storage: 1 get, 1 put (the SQL statement is not counted); 1 request to COUNTER
  async record(amount: number): Promise<number> {
    this.ctx.storage.sql.exec("INSERT INTO entries VALUES (?)", amount);
    const total = ((await this.ctx.storage.get<number>("total")) ?? 0) + amount;
    await this.ctx.storage.put("total", total);
    await this.env.COUNTER.getByName("ledger").increment();
    return total;
  }
}

type Handler = (request: Request, env: Env) => Promise<Response>;

// A router object in the style of Hono: `fetch` is a method that relies on `this`.
class Router {
  private routes = new Map<string, Handler>();

  on(path: string, handler: Handler): this {
    this.routes.set(path, handler);
    return this;
  }

  async fetch(request: Request, env: Env): Promise<Response> {
    const handler = this.routes.get(new URL(request.url).pathname);
    return handler ? handler(request, env) : new Response("not found", { status: 404 });
  }
}

export default new Router()
  // COUNTER: 1 request (RPC)
  .on("/increment", async (_, env) => Response.json(await env.COUNTER.getByName("main").increment()))
  // COUNTER: 2 requests (RPC) on one stub
  .on("/increment-twice", async (_, env) => {
    const counter = env.COUNTER.get(env.COUNTER.idFromName("main"));
    await counter.increment();
    return Response.json(await counter.increment());
  })
  // COUNTER: 1 request (fetch)
  .on("/clear", async (_, env) => env.COUNTER.getByName("main").fetch("https://counter/clear"))
  // COUNTER: 1 request (RPC)
  .on("/reset", async (_, env) => {
    await env.COUNTER.getByName("main").reset();
    return new Response("reset");
  })
  // LEDGER: 1 request (RPC), which makes 1 request to COUNTER
  .on("/record", async (_, env) => Response.json(await env.LEDGER.getByName("books").record(5)));
