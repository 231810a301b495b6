"""Slowing down password guessing: failed logins counted per account and per address, in a
moving window (in Redis when configured, so the limit holds across processes)."""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from tasklane.config import Settings
from tasklane.errors import RateLimited


class LoginThrottle:
    def __init__(self, settings: Settings) -> None:
        window = settings.login_failure_window_seconds
        self._per_account = RateLimitItemPerSecond(settings.login_failures_per_account, window)
        self._per_address = RateLimitItemPerSecond(settings.login_failures_per_address, window)
        storage = (
            storage_from_string(f"async+{settings.redis_url}")
            if settings.redis_url
            else MemoryStorage()
        )
        assert isinstance(storage, Storage)
        self._limiter = MovingWindowRateLimiter(storage)

    async def check(self, *, email: str, address: str) -> None:
        """Raise RateLimited (429 with Retry-After) when either budget is spent."""
        for item, key in ((self._per_account, email), (self._per_address, address)):
            if not await self._limiter.test(item, "login", key):
                stats = await self._limiter.get_window_stats(item, "login", key)
                retry_after = math.ceil(stats.reset_time - time.time())
                raise RateLimited(
                    "Too many failed sign-in attempts; wait before trying again.",
                    retry_after=retry_after,
                )

    async def failed(self, *, email: str, address: str) -> None:
        await self._limiter.hit(self._per_account, "login", email)
        await self._limiter.hit(self._per_address, "login", address)

    async def succeeded(self, *, email: str) -> None:
        await self._limiter.clear(self._per_account, "login", email)
