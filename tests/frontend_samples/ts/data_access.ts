import type { Env } from "./env";
import { retry } from "./retry";

export interface StoreOptions {
  expirationTtl?: number;
}

export class DataAccessLayer {
  private readonly prefix: string = "dal:";
  static instances = 0;

  constructor(private env: Env, readonly region?: string) {
    DataAccessLayer.instances += 1;
  }

  async write(key: string, data: string, options?: KVNamespacePutOptions): Promise<void> {
    return retry(() => this.env.CACHE.put(key, data, options ?? {}));
  }

  async read(key: string): Promise<string | null> {
    if (!key) return null;
    return this.env.CACHE?.get(`${this.prefix}${key}`) ?? null;
  }

  get namespace(): KVNamespace {
    return this.env.CACHE;
  }
}

export async function saveQuote(env: Env, symbol: string, body: string): Promise<void> {
  const dal = new DataAccessLayer(env);
  await dal.write(`quote:${symbol}`, body); // workers-audit-ignore[KV001]: fixture
  await dal.write(`quote:${symbol}:ttl`, body, { expirationTtl: 60 * 60 });
}
