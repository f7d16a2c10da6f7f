// Feature flags, kept in the CONFIG namespace and edited in the dashboard.
import type { Env } from "../env";

export interface Flags {
  maintenance: boolean;
}

const FLAGS_KEY = "flags";
const DEFAULT_FLAGS: Flags = { maintenance: false };

export async function loadFlags(env: Env): Promise<Flags> {
  const stored = await env.CONFIG.get<Partial<Flags>>(FLAGS_KEY, { type: "json", cacheTtl: 60 });
  return { ...DEFAULT_FLAGS, ...stored };
}
