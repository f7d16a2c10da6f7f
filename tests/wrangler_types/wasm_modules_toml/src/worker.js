// Service-worker format with a precompiled WebAssembly module bound as a global.
addEventListener("fetch", (event) => {
  event.respondWith(handle(event.request));
});

async function handle(request) {
  if (new URL(request.url).pathname === "/robots.txt") return new Response(ROBOTS);
  const instance = await WebAssembly.instantiate(CHECKSUM);
  return new Response(String(instance.exports.checksum()));
}
