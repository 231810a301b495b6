"""Slowing down password guessing and sign-up floods, in moving windows (in Redis when
configured, so the limits hold across processes).

Every password check is *reserved* before the password is verified: one atomic step checks the
budgets and records the attempt, so however many guesses arrive at once, at most the budget is
verified. A successful attempt gives its reservation back; a failed one keeps it.

Budgets of a sign-in (and of a password change's `current_password`):

- per account from one address (`login_failures_per_account`): past it, that address gets 429
  for that account, even with the right password;
- per address (`login_failures_per_address`): past it, that address gets 429 for every account;
- per account from everywhere (`login_failures_per_account_total`): past it, every attempt on the
  account is slowed down, never refused, so nobody can lock an owner out of their account.

Sign-ups have their own budget per address (`signups_per_address`).

If Redis is unreachable, counting falls back to this process's memory until it answers again:
signing in keeps working, still throttled, only per process for that time.
"""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from tasklane.config import Settings
from tasklane.errors import RateLimited

log = structlog.get_logger(__name__)
REDIS_RETRY_SECONDS = 5.0
SWEEP_EVERY = 1000
"""The memory store forgets windows nobody touched after this many reservations."""


@dataclass(frozen=True, slots=True)
class Budget:
    key: str
    limit: int | None  # None: counted, never refused
    window: float


@dataclass(frozen=True, slots=True)
class Reserved:
    """The outcome of a reservation: refused with a wait, or granted with each key's count."""

    wait: float | None
    counts: tuple[int, ...] = ()


# KEYS: the windows. ARGV[1]: the attempt's id; then per key: limit (-1: none), window seconds.
# Checks every limited window first, and records the attempt in all of them only if none is full.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local wait = 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if limit >= 0 and redis.call('ZCARD', key) >= limit then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    local w = window
    if oldest[2] then w = tonumber(oldest[2]) + window - now end
    if w < 0.001 then w = 0.001 end
    if w > wait then wait = w end
  end
