import json

from workers import Response, WorkerEntrypoint

LONG_LIVED = {"expirationTtl": 7 * 24 * 60 * 60}


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        symbol = request.url.rsplit("/", 1)[-1].upper()
        cached = await self.env.CACHE.get(f"quote:{symbol}", cacheTtl=10)
        if cached is not None:
            return Response(cached)
        body = json.dumps({"symbol": symbol, "note": "prix en €"})
        await self.env.CACHE.put(f"quote:€:{symbol}", body)
        await self.env.CACHE.put(f"quote:src:{symbol}", body, metadata={"at": symbol})
        await self.env.CACHE.put(f"quote:hot:{symbol}", body, expirationTtl=30)
        await self.env.CACHE.put(f"quote:archive:{symbol}", body, **LONG_LIVED)
        await self.store(f"quote:raw:{symbol}", body)
        return Response(body)

    async def store(self, key, value, **options):
        await self.env.CACHE.put(key, value, **options)
