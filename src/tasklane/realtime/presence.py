"""Who is viewing a project or a task: one entry per connection and room, listed per user.

In one process the entries live in memory. With Redis they live in a hash per room, each entry
with an expiry that its process refreshes; entries of a process that died expire by themselves.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

import redis.asyncio as redis
from redis.exceptions import RedisError

ENTRY_TTL_SECONDS = 30.0
"""A Redis entry lives this long unless its process refreshes it (every third of it)."""


class PresenceUnavailable(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Viewer:
    user_id: UUID
    name: str

    def as_dict(self) -> dict[str, str]:
        return {"user_id": str(self.user_id), "name": self.name}


def distinct_viewers(viewers: list[Viewer]) -> list[Viewer]:
    """Each user once (however many tabs), in a stable order."""
    by_user = {v.user_id: v for v in viewers}
    return sorted(by_user.values(), key=lambda v: (v.name.casefold(), str(v.user_id)))


class PresenceStore(Protocol):
    async def add(self, room: str, member: str, viewer: Viewer) -> None: ...
    async def remove(self, room: str, member: str) -> None: ...
    async def viewers(self, room: str) -> list[Viewer]: ...
    async def refresh(self, room: str, members: dict[str, Viewer]) -> None: ...


class MemoryPresence:
    def __init__(self) -> None:
        self._rooms: dict[str, dict[str, Viewer]] = {}

    async def add(self, room: str, member: str, viewer: Viewer) -> None:
        self._rooms.setdefault(room, {})[member] = viewer

    async def remove(self, room: str, member: str) -> None:
        entries = self._rooms.get(room)
        if entries is not None:
            entries.pop(member, None)
            if not entries:
                del self._rooms[room]

    async def viewers(self, room: str) -> list[Viewer]:
        return distinct_viewers(list(self._rooms.get(room, {}).values()))

    async def refresh(self, room: str, members: dict[str, Viewer]) -> None:
        return None


class RedisPresence:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix

    def _key(self, room: str) -> str:
        return f"{self._prefix}:presence:{room}"

    @staticmethod
    def _entry(viewer: Viewer) -> str:
        expires = time.time() + ENTRY_TTL_SECONDS
        return json.dumps({"user_id": str(viewer.user_id), "name": viewer.name, "exp": expires})

    async def add(self, room: str, member: str, viewer: Viewer) -> None:
        await self.refresh(room, {member: viewer})

    async def remove(self, room: str, member: str) -> None:
        try:
            await self._client.hdel(self._key(room), member)
        except (RedisError, OSError) as exc:
            raise PresenceUnavailable(str(exc)) from exc

    async def refresh(self, room: str, members: dict[str, Viewer]) -> None:
        if not members:
            return
        key = self._key(room)
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.hset(key, mapping={m: self._entry(v) for m, v in members.items()})
                pipe.expire(key, int(ENTRY_TTL_SECONDS * 2))
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise PresenceUnavailable(str(exc)) from exc

    async def viewers(self, room: str) -> list[Viewer]:
        key = self._key(room)
        try:
            entries: dict[bytes | str, bytes | str] = await self._client.hgetall(key)
        except (RedisError, OSError) as exc:
            raise PresenceUnavailable(str(exc)) from exc
        now = time.time()
        alive: list[Viewer] = []
        expired: list[bytes | str] = []
        for member, raw in entries.items():
            try:
                entry = json.loads(raw)
                viewer = Viewer(UUID(entry["user_id"]), str(entry["name"]))
                fresh = float(entry["exp"]) > now
            except (ValueError, KeyError, TypeError):
                fresh = False
            if fresh:
                alive.append(viewer)
            else:
                expired.append(member)
        if expired:
            try:
                await self._client.hdel(key, *expired)
            except (RedisError, OSError) as exc:
                raise PresenceUnavailable(str(exc)) from exc
        return distinct_viewers(alive)
