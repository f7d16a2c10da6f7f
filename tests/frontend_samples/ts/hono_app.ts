import { Hono } from "hono";

type Bindings = { CACHE: KVNamespace; API_KEY?: string };

const app = new Hono<{ Bindings: Bindings }>();

app.get("/quotes/:id", async (c) => {
  const id = c.req.param("id");
  const cached = await c.env.CACHE.get(`quote:${id}`, "json");
  if (cached) {
    return c.json(cached);
  }
  const { API_KEY } = c.env;
  if (!API_KEY) return c.text("no key", 500);
  await c.env.CACHE.put(`quote:${id}`, JSON.stringify({ id }), { expirationTtl: 300 });
  return c.json({ id });
});

app.post("/quotes", async (c) => c.json(await c.req.json(), 201));
app.on("PURGE", "/cache", async (c) => {
  const { keys } = await c.env.CACHE.list();
  for (const key of keys) {
    await c.env.CACHE.delete(key.name);
  }
  return c.body(null, 204);
});

export default app;
