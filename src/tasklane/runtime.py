"""What one running Tasklane process holds: settings, database, hashers, limiters, and the
live-update parts (broker, hub, and the worker when it runs in this process)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import redis.asyncio as redis
from fastapi import Depends, Request

from tasklane.attachments.storage import Storage, storage_for
from tasklane.auth.passwords import Passwords
from tasklane.auth.signedin import SignedInCache
from tasklane.auth.throttle import LoginThrottle
from tasklane.config import Settings
from tasklane.db import Database
from tasklane.imports import jobs as _import_jobs  # noqa: F401 - a worker alone runs imports too
from tasklane.kit.pagecache import PageCache
from tasklane.notifications.fanout import NotificationConsumer
from tasklane.realtime.broker import Broker, MemoryBroker, RedisBroker, redis_client
from tasklane.realtime.hub import Hub
from tasklane.realtime.presence import DatabasePresence, PresenceStore, RedisPresence
from tasklane.realtime.publisher import RealtimePublisher
from tasklane.webhooks.consumer import WebhookConsumer
from tasklane.worker.runner import Worker


@dataclass
class Runtime:
    settings: Settings
    db: Database
    passwords: Passwords
    login_throttle: LoginThrottle
    broker: Broker
    hub: Hub
    signed_in: SignedInCache
    pages: PageCache
    storage: Storage
    redis: redis.Redis | None = None
    worker: Worker | None = None

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        db = Database(settings)
        client = redis_client(settings) if settings.redis_url else None
        broker: Broker = RedisBroker(settings, client) if client else MemoryBroker()
        presence: PresenceStore = (
            RedisPresence(client, settings.redis_prefix) if client else DatabasePresence(db)
        )
        return cls(
            settings=settings,
            db=db,
            passwords=Passwords(settings),
            login_throttle=LoginThrottle(settings),
            broker=broker,
            hub=Hub(settings, db, broker, presence),
            signed_in=SignedInCache(settings.signed_in_cache_seconds),
            pages=PageCache(settings.page_cache_mb),
            storage=storage_for(settings),
            redis=client,
        )

    def new_worker(self) -> Worker:
        return Worker(
            self.settings,
            self.db,
            [
                RealtimePublisher(self.broker),
                NotificationConsumer(self.settings, self.db),
                WebhookConsumer(self.db),
            ],
        )

    async def start(self, *, worker: bool) -> None:
        """Start live updates (the hub) and, if asked, the worker in this process."""
        await self.hub.start()
        if worker:
            self.worker = self.new_worker()
            await self.worker.start()

    async def close(self) -> None:
        if self.worker is not None:
            await self.worker.stop()
            self.worker = None
        if self.hub.started:
            await self.hub.close()  # closes the broker, and with it the Redis client
        elif self.redis is not None:
            await self.redis.aclose()
        await self.login_throttle.aclose()
        self.passwords.close()
        await self.db.dispose()


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


CurrentRuntime = Annotated[Runtime, Depends(get_runtime)]