end
if wait > 0 then return {0, tostring(wait)} end
local out = {1, '0'}
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[2 * i + 1])
  redis.call('ZADD', key, now, ARGV[1])
  redis.call('PEXPIRE', key, math.ceil(window * 1000))
  out[#out + 1] = redis.call('ZCARD', key)
end
return out
"""


class MemoryWindows:
    """Moving windows in this process. Each call runs without awaiting, so it is atomic."""

    def __init__(self) -> None:
        self._entries: dict[str, list[tuple[float, str]]] = {}
        self._windows: dict[str, float] = {}
        self._reservations = 0

    async def reserve(self, budgets: list[Budget], member: str) -> Reserved:
        now = time.time()
        self._reservations += 1
        if self._reservations % SWEEP_EVERY == 0:
            self._sweep(now)
        wait = 0.0
        for b in budgets:
            entries = self._prune(b.key, now - b.window)
            self._windows[b.key] = b.window
            if b.limit is not None and len(entries) >= b.limit:
                oldest = entries[0][0] if entries else now
                wait = max(wait, oldest + b.window - now, 0.001)
        if wait > 0:
            return Reserved(wait=wait)
        counts = []
        for b in budgets:
            entries = self._entries.setdefault(b.key, [])
            entries.append((now, member))
            counts.append(len(entries))
        return Reserved(wait=None, counts=tuple(counts))

    async def release(self, keys: list[str], member: str) -> None:
        for key in keys:
            entries = self._entries.get(key)
            if entries:
                self._entries[key] = [e for e in entries if e[1] != member]

    async def clear(self, key: str) -> None:
        self._entries.pop(key, None)

    def _prune(self, key: str, horizon: float) -> list[tuple[float, str]]:
        entries = self._entries.get(key, [])
        if entries and entries[0][0] <= horizon:
            entries = [e for e in entries if e[0] > horizon]
            self._entries[key] = entries
        return entries

    def _sweep(self, now: float) -> None:
        for key in list(self._entries):
            entries = self._prune(key, now - self._windows.get(key, 0))
            if not entries:
                del self._entries[key]
                self._windows.pop(key, None)


class RedisWindows:
    """The same windows in Redis sorted sets, reserved by one script: atomic across processes."""

    def __init__(self, settings: Settings) -> None:
        # Generous timeouts: a slow answer taken for an outage would count in this process only.
        self._redis = Redis.from_url(
            settings.redis_url, socket_connect_timeout=2.0, socket_timeout=3.0
        )
        self._script = self._redis.register_script(_RESERVE)

    async def reserve(self, budgets: list[Budget], member: str) -> Reserved:
        args: list[str | int | float] = [member]
        for b in budgets:
            args += [-1 if b.limit is None else b.limit, b.window]
        answer = await self._script(keys=[b.key for b in budgets], args=args)
        if int(answer[0]) == 0:
            return Reserved(wait=float(answer[1]))
        return Reserved(wait=None, counts=tuple(int(c) for c in answer[2:]))

    async def release(self, keys: list[str], member: str) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.zrem(key, member)
            await pipe.execute()

    async def clear(self, key: str) -> None:
        await self._redis.delete(key)

    async def aclose(self) -> None:
        await self._redis.aclose()


@dataclass(frozen=True, slots=True)
class Attempt:
    """A reserved password check: `slowed` when the account's overall budget is spent."""

    member: str
    pair_key: str
    released_keys: list[str]
    slowed: bool


class LoginThrottle:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._local = MemoryWindows()
        self._shared = RedisWindows(settings) if settings.redis_url else None
        self._shared_down_until = 0.0
        self._prefix = f"{settings.redis_prefix}:throttle"

    async def _reserve(self, budgets: list[Budget], member: str) -> Reserved:
        if self._shared is not None and time.monotonic() >= self._shared_down_until:
            try:
                return await self._shared.reserve(budgets, member)
            except (RedisError, OSError) as exc:
                self._down(exc)
        return await self._local.reserve(budgets, member)

    async def _release(self, keys: list[str], member: str, clear: str | None = None) -> None:
        for store in (self._local, self._shared):
            if store is None:
                continue
            try:
                await store.release(keys, member)
                if clear is not None:
                    await store.clear(clear)
            except (RedisError, OSError) as exc:
                self._down(exc)

    def _down(self, exc: Exception) -> None:
        self._shared_down_until = time.monotonic() + REDIS_RETRY_SECONDS
        log.warning("login_throttle_redis_unavailable", error=f"{type(exc).__name__}: {exc}")

    async def begin(self, *, account: str, address: str) -> Attempt:
        """Reserve one password check of `account` from `address`; RateLimited (429 with
        Retry-After) when this address has spent its budget for the account, or overall."""
        s = self.settings
        window = float(s.login_failure_window_seconds)
        pair = f"{self._prefix}:pair:{account}:{address}"
        by_address = f"{self._prefix}:address:{address}"
        by_account = f"{self._prefix}:account:{account}"
        member = uuid.uuid4().hex
        reserved = await self._reserve(
            [
                Budget(pair, s.login_failures_per_account, window),
                Budget(by_address, s.login_failures_per_address, window),
                Budget(by_account, None, window),
            ],
            member,
        )
        if reserved.wait is not None:
            raise RateLimited(
                "Too many failed sign-in attempts; wait before trying again.",
                retry_after=max(1, math.ceil(reserved.wait)),
            )
        return Attempt(
            member=member,
            pair_key=pair,
            released_keys=[pair, by_address, by_account],
            slowed=reserved.counts[2] > s.login_failures_per_account_total,
        )

    async def succeeded(self, attempt: Attempt) -> None:
        """The password was right: the attempt is given back, and this address's failures on
        the account are forgotten."""
        await self._release(attempt.released_keys, attempt.member, clear=attempt.pair_key)

    async def abandoned(self, attempt: Attempt) -> None:
        """The check never ran to a verdict (an error, a cancelled request): give it back."""
        await self._release(attempt.released_keys, attempt.member)

    async def sign_up(self, *, address: str) -> None:
        """Spend one sign-up of `address`; RateLimited past the budget."""
        s = self.settings
        key = f"{self._prefix}:signup:{address}"
        budget = Budget(key, s.signups_per_address, float(s.signup_window_seconds))
        reserved = await self._reserve([budget], uuid.uuid4().hex)
        if reserved.wait is not None:
            raise RateLimited(
                "Too many sign-ups from this address; wait before trying again.",
                retry_after=max(1, math.ceil(reserved.wait)),
            )

    async def aclose(self) -> None:
        if self._shared is not None:
            await self._shared.aclose()
