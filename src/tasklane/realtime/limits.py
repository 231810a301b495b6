"""Caps on open WebSockets, per user and per client address, so one client cannot hold
hundreds of connections (each costs memory and a share of every broadcast).

With Redis, the count is shared by every app process: a sorted set per user and per address
holds one member per open connection, scored with the time it lapses. A connection renews its
entries on every heartbeat, so the entries of a process that died lapse on their own instead
of holding places forever. Without Redis (or while it is unreachable) each process counts its
own connections."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import redis.asyncio as redis
import structlog
from redis.exceptions import RedisError

from tasklane.config import Settings

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Holder:
    """One open connection's places: its id, and the keys it counts under."""

    id: str
    user: str
    address: str


# Trim lapsed entries, then add this one only if both sets have room; all or nothing.
_ACQUIRE = """
local now, lapse, id = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local caps = {tonumber(ARGV[4]), tonumber(ARGV[5])}
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZCARD', key) >= caps[i] then return i end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, lapse, id)
  redis.call('PEXPIRE', key, math.ceil((lapse - now) * 1000))
end
return 0
"""


@dataclass
class ConnectionLimits:
    settings: Settings
    client: redis.Redis | None = None
    _local: dict[str, set[str]] = field(default_factory=dict)

    @property
    def _lapse_seconds(self) -> float:
        # Renewed every heartbeat; three missed renewals and the place is free again.
        return 3 * self.settings.heartbeat_seconds + 5

    def _keys(self, holder: Holder) -> list[str]:
        prefix = f"{self.settings.redis_prefix}:ws"
        return [f"{prefix}:user:{holder.user}", f"{prefix}:address:{holder.address}"]

    def _caps(self) -> list[int]:
        return [self.settings.ws_max_per_user, self.settings.ws_max_per_address]

    async def acquire(self, holder: Holder) -> bool:
        """Take a place for this connection; False when the user or the address is full."""
        if self.client is not None:
            try:
                now = time.time()
                full = await self.client.eval(
                    _ACQUIRE,
                    2,
                    *self._keys(holder),
                    now,
                    now + self._lapse_seconds,
                    holder.id,
                    *self._caps(),
                )
                if int(full) == 0:
                    self._local_add(holder)
                    return True
                return False
            except RedisError as exc:
                log.warning("ws_limits_redis_unavailable", error=str(exc))
        keys = [f"user:{holder.user}", f"address:{holder.address}"]
        if any(
            len(self._local.get(k, ())) >= cap for k, cap in zip(keys, self._caps(), strict=True)
        ):
            return False
        self._local_add(holder)
        return True

    def _local_add(self, holder: Holder) -> None:
        for key in (f"user:{holder.user}", f"address:{holder.address}"):
            self._local.setdefault(key, set()).add(holder.id)

    async def renew(self, holder: Holder) -> None:
        if self.client is None:
            return
        try:
            lapse = time.time() + self._lapse_seconds
            async with self.client.pipeline(transaction=False) as pipe:
                for key in self._keys(holder):
                    pipe.zadd(key, {holder.id: lapse})
                    pipe.expire(key, int(self._lapse_seconds) + 1)
                await pipe.execute()
        except RedisError as exc:
            log.debug("ws_limits_renew_failed", error=str(exc))

    async def release(self, holder: Holder) -> None:
        for key in (f"user:{holder.user}", f"address:{holder.address}"):
            ids = self._local.get(key)
            if ids is not None:
                ids.discard(holder.id)
                if not ids:
                    del self._local[key]
        if self.client is None:
            return
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for key in self._keys(holder):
                    pipe.zrem(key, holder.id)
                await pipe.execute()
        except RedisError as exc:
            log.debug("ws_limits_release_failed", error=str(exc))  # it lapses on its own
