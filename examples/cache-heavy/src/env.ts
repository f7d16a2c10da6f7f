// The bindings of wrangler.jsonc, as `wrangler types` would write them.
import type { HotKeyCache } from "./durable/hot-key-cache";

export interface Env {
  CACHE: KVNamespace;
  CONFIG: KVNamespace;
  HOT_KEYS: DurableObjectNamespace<HotKeyCache>;
  UPSTREAM_URL: string;
  FEATURED_IDS: string;
}
