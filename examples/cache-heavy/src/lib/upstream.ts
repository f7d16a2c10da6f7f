// The catalogue's origin API: slow, so everything in front of it is cached.
import type { Env } from "../env";
import { isRecord, type Product } from "../types";

export class UpstreamError extends Error {
  constructor(readonly status: number, url: string) {
    super(`upstream answered ${status} for ${url}`);
  }
}

/** A product from whatever JSON object the origin returns; missing fields get defaults. */
export function toProduct(id: string, body: unknown): Product {
  const fields = isRecord(body) ? body : {};
  return {
    id,
    name: typeof fields.name === "string" ? fields.name : id,
    price: typeof fields.price === "number" && Number.isFinite(fields.price) ? fields.price : 0,
    currency: typeof fields.currency === "string" ? fields.currency : "EUR",
  };
}

export async function fetchProduct(env: Env, id: string): Promise<Product> {
  const url = `${env.UPSTREAM_URL}/products/${encodeURIComponent(id)}`;
  const response = await fetch(url, { headers: { accept: "application/json" } });
  if (!response.ok) throw new UpstreamError(response.status, url);
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new UpstreamError(response.status, url);
  }
  return toProduct(id, body);
}

export async function pushProduct(env: Env, product: Product): Promise<void> {
  const url = `${env.UPSTREAM_URL}/products/${encodeURIComponent(product.id)}`;
  const response = await fetch(url, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(product),
  });
  await response.body?.cancel();
  if (!response.ok) throw new UpstreamError(response.status, url);
}
