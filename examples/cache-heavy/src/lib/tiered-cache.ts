// A two-level cache: a Map in the isolate's memory (L1) in front of Workers KV (L2).

/** What L2 stores: the value and when it was written, so readers can tell its age. */
export interface Envelope<T> {
  value: T;
  storedAt: number;
  ttlMs: number;
}

export interface TieredCacheOptions {
  prefix: string;
  l1TtlMs: number;
  l2TtlMs: number;
}

interface LocalEntry {
  value: unknown;
  expiresAt: number;
}

// Shared by every TieredCache in this isolate, so it outlives a single request.
const local = new Map<string, LocalEntry>();

export function isEnvelope(value: unknown): value is Envelope<unknown> {
  return typeof value === "object" && value !== null
    && typeof (value as Envelope<unknown>).storedAt === "number"
    && typeof (value as Envelope<unknown>).ttlMs === "number";
}

export function isExpired(entry: Envelope<unknown>, now: number): boolean {
  return now - entry.storedAt > entry.ttlMs;
}

export class TieredCache {
  constructor(private kv: KVNamespace, private options: TieredCacheOptions) {}

  /** Drops a key from this isolate's L1 only (the sweep calls it after a KV delete). */
  static evictLocal(fullKey: string): void {
    local.delete(fullKey);
  }

  async get<T>(key: string): Promise<T | null> {
    const fullKey = this.options.prefix + key;
    const now = Date.now();
    const hit = local.get(fullKey);
    if (hit && hit.expiresAt > now) return hit.value as T;
    if (hit) local.delete(fullKey);

    const stored = await this.kv.get<Envelope<T>>(fullKey, "json");
    if (!isEnvelope(stored)) return null;
    if (isExpired(stored, now)) {
      // Stale: drop it so that the next reader goes to the origin.
      await this.kv.delete(fullKey);
      return null;
    }
    // Sliding expiration: a key that is still being read is re-stamped, so the sweep
    // leaves popular products alone.
    await this.kv.put(fullKey, JSON.stringify({ ...stored, storedAt: now }));
    this.remember(fullKey, stored.value, now);
    return stored.value as T;
  }

  async set<T>(key: string, value: T, options?: KVNamespacePutOptions): Promise<void> {
    const fullKey = this.options.prefix + key;
    const now = Date.now();
    const envelope: Envelope<T> = { value, storedAt: now, ttlMs: this.options.l2TtlMs };
    await this.kv.put(fullKey, JSON.stringify(envelope), options);
    this.remember(fullKey, value, now);
  }

  async getOrLoad<T>(key: string, load: () => Promise<T>, options?: KVNamespacePutOptions): Promise<T> {
    const cached = await this.get<T>(key);
    if (cached !== null) return cached;
    const value = await load();
    await this.set(key, value, options);
    return value;
  }

  async delete(key: string): Promise<void> {
    const fullKey = this.options.prefix + key;
    local.delete(fullKey);
    await this.kv.delete(fullKey);
  }

  private remember(fullKey: string, value: unknown, now: number): void {
    local.set(fullKey, { value, expiresAt: now + this.options.l1TtlMs });
  }
}
