"""The dispatcher: committed events, in sequence order, to each consumer, at least once.

Each consumer has a position (the last sequence number it handled) in `consumer_positions`.
The dispatcher reads the events after it, hands them to the consumer, and only then advances
the position, in a transaction. A crash between the two hands the same batch over again after
restart, so consumers must tolerate repeats (they receive sequence numbers to tell).

Only committed events can be read, so nothing reaches a consumer before its transaction
commits, and every committed event is read eventually, so nothing committed is left behind.

Several dispatchers may run (one per app process, or separate workers). On PostgreSQL the
position row is locked `FOR UPDATE SKIP LOCKED`, so one of them handles a consumer at a time.
On SQLite the position is advanced with a compare-and-set, so the write lock is not held
while a consumer works. SQLite has one writer at a time, and under load that one write per
batch (a batch is often one event) cost about a quarter of the file's write throughput, so
the dispatcher keeps the position it has reached in memory and writes it at most once per
`dispatch_save_seconds`, when it goes idle past that, and when it stops. A crash hands the last
interval's events over again; another dispatcher that moved the position on is followed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Protocol

import asyncpg
import structlog
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.engine import make_url

from tasklane.config import Settings
from tasklane.db import Database
from tasklane.events.service import NO_END, NOTIFY_CHANNEL, read_log
from tasklane.kit.aio import first_set
from tasklane.kit.clock import utcnow
from tasklane.kit.rawsql import DIALECTS, compile_raw
from tasklane.kit.sql import insert_ignore
from tasklane.models import ConsumerPosition, Event

log = structlog.get_logger(__name__)

BATCH = 200
RETRY_DELAYS = (0.1, 0.5, 1.0, 2.0, 5.0)
LISTEN_RETRY_SECONDS = 5.0
_POSITION = {
    d: compile_raw(
        select(ConsumerPosition.position).where(ConsumerPosition.name == bindparam("name")), d
    )
    for d in DIALECTS
}


class Consumer(Protocol):
    name: str

    async def handle(self, events: Sequence[Event]) -> None:
        """Handle a batch, in order. Raise to have the same batch handed over again."""


class Dispatcher:
    def __init__(self, settings: Settings, db: Database, consumers: Sequence[Consumer]) -> None:
        self.settings = settings
        self.db = db
        self.consumers = list(consumers)
        self._wake = asyncio.Event()
        self._failures: dict[str, int] = {}
        self._not_before: dict[str, float] = {}
        self._next_listen = 0.0
        # SQLite: per consumer, (the position as last read or written, the one handled).
        self._held: dict[str, tuple[int, int]] = {}
        self._saved_at: dict[str, float] = {}

    def wake(self) -> None:
        self._wake.set()

    async def prepare(self) -> None:
        """Give each new consumer a position: the current head (history is not re-sent)."""
        async with self.db.transaction() as session:
            head = int(await session.scalar(select(func.max(Event.seq))) or 0)
            for consumer in self.consumers:
                await insert_ignore(
                    session,
                    ConsumerPosition,
                    {"name": consumer.name, "position": head, "updated_at": utcnow()},
                )

    async def run(self, stopping: asyncio.Event) -> None:
        await self.prepare()
        self.db.on_signal("events", self.wake)
        listener: asyncpg.Connection | None = None
        try:
            while not stopping.is_set():
                if self.db.dialect == "postgresql" and (listener is None or listener.is_closed()):
                    listener = await self._listen()  # again after a database restart
                self._wake.clear()
                handled = 0
                for consumer in self.consumers:
                    handled += await self.dispatch_once(consumer)
                if handled:
                    continue  # there may be more right behind
                timeout = await self._save_due()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(first_set(self._wake, stopping), timeout=timeout)
        finally:
            with contextlib.suppress(Exception):
                await self.save_positions()
            if listener is not None:
                with contextlib.suppress(Exception):
                    await listener.close()

    async def dispatch_once(self, consumer: Consumer) -> int:
        """Hand the next batch to `consumer`; the number of events handled (0 if none, if
        another dispatcher holds it, or if it failed and waits to retry)."""
        loop = asyncio.get_running_loop()
        if loop.time() < self._not_before.get(consumer.name, 0.0):
            return 0
        try:
            if self.db.dialect == "postgresql":
                handled = await self._dispatch_locked(consumer)
            else:
                handled = await self._dispatch_compare_and_set(consumer)
        except Exception as exc:
            failures = self._failures.get(consumer.name, 0)
            delay = RETRY_DELAYS[min(failures, len(RETRY_DELAYS) - 1)]
            self._failures[consumer.name] = failures + 1
            self._not_before[consumer.name] = loop.time() + delay
            log.warning("dispatch_failed", consumer=consumer.name, error=str(exc), retry_in=delay)
            return 0
        self._failures.pop(consumer.name, None)
        return handled

    async def _dispatch_locked(self, consumer: Consumer) -> int:
        async with self.db.transaction() as session:
            position = await session.scalar(
                select(ConsumerPosition.position)
                .where(ConsumerPosition.name == consumer.name)
                .with_for_update(skip_locked=True)
            )
            if position is None:
                return 0  # another dispatcher is at it; it will see these events too
            async with self.db.raw.connection() as raw:  # committed events; the lock stays
                events = await read_log(raw, after=position, upto=NO_END, limit=BATCH)
            if events:
                await consumer.handle(events)
                await session.execute(
                    update(ConsumerPosition)
                    .where(ConsumerPosition.name == consumer.name)
                    .values(position=events[-1].seq, updated_at=utcnow())
                )
            return len(events)

    async def _dispatch_compare_and_set(self, consumer: Consumer) -> int:
        name = consumer.name
        async with self.db.raw.connection() as raw:  # one snapshot
            found = await raw.fetch(_POSITION[raw.dialect], {"name": name})
            if not found:
                return 0
            stored = int(found[0][0])
            known, handled = self._held.get(name, (stored, stored))
            if known != stored:  # another dispatcher moved it: go on from there
                handled = stored
            events = await read_log(raw, after=handled, upto=NO_END, limit=BATCH)
        if events:
            await consumer.handle(events)
            handled = events[-1].seq
        self._held[name] = (stored, handled)
        if handled != stored and self._seconds_to_save(name) <= 0:
            await self._save(name)
        return len(events)

    def _seconds_to_save(self, name: str) -> float:
        saved_at = self._saved_at.get(name, float("-inf"))
        now = asyncio.get_running_loop().time()
        return saved_at + self.settings.dispatch_save_seconds - now

    async def _save(self, name: str) -> None:
        stored, handled = self._held[name]
        async with self.db.transaction() as session:
            moved = await session.execute(
                update(ConsumerPosition)
                .where(ConsumerPosition.name == name, ConsumerPosition.position == stored)
                .values(position=handled, updated_at=utcnow())
            )
        self._saved_at[name] = asyncio.get_running_loop().time()
        if moved.rowcount == 1:  # type: ignore[attr-defined]
            self._held[name] = (handled, handled)
        else:  # another dispatcher moved it meanwhile: read it again next time
            del self._held[name]

    async def _save_due(self) -> float:
        """Write the positions whose interval has passed; how long to wait before the next
        look at the log (the poll, or sooner when a position waits to be written)."""
        timeout = self.settings.dispatch_poll_seconds
        for name, (stored, handled) in list(self._held.items()):
            if stored == handled:
                continue
            wait = self._seconds_to_save(name)
            if wait > 0:
                timeout = min(timeout, wait)
                continue
            try:
                await self._save(name)
            except Exception as exc:  # the database is away: try at the next look
                log.warning("dispatch_save_failed", consumer=name, error=str(exc))
                timeout = min(timeout, RETRY_DELAYS[-1])
        return timeout

    async def save_positions(self) -> None:
        """Write every position handled but not yet written (the dispatcher stops)."""
        for name, (stored, handled) in list(self._held.items()):
            if stored != handled:
                await self._save(name)

    async def _listen(self) -> asyncpg.Connection | None:
        """LISTEN for commits of other processes (see events.service), on its own connection.
        Without it (no connection), the poll still finds every event, only later."""
        loop = asyncio.get_running_loop()
        if loop.time() < self._next_listen:
            return None
        self._next_listen = loop.time() + LISTEN_RETRY_SECONDS
        url = make_url(self.db.settings.resolved_database_url).set(drivername="postgresql")
        try:
            connection: asyncpg.Connection = await asyncpg.connect(
                url.render_as_string(hide_password=False), timeout=5
            )
            await connection.add_listener(NOTIFY_CHANNEL, lambda *_: self.wake())
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("dispatch_listen_failed", error=str(exc))
            return None
        return connection
