// KV key layout of the CACHE namespace.
export const PRODUCT_PREFIX = "product:";
export const FEATURED_PREFIX = "featured:";
export const FEATURED_INDEX = "index";
export const HOT_PREFIX = "hot:";
export const CATALOG_VERSION_KEY = "catalog:version";
export const SWEEP_REPORT_KEY = "sweep:last-run";

export const L1_TTL_MS = 30 * 1000;
export const L2_TTL_MS = 10 * 60 * 1000;
