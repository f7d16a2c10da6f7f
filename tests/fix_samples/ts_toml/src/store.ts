import type { Env } from "./index";

const META_OPTIONS = { metadata: { source: "upstream" } };

/** A thin wrapper: each caller decides the options. */
export async function save(env: Env, key: string, body: string, options?: KVNamespacePutOptions) {
  await env.QUOTES.put(key, body, options);
}

export async function audit(env: Env, key: string, body: string, extra: { tag: string }) {
  await env.QUOTES.put(key, body, META_OPTIONS);
  await env.QUOTES.put(`${key}:tagged`, body, { ...extra, metadata: { at: Date.now() } });
}
