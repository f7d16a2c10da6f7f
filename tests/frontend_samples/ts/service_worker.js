import { formatQuote } from "./util.js";
import * as log from "./log.js";
const { hash, slug: makeSlug } = require("./hash.js");

addEventListener("fetch", (event) => {
  event.respondWith(handle(event.request));
});

async function handle(request) {
  const url = new URL(request.url);
  switch (url.pathname) {
    case "/quote":
      return new Response(formatQuote(await QUOTES.get("latest")));
    default:
      log.info(`miss ${hash(url.pathname)}`);
  }
  return new Response(makeSlug("not found"), { status: 404 });
}

module.exports = { handle };
