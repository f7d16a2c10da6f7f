export interface Product {
  id: string;
  name: string;
  price: number;
  currency: string;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
