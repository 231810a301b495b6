"""Carrying committed events and presence changes to every app process.

`MemoryBroker` keeps everything inside one process. `RedisBroker` publishes to Redis pub/sub
channels that every app process listens to. Pub/sub delivers at most once and nothing while a
listener is disconnected; that is acceptable because every event carries its sequence number
and each hub fills a gap from the event log (see hub.py). The broker only makes delivery fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any, Protocol

import redis.asyncio as redis
import structlog
from pydantic_core import to_json
from redis.exceptions import RedisError

from tasklane.config import Settings

log = structlog.get_logger(__name__)

Wire = dict[str, Any]


class BrokerUnavailable(Exception):
    """Publishing failed; the caller keeps its position and retries later."""


class Listener(Protocol):
    async def on_events(self, events: list[Wire]) -> None: ...
    async def on_presence(self, message: Wire) -> None: ...
    async def on_broker_state(self, *, live: bool) -> None: ...


class Broker(Protocol):
    @property
    def live(self) -> bool: ...
    async def start(self, listener: Listener | None) -> None: ...
    async def close(self) -> None: ...
    async def publish_events(self, events: list[Wire]) -> None: ...
    async def publish_presence(self, message: Wire) -> None: ...


class MemoryBroker:
    """One process: a publish is a call to this process's listener."""

    def __init__(self) -> None:
        self._listener: Listener | None = None

    @property
    def live(self) -> bool:
        return True

    async def start(self, listener: Listener | None) -> None:
        self._listener = listener

    async def close(self) -> None:
        self._listener = None

    async def publish_events(self, events: list[Wire]) -> None:
        if self._listener is not None:
            await self._listener.on_events(events)

    async def publish_presence(self, message: Wire) -> None:
        if self._listener is not None:
            await self._listener.on_presence(message)


def redis_client(settings: Settings) -> redis.Redis:
    return redis.Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=2,
        socket_timeout=5,
        health_check_interval=10,
        retry_on_timeout=False,
    )


class RedisBroker:
    """Redis pub/sub on `<prefix>:events` and `<prefix>:presence`."""

    RECONNECT_DELAYS = (0.2, 0.5, 1.0, 2.0, 5.0)

    def __init__(self, settings: Settings, client: redis.Redis) -> None:
        self.client = client
        self.events_channel = f"{settings.redis_prefix}:events"
        self.presence_channel = f"{settings.redis_prefix}:presence"
        self._listener: Listener | None = None
        self._task: asyncio.Task[None] | None = None
        self._live = False

    @property
    def live(self) -> bool:
        return self._live

    async def start(self, listener: Listener | None) -> None:
        self._listener = listener
        if listener is not None:
            self._task = asyncio.create_task(self._listen(), name="tasklane-redis-listener")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.client.aclose()

    async def publish_events(self, events: list[Wire]) -> None:
        await self._publish(self.events_channel, events)

    async def publish_presence(self, message: Wire) -> None:
        await self._publish(self.presence_channel, message)

    async def _publish(self, channel: str, body: Any) -> None:
        try:
            await self.client.publish(channel, to_json(body))
        except (RedisError, OSError) as exc:
            raise BrokerUnavailable(f"Redis: {type(exc).__name__}: {exc}") from exc

    async def _set_live(self, live: bool) -> None:
        if live == self._live:
            return
        self._live = live
        if live:
            log.info("redis_connected", channel=self.events_channel)
        else:
            log.warning("redis_unavailable", detail="live updates fall back to the event log")
        assert self._listener is not None
        await self._listener.on_broker_state(live=live)

    async def _listen(self) -> None:
        failures = 0
        while True:
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.events_channel, self.presence_channel)
                failures = 0
                await self._set_live(True)
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None:
                        await self._deliver(message)
            except (RedisError, OSError) as exc:
                await self._set_live(False)
                delay = self.RECONNECT_DELAYS[min(failures, len(self.RECONNECT_DELAYS) - 1)]
                failures += 1
                log.debug("redis_listen_failed", error=str(exc), retry_in=delay)
                await asyncio.sleep(delay)
            finally:
                with contextlib.suppress(RedisError, OSError, RuntimeError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _deliver(self, message: dict[str, Any]) -> None:
        assert self._listener is not None
        channel = message["channel"]
        channel = channel.decode() if isinstance(channel, bytes) else channel
        try:
            body = json.loads(message["data"])
        except (ValueError, TypeError):
            log.warning("redis_bad_message", channel=channel)
            return
        if channel == self.events_channel and isinstance(body, list):
            await self._listener.on_events(body)
        elif channel == self.presence_channel and isinstance(body, dict):
            await self._listener.on_presence(body)


async def ping(client: redis.Redis) -> bool:
    try:
        return bool(await asyncio.wait_for(client.ping(), timeout=1.0))
    except (RedisError, OSError, TimeoutError):
        return False
