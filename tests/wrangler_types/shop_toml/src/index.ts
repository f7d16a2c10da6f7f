// A storefront API: carts live in a Durable Object, checkout runs as a Workflow.
import { DurableObject, WorkflowEntrypoint, WorkflowEvent, WorkflowStep } from "cloudflare:workers";

export class Cart extends DurableObject<Env> {
  async add(sku: string, quantity: number): Promise<number> {
    const current = (await this.ctx.storage.get<number>(sku)) ?? 0;
    await this.ctx.storage.put(sku, current + quantity);
    return current + quantity;
  }
}

export class Checkout extends WorkflowEntrypoint<Env, { cartId: string }> {
  async run(event: WorkflowEvent<{ cartId: string }>, step: WorkflowStep): Promise<void> {
    await step.do("reserve stock", async () => {
      await this.env.ORDERS.send({ cartId: event.payload.cartId });
    });
  }
}

export default {
  async fetch(request, env): Promise<Response> {
    const cached = await env.CACHE.get(new URL(request.url).pathname);
    return new Response(cached ?? "not found", { status: cached ? 200 : 404 });
  },
  async queue(batch): Promise<void> {
    for (const message of batch.messages) message.ack();
  },
} satisfies ExportedHandler<Env>;
