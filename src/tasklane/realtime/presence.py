"""Who is viewing a project or a task: one entry per connection and room, listed per user.

With Redis the entries live in a hash per room; without it, in the `presence` table, so that
several app processes on one database see each other's viewers. Either way each entry has an
expiry that its process keeps pushing forward: the entries of a process that died expire by
themselves. `MemoryPresence` (one process, nothing shared) is for tests and tools.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol
from uuid import UUID

import redis.asyncio as redis
from redis.exceptions import RedisError
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.db import Database
from tasklane.kit.clock import utcnow
from tasklane.models import Counter, PresenceEntry

ENTRY_TTL_SECONDS = 30.0
"""An entry lives this long unless its process refreshes it (every third of it)."""
PRESENCE_CHANNEL = "tasklane_presence"
"""PostgreSQL: NOTIFY channel of joins and leaves; the payload is the room, or empty for any."""
PRESENCE_COUNTER = "presence"
"""SQLite: the counter bumped by each join and leave, which the other processes watch."""


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


class DatabasePresence:
    """Entries in the `presence` table, shared by every app process on the database (used
    when Redis is not configured). A join or a leave also tells the other processes, in its
    own transaction: on PostgreSQL a NOTIFY on PRESENCE_CHANNEL (delivered at commit), on
    SQLite a bump of the `presence` counter, which each hub reads when the file changed (see
    `Hub._poll`). Refreshes change nobody's list, so they tell nobody.

    The writes run from WebSocket handlers and the hub's sweep, never inside an HTTP request;
    each is one short transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, room: str, member: str, viewer: Viewer) -> None:
        try:
            async with self.db.transaction() as session:
                await self._upsert(session, {room: {member: viewer}})
                await self._signal(session, room)
        except (SQLAlchemyError, OSError) as exc:
            raise PresenceUnavailable(str(exc)) from exc

    async def remove(self, room: str, member: str) -> None:
        try:
            async with self.db.transaction() as session:
                result: Any = await session.execute(
                    delete(PresenceEntry).where(
                        PresenceEntry.room == room, PresenceEntry.member == member
                    )
                )
                if result.rowcount:
                    await self._signal(session, room)
        except (SQLAlchemyError, OSError) as exc:
            raise PresenceUnavailable(str(exc)) from exc

    async def viewers(self, room: str) -> list[Viewer]:
        try:
            async with self.db.transaction(write=False) as session:
                rows = (
                    await session.execute(
                        select(PresenceEntry.user_id, PresenceEntry.name).where(
                            PresenceEntry.room == room, PresenceEntry.expires_at > utcnow()
                        )
                    )
                ).all()
        except (SQLAlchemyError, OSError) as exc:
            raise PresenceUnavailable(str(exc)) from exc
        return distinct_viewers([Viewer(user_id, name) for user_id, name in rows])

    async def refresh(self, room: str, members: dict[str, Viewer]) -> None:
        await self.keep({room: members})

    async def keep(self, rooms: dict[str, dict[str, Viewer]]) -> None:
        """Push the expiry of this process's entries forward and delete every expired
        entry (another process's that died), in one transaction."""
        try:
            async with self.db.transaction() as session:
                await self._upsert(session, rooms)
                result: Any = await session.execute(
                    delete(PresenceEntry).where(PresenceEntry.expires_at <= utcnow())
                )
                if result.rowcount:
                    await self._signal(session, "")
        except (SQLAlchemyError, OSError) as exc:
            raise PresenceUnavailable(str(exc)) from exc

    @staticmethod
    async def _upsert(session: AsyncSession, rooms: dict[str, dict[str, Viewer]]) -> None:
        expires_at = utcnow() + timedelta(seconds=ENTRY_TTL_SECONDS)
        rows = [
            {
                "room": room,
                "member": member,
                "user_id": viewer.user_id,
                "name": viewer.name,
                "expires_at": expires_at,
            }
            for room, members in rooms.items()
            for member, viewer in members.items()
        ]
        if not rows:
            return
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(PresenceEntry).values(rows)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[PresenceEntry.room, PresenceEntry.member],
                set_={
                    "user_id": statement.excluded.user_id,
                    "name": statement.excluded.name,
                    "expires_at": statement.excluded.expires_at,
                },
            )
        )

    @staticmethod
    async def _signal(session: AsyncSession, room: str) -> None:
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(select(func.pg_notify(PRESENCE_CHANNEL, room)))
        else:
            await session.execute(
                update(Counter)
                .where(Counter.name == PRESENCE_COUNTER)
                .values(value=Counter.value + 1)
            )
