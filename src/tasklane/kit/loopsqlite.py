"""SQLite's writer connection, run on the event loop instead of in aiosqlite's thread.

SQLAlchemy's asyncio SQLite dialect drives an aiosqlite connection: every statement is four
hops between the event loop and aiosqlite's thread (the cursor, the execute, the fetch, the
close). A task create is about 30 of them. Each hop waits for the thread to be scheduled and
for the GIL to come back, and on SQLite all of that waiting happens while the transaction
holds the database's write lock, so under load the hops, not the statements, set how many
writes a second the file takes.

`LoopConnection` answers the same calls SQLAlchemy makes of an aiosqlite connection, with
`sqlite3` itself, right away, on the loop. The statements a write transaction runs are served
by indexes and take microseconds, so the loop is held no longer than the Python around them.
What could hold it longer is kept off it:

- Locks held by other processes. Tasklane's own writers take turns before `BEGIN IMMEDIATE`
  (kit.writeturns), so the lock is free when this connection asks for it. Another program
  (the `sqlite3` shell, a backup tool) may still hold it: the connection runs with SQLite's
  busy timeout at 0, and a statement refused with SQLITE_BUSY outside a transaction (the
  BEGIN itself) is tried again after an `asyncio.sleep`, up to the busy timeout, so the loop
  keeps serving while it waits. Inside a transaction SQLite says to roll back, not to retry:
  the error goes up (and the request is answered 503, as before).
- Checkpoints. A commit that fills the write-ahead log past its limit (1,000 pages) copies it
  into the database file, on the committing connection, with an fsync. So this connection
  does not checkpoint (`wal_autocheckpoint` is 0 here): every `CHECKPOINT_EVERY` commits it
  has a passive checkpoint (one that never waits for anyone) run in a thread, on a connection
  of the thread's own.

What stays on the loop: a write that changes many rows (a bulk change, a status deleted with
its tasks moved, the trash purged) holds it for as long as SQLite takes, a few milliseconds per
thousand rows. Such writes are rare, and every other write of every process waited for them
anyway, as they hold the write lock.

The reader engine keeps aiosqlite: the statements sent there are not on hot paths and may
scan, and a thread is the right place for them.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import structlog

log = structlog.get_logger(__name__)

BUSY_RETRY_SECONDS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05)
"""The pauses between tries of a statement that found the file locked (then the last one)."""
CHECKPOINT_EVERY = 100
"""Commits between checkpoints; a task create adds about 10 pages to the log."""


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    return str(getattr(exc, "sqlite_errorname", "")).startswith("SQLITE_BUSY")


class _RunNow:
    """Stands in for aiosqlite's queue to its thread: SQLAlchemy sends the isolation level
    through it with a future to wait on; the call is made here and then."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except Exception as exc:
            if future is not None:
                future.set_exception(exc)
            return
        if future is not None:
            future.set_result(result)


class LoopCursor:
    """An aiosqlite cursor's awaitable methods, each done before it returns."""

    def __init__(self, owner: LoopConnection) -> None:
        self._owner = owner
        self._cursor = owner._conn.cursor()

    async def __aenter__(self) -> LoopCursor:
        return self

    async def __aexit__(self, *_: object) -> None:
        self._cursor.close()

    async def execute(
        self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()
    ) -> LoopCursor:
        await self._owner.patiently(lambda: self._cursor.execute(sql, parameters))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> LoopCursor:
        await self._owner.patiently(lambda: self._cursor.executemany(sql, parameters))
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class LoopConnection:
    """An aiosqlite connection's interface, as SQLAlchemy's adapter uses it, on the loop."""

    def __init__(
        self, connection: sqlite3.Connection, database: str, *, busy_timeout_seconds: float
    ) -> None:
        self._conn = connection
        self._database = database
        self._open = True
        self._commits = 0
        self._checkpointing = False
        self._tx = _RunNow()
        self.busy_timeout_seconds = busy_timeout_seconds
        connection.execute("PRAGMA busy_timeout=0")  # waits happen in patiently(), not here
        connection.execute("PRAGMA wal_autocheckpoint=0")  # see checkpoint()

    @classmethod
    async def connect(cls, database: str, *, busy_timeout_seconds: float) -> LoopConnection:
        # Used on the loop only, but SQLAlchemy may close it from another thread (a pool
        # finalizer): allow that.
        connection = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
        return cls(connection, database, busy_timeout_seconds=busy_timeout_seconds)

    @property
    def _connection(self) -> sqlite3.Connection | None:
        """aiosqlite's name for the open sqlite3 connection (None once closed)."""
        return self._conn if self._open else None

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    def cursor(self) -> LoopCursor:
        return LoopCursor(self)

    async def patiently(self, run: Callable[[], Any]) -> Any:
        """`run()`, tried again while another program holds the lock (see the module's
        docstring); the loop serves others during the pauses."""
        deadline = time.monotonic() + self.busy_timeout_seconds
        pauses = iter(BUSY_RETRY_SECONDS)
        pause = 0.0
        while True:
            try:
                return run()
            except sqlite3.OperationalError as exc:
                retry = not self._conn.in_transaction and _is_busy(exc)
                if not retry or time.monotonic() + pause > deadline:
                    raise
            pause = next(pauses, BUSY_RETRY_SECONDS[-1])
            await asyncio.sleep(pause)

    async def commit(self) -> None:
        self._conn.commit()
        self._commits += 1
        if self._commits % CHECKPOINT_EVERY == 0 and not self._checkpointing:
            self._checkpointing = True
            done = asyncio.get_running_loop().run_in_executor(None, self.checkpoint)
            done.add_done_callback(self._checkpointed)

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self._open:
            self._open = False
            self._conn.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    def checkpoint(self) -> None:
        """Copy the write-ahead log into the database file as far as readers allow. Blocking
        I/O, on a connection of its own: call it in a thread."""
        connection = sqlite3.connect(self._database, isolation_level=None)
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            connection.close()

    def _checkpointed(self, done: asyncio.Future[None]) -> None:
        self._checkpointing = False
        if not done.cancelled() and done.exception() is not None:
            log.warning("sqlite_checkpoint_failed", error=str(done.exception()))
