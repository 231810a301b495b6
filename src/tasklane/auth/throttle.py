"""Slowing down password guessing: failed logins counted per account and per address, in a
moving window (in Redis when configured, so the limit holds across processes).

If Redis is unreachable, counting falls back to this process's memory until it answers again:
signing in keeps working, still throttled, only per process for that time.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog
from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.exceptions import RedisError

from tasklane.config import Settings
from tasklane.errors import RateLimited

log = structlog.get_logger(__name__)
T = TypeVar("T")


class LoginThrottle:
    def __init__(self, settings: Settings) -> None:
        window = settings.login_failure_window_seconds
        self._per_account = RateLimitItemPerSecond(settings.login_failures_per_account, window)
        self._per_address = RateLimitItemPerSecond(settings.login_failures_per_address, window)
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._shared: MovingWindowRateLimiter | None = None
        if settings.redis_url:
            storage = RedisStorage(
                f"async+{settings.redis_url}",
                implementation="redispy",
                key_prefix=f"{settings.redis_prefix}:login",
                socket_connect_timeout=1.0,
                socket_timeout=1.0,
            )
            self._shared = MovingWindowRateLimiter(storage)

    async def _use(self, action: Callable[[MovingWindowRateLimiter], Awaitable[T]]) -> T:
        if self._shared is not None:
            try:
                return await action(self._shared)
            except (RedisError, OSError, StorageError) as exc:
                log.warning("login_throttle_redis_unavailable", error=str(exc))
        return await action(self._local)

    async def check(self, *, email: str, address: str) -> None:
        """Raise RateLimited (429 with Retry-After) when either budget is spent."""
        for item, key in ((self._per_account, email), (self._per_address, address)):
            if not await self._use(lambda limiter: limiter.test(item, "login", key)):  # noqa: B023
                stats = await self._use(
                    lambda limiter: limiter.get_window_stats(item, "login", key)  # noqa: B023
                )
                retry_after = math.ceil(stats.reset_time - time.time())
                raise RateLimited(
                    "Too many failed sign-in attempts; wait before trying again.",
                    retry_after=retry_after,
                )

    async def failed(self, *, email: str, address: str) -> None:
        await self._use(lambda limiter: limiter.hit(self._per_account, "login", email))
        await self._use(lambda limiter: limiter.hit(self._per_address, "login", address))

    async def succeeded(self, *, email: str) -> None:
        await self._use(lambda limiter: limiter.clear(self._per_account, "login", email))
