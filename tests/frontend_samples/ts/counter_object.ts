import { DurableObject } from "cloudflare:workers";

interface Env {
  COUNTER: DurableObjectNamespace<Counter>;
}

export class Counter extends DurableObject<Env> {
  private value = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.ctx.blockConcurrencyWhile(async () => {
      this.value = (await this.ctx.storage.get<number>("value")) ?? 0;
    });
  }

  async increment(by = 1): Promise<number> {
    this.value += by;
    await this.ctx.storage.put("value", this.value);
    return this.value;
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const stub = env.COUNTER.get(env.COUNTER.idFromName("global"));
    return new Response(String(await stub.increment()));
  },
} satisfies ExportedHandler<Env>;
