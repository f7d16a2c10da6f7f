// A Durable Object per hot product: answers from memory, then its own storage, then KV.
import { DurableObject } from "cloudflare:workers";
import { HOT_PREFIX } from "../data/keys";
import type { Env } from "../env";
import { fetchProduct } from "../lib/upstream";
import type { Product } from "../types";

export type HotSource = "memory" | "storage" | "kv" | "upstream";

export interface HotResult {
  product: Product;
  source: HotSource;
}

interface HotEntry {
  product: Product;
  expiresAt: number;
}

const HOT_TTL_MS = 60 * 1000;
const HOT_KV_OPTIONS: KVNamespacePutOptions = { expirationTtl: 5 * 60 };

export class HotKeyCache extends DurableObject<Env> {
  private memory = new Map<string, HotEntry>();

  async lookup(key: string): Promise<HotResult> {
    const now = Date.now();
    const inMemory = this.memory.get(key);
    if (inMemory && inMemory.expiresAt > now) return { product: inMemory.product, source: "memory" };

    const stored = await this.ctx.storage.get<HotEntry>(key);
    if (stored && stored.expiresAt > now) {
      this.memory.set(key, stored);
      return { product: stored.product, source: "storage" };
    }

    let source: HotSource = "kv";
    let product = await this.env.CACHE.get<Product>(HOT_PREFIX + key, "json");
    if (!product) {
      source = "upstream";
      product = await fetchProduct(this.env, key);
      await this.env.CACHE.put(HOT_PREFIX + key, JSON.stringify(product), {
        ...HOT_KV_OPTIONS,
        metadata: { from: "hot-key-cache" },
      });
    }
    const entry: HotEntry = { product, expiresAt: now + HOT_TTL_MS };
    await this.ctx.storage.put(key, entry);
    this.memory.set(key, entry);
    return { product, source };
  }
}
