// Service-worker format: bindings are globals, not properties of `env`.
addEventListener("fetch", (event) => {
  event.respondWith(handle(event.request));
});

async function handle(request) {
  const path = new URL(request.url).pathname;
  if (path === "/logo.png") return new Response(LOGO, { headers: { "content-type": "image/png" } });
  const page = await PAGES.get(path);
  return new Response(page ?? BANNER, { headers: { "x-site": SITE_NAME } });
}
