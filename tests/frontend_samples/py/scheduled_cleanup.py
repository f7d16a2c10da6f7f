"""A nightly job that emulates expiry: list the session keys, delete the stale ones."""

import json
import time

from workers import WorkerEntrypoint

MAX_AGE = 24 * 60 * 60


class Default(WorkerEntrypoint):
    async def scheduled(self, controller, env, ctx):
        cursor = None
        deleted = 0
        while True:
            page = await self.env.SESSIONS.list(prefix="session:", cursor=cursor)
            for key in page.keys:
                raw = await self.env.SESSIONS.get(key.name)
                if raw is None:
                    continue
                session = json.loads(raw)
                if time.time() - session["seen"] > MAX_AGE:
                    await self.env.SESSIONS.delete(key.name)
                    deleted += 1
            if page.list_complete:
                break
            cursor = page.cursor
        print(f"deleted {deleted} stale sessions at {controller.cron}")
