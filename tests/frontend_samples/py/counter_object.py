"""A Durable Object counter and the entry point that routes to it."""

from urllib.parse import urlparse

from workers import DurableObject, Response, WorkerEntrypoint


class Counter(DurableObject):
    count: int = 0

    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.ctx, self.env = ctx, env
        ctx.blockConcurrencyWhile(lambda: self.load())

    async def load(self):
        self.count = await self.ctx.storage.get("count") or 0

    async def fetch(self, request):
        match request.method:
            case "POST":
                self.count += 1
                await self.ctx.storage.put("count", self.count)
                await self.ctx.storage.setAlarm(60_000)
            case "DELETE":
                await self.ctx.storage.deleteAll()
                self.count = 0
            case _:
                pass
        return Response(str(self.count))

    async def alarm(self):
        await self.env.STATS.put("counter:last", str(self.count), expirationTtl=86400)


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        name = urlparse(request.url).path or "/"
        stub = self.env.COUNTER.get(self.env.COUNTER.idFromName(name))
        return await stub.fetch(request)
