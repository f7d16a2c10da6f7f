// A gateway that calls other Workers over RPC, and itself through a named entrypoint.
import { WorkerEntrypoint } from "cloudflare:workers";

export class AdminApi extends WorkerEntrypoint<Env> {
  async ping(): Promise<string> {
    return "pong";
  }
}

export default {
  async fetch(request, env): Promise<Response> {
    const user = await env.USERS.fetch(request);
    return user.ok ? env.LEGACY.fetch(request) : user;
  },
} satisfies ExportedHandler<Env>;
