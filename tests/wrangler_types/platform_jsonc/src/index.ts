// A multi-tenant platform gateway: routes each request to a customer's Worker in a
// dispatch namespace, and keeps per-tenant state in a Durable Object.
import { DurableObject, WorkflowEntrypoint, WorkflowEvent, WorkflowStep } from "cloudflare:workers";

export class TenantState extends DurableObject<Env> {
  async plan(): Promise<string> {
    return (await this.ctx.storage.get<string>("plan")) ?? "free";
  }
}

export class Onboarding extends WorkflowEntrypoint<Env, { tenant: string; plan: string }> {
  async run(event: WorkflowEvent<{ tenant: string; plan: string }>, step: WorkflowStep) {
    await step.do("create tenant", async () => event.payload.tenant);
  }
}

export default {
  async fetch(request, env): Promise<Response> {
    const tenant = new URL(request.url).hostname.split(".")[0];
    return env.DISPATCHER.get(tenant).fetch(request);
  },
} satisfies ExportedHandler<Env>;
