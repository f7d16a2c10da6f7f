// Cron: keeps the featured products warm in KV so the home page never waits for the origin.
import { DataAccessLayer } from "../data/data-access-layer";
import type { Env } from "../env";

export async function refreshFeatured(env: Env): Promise<number> {
  const dal = new DataAccessLayer(env);
  const ids = env.FEATURED_IDS.split(",").map((id) => id.trim());
  for (const id of ids) {
    await dal.refreshProduct(id);
  }
  await dal.saveFeaturedIndex(ids);
  return ids.length;
}
