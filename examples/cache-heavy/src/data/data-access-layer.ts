// Product reads and writes, through the tiered cache, for the routes and the crons.
import type { Env } from "../env";
import { TieredCache } from "../lib/tiered-cache";
import { fetchProduct, pushProduct } from "../lib/upstream";
import type { Product } from "../types";
import {
  CATALOG_VERSION_KEY,
  FEATURED_INDEX,
  FEATURED_PREFIX,
  L1_TTL_MS,
  L2_TTL_MS,
  PRODUCT_PREFIX,
} from "./keys";

export class DataAccessLayer {
  private readonly products: TieredCache;
  private readonly featured: TieredCache;

  constructor(private env: Env) {
    this.products = new TieredCache(env.CACHE, { prefix: PRODUCT_PREFIX, l1TtlMs: L1_TTL_MS, l2TtlMs: L2_TTL_MS });
    this.featured = new TieredCache(env.CACHE, { prefix: FEATURED_PREFIX, l1TtlMs: L1_TTL_MS, l2TtlMs: L2_TTL_MS });
  }

  async getProduct(id: string): Promise<Product> {
    return this.products.getOrLoad(id, () => fetchProduct(this.env, id));
  }

  async listFeatured(): Promise<Product[]> {
    const ids = await this.featured.getOrLoad(FEATURED_INDEX, async () =>
      this.env.FEATURED_IDS.split(",").map((id) => id.trim()),
    );
    return Promise.all(ids.map((id) => this.getProduct(id)));
  }

  async saveProduct(product: Product): Promise<void> {
    await pushProduct(this.env, product);
    await this.products.set(product.id, product);
    // Clients compare this with their copy to know when to reload the catalogue.
    await this.env.CACHE.put(CATALOG_VERSION_KEY, String(Date.now()));
  }

  async evictProduct(id: string): Promise<void> {
    await this.products.delete(id);
  }

  async refreshProduct(id: string): Promise<Product> {
    const product = await fetchProduct(this.env, id);
    await this.products.set(id, product);
    return product;
  }

  async saveFeaturedIndex(ids: string[]): Promise<void> {
    await this.featured.set(FEATURED_INDEX, ids);
  }
}
