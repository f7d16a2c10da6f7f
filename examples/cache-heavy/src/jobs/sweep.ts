// Cron: deletes cached products whose TTL has passed (TieredCache's KV keys never expire).
import { PRODUCT_PREFIX, SWEEP_REPORT_KEY } from "../data/keys";
import type { Env } from "../env";
import { isEnvelope, isExpired, TieredCache } from "../lib/tiered-cache";

const REPORT_TTL_SECONDS = 7 * 24 * 60 * 60;

export interface SweepReport {
  at: string;
  scanned: number;
  deleted: number;
}

export async function sweepExpired(env: Env, now: number): Promise<SweepReport> {
  let scanned = 0;
  let deleted = 0;
  let cursor: string | undefined;
  do {
    const page = await env.CACHE.list({ prefix: PRODUCT_PREFIX, cursor });
    for (const { name } of page.keys) {
      scanned += 1;
      const entry = await env.CACHE.get(name, "json");
      if (!isEnvelope(entry) || isExpired(entry, now)) {
        await env.CACHE.delete(name);
        TieredCache.evictLocal(name);
        deleted += 1;
      }
    }
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);

  const report: SweepReport = { at: new Date(now).toISOString(), scanned, deleted };
  await env.CACHE.put(SWEEP_REPORT_KEY, JSON.stringify(report), { expirationTtl: REPORT_TTL_SECONDS });
  return report;
}
