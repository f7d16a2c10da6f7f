"""A quote service with a KV read-through cache in front of an upstream API."""

import json
from urllib.parse import urlparse

from workers import Response, WorkerEntrypoint, fetch

QUOTE_TTL = 300
_UPSTREAM = "https://api.example.com/v1/quote"


class QuoteCache:
    def __init__(self, env):
        self.kv = env.CACHE

    async def read(self, key):
        return await self.kv.get(key, type="json")

    async def write(self, key, value, **options):
        await self.kv.put(key, json.dumps(value), **options)


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        symbol = urlparse(request.url).path.strip("/").upper()
        if not symbol:
            return Response("missing symbol", status=400)
        key = f"quote:{symbol}"
        cached = await self.env.CACHE.get(key)
        if cached is not None:
            return Response(cached, headers={"content-type": "application/json"})

        upstream = await fetch(f"{_UPSTREAM}/{symbol}", headers={"x-api-key": self.env.API_KEY})
        body = await upstream.text()
        # The last quote seen is kept forever, the fresh one for five minutes.
        await self.env.CACHE.put(f"last:{symbol}", body)  # workers-audit-ignore[KV001]: kept on purpose
        await self.env.CACHE.put(key, body, expirationTtl=QUOTE_TTL)
        await QuoteCache(self.env).write(f"raw:{symbol}", {"body": body})
        return Response(body, headers={"content-type": "application/json"})
