"""Engines and the unit of work: one session per request, committed once, after the handler.

SQLite gets two engines: readers (plain `BEGIN`, many connections, WAL lets them run beside a
writer) and one writer connection that starts every transaction with `BEGIN IMMEDIATE`, so
concurrent writers queue in the pool instead of failing with "database is locked".
PostgreSQL uses one pooled engine for both.
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import structlog
from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.util import await_
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tasklane.config import Settings
from tasklane.errors import Conflict, ServiceUnavailable, TasklaneError, problem_response
from tasklane.kit.clock import utcnow
from tasklane.kit.loopsqlite import LoopConnection
from tasklane.kit.rawsql import RawReader, ensure_wal
from tasklane.kit.writeturns import WriteTurns

BeforeCommit = Callable[[AsyncSession], Awaitable[None]]
AfterCommit = Callable[[], None]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class StatementStats:
    count: int = 0
    seconds: float = 0.0
    _started: list[float] = field(default_factory=list)


_stats: ContextVar[StatementStats | None] = ContextVar("tasklane_sql_stats", default=None)


def track_statements() -> StatementStats:
    """Start counting SQL statements run in the current context (a request, a test block)."""
    stats = StatementStats()
    _stats.set(stats)
    return stats


def _note_statement(seconds: float) -> None:
    """Count a statement run outside SQLAlchemy (tasklane.kit.rawsql)."""
    stats = _stats.get()
    if stats is not None:
        stats.count += 1
        stats.seconds += seconds


def _install_statement_counter(engine: Engine) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _before(*_: Any) -> None:
        stats = _stats.get()
        if stats is not None:
            stats.count += 1
            stats._started.append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _after(*_: Any) -> None:
        stats = _stats.get()
        if stats is not None and stats._started:
            stats.seconds += time.perf_counter() - stats._started.pop()


def _configure_sqlite(
    engine: AsyncEngine,
    *,
    begin: str,
    busy_timeout_ms: int,
    turns: WriteTurns | None = None,
    writes_to: Path | None = None,
) -> None:
    """Pragmas and BEGIN for an SQLite engine. `writes_to`: the file of a writer engine. SQLite
    opens a file it cannot write read-only, and such a connection stays read-only after the
    file is writable again; so a writer connection remembers how it opened, and one opened
    read-only is replaced on checkout once the file is writable. (Not only on a refused
    request write: a background write, such as the dispatcher saving its position, can open
    the pool's connection while the file is read-only.)"""

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        if writes_to is not None:
            record.info["opened_read_only"] = _sqlite_read_only(writes_to)
        # Let SQLAlchemy's "begin" event below issue BEGIN, not the driver.
        dbapi_connection.isolation_level = None
        ensure_wal(dbapi_connection, busy_timeout_ms)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # WAL + NORMAL: a process crash loses nothing committed; a power cut can lose the
        # last transactions. FULL costs about two thirds of write throughput here.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    if writes_to is not None:

        @event.listens_for(engine.sync_engine, "checkout")
        def _checkout(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
            if record.info.get("opened_read_only") and not _sqlite_read_only(writes_to):
                # The pool closes this connection and opens a new one (which can write).
                raise DisconnectionError("opened while the SQLite file was read-only")

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        if turns is not None:
            await_(turns.take())  # this process's turn among several (kit.writeturns)
        conn.exec_driver_sql(begin)

    if turns is not None:

        @event.listens_for(engine.sync_engine, "checkin")
        def _checkin(_dbapi_connection: Any, _record: Any) -> None:
            turns.give()  # back in the pool: the transaction has ended


class _WriteSession(Session):
    """A session that notes when it stored new rows (flushed new objects, or ran an INSERT:
    writes on hot paths are Core statements), so its commit proves storage works again after
    a failure for lack of it. Updates and deletes prove nothing: they mostly fit where the
    rows were, so the worker's bookkeeping (a consumer's position, a token's last use) can
    succeed on a full disk while every new task is refused."""


@event.listens_for(_WriteSession, "before_flush")
def _note_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new:
        session.info["wrote"] = True


@event.listens_for(_WriteSession, "do_orm_execute")
def _note_write_statement(state: ORMExecuteState) -> None:
    if state.is_insert:
        state.session.info["wrote"] = True


STORAGE_FAILURE_MEMORY = timedelta(seconds=30)
"""How long /readyz reports a write that failed for lack of storage (full disk, I/O error),
unless a write succeeds sooner: nothing cheap can see those coming, so the failure is the news."""
MIN_FREE_BYTES = 1024 * 1024
"""Less free space than this next to an SQLite database, and /readyz reports its disk full."""


def _sqlite_file(url: str) -> Path | None:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _sqlite_read_only(path: Path) -> bool:
    """Whether this process cannot write the SQLite database at `path` or its journal files."""
    for name in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        # A missing journal file is created next to the database, so its folder must be
        # writable. access(2) asks the kernel: modes, the process's capabilities (root is
        # refused too once they are dropped) and read-only mounts.
        target = name if name.exists() else path.parent
        if not os.access(target, os.W_OK):
            return True
    return False


def _sqlite_storage(path: Path) -> str | None:
    """Why writes to the SQLite database at `path` would fail, as far as the file system can
    say without writing: "read-only" or "disk-full", else None."""
    folder = path.parent
    if _sqlite_read_only(path):
        return "read-only"
    stats = os.statvfs(folder)
    blocks = stats.f_bfree if os.geteuid() == 0 else stats.f_bavail
    if blocks * stats.f_frsize < MIN_FREE_BYTES:
        return "disk-full"
    return None


class Database:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        url = settings.resolved_database_url
        self.is_sqlite = url.startswith("sqlite")
        self.sqlite_file = _sqlite_file(url) if self.is_sqlite else None
        self._storage_failed_at: datetime | None = None
        self._turns: WriteTurns | None = None
        if self.is_sqlite:
            path = url.split("///", 1)[1] if "///" in url else ""
            if path:
                settings.data_dir.mkdir(parents=True, exist_ok=True)
            busy_timeout_ms = int(settings.sqlite_busy_timeout_ms)
            file = make_url(url).database or ""
            self.writer = create_async_engine(
                url,
                # Statements on the loop, busy waits off it (kit.loopsqlite).
                async_creator=lambda: LoopConnection.connect(
                    file, busy_timeout_seconds=busy_timeout_ms / 1000
                ),
                poolclass=AsyncAdaptedQueuePool,
                pool_size=1,
                max_overflow=0,
                pool_timeout=settings.database_pool_timeout_seconds,
                hide_parameters=True,
            )
            self.reader = create_async_engine(
                url,
                poolclass=AsyncAdaptedQueuePool,
                pool_size=settings.database_pool_size,
                max_overflow=0,
                pool_timeout=settings.database_pool_timeout_seconds,
                hide_parameters=True,  # error messages must not carry hashes or tokens
            )
            self._turns = (
                WriteTurns(self.sqlite_file, timeout_seconds=settings.sqlite_busy_timeout_ms / 1000)
                if self.sqlite_file is not None
                else None
            )
            _configure_sqlite(
                self.writer,
                begin="BEGIN IMMEDIATE",
                busy_timeout_ms=0,
                turns=self._turns,
                writes_to=self.sqlite_file,
            )
            _configure_sqlite(self.reader, begin="BEGIN", busy_timeout_ms=busy_timeout_ms)
            engines = [self.writer, self.reader]
        else:
            self.writer = create_async_engine(
                url,
                pool_size=settings.database_pool_size,
                max_overflow=settings.database_pool_size,
                pool_pre_ping=True,
                pool_timeout=settings.database_pool_timeout_seconds,
                hide_parameters=True,
            )
            self.reader = self.writer
            engines = [self.writer]
        for engine in engines:
            _install_statement_counter(engine.sync_engine)
        self._write_sessions = async_sessionmaker(
            self.writer, expire_on_commit=False, sync_session_class=_WriteSession
        )
        self._read_sessions = async_sessionmaker(self.reader, expire_on_commit=False)
        self.raw = RawReader(
            url,
            pool_size=settings.database_pool_size,
            busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            on_statement=_note_statement,
        )
        self._listeners: dict[str, list[AfterCommit]] = {}

    def on_signal(self, signal: str, listener: AfterCommit) -> None:
        """Call `listener` after each commit in this process that emits `signal` ("events"
        when events were recorded, "jobs" when jobs were enqueued)."""
        self._listeners.setdefault(signal, []).append(listener)

    def emit(self, signal: str) -> None:
        for listener in self._listeners.get(signal, ()):
            listener()

    @property
    def dialect(self) -> str:
        return self.writer.dialect.name

    async def write_refused(self, code: str) -> None:
        """A write failed for a reason `database_failure` names `code`. A lack of storage is
        remembered for /readyz. An SQLite connection that opened the file while it was
        read-only stays read-only: drop it, so writes work again once the file is writable."""
        if code == "database_storage_failed":
            self._storage_failed_at = utcnow()
        elif code == "database_read_only" and self.is_sqlite:
            await self.writer.dispose()

    def note_write_stored(self) -> None:
        self._storage_failed_at = None

    async def readiness(self) -> str:
        """The database's state for /readyz: "ok", or why it cannot take writes: "read-only"
        (PostgreSQL in recovery or read-only; an SQLite file, journal or folder that cannot be
        written), "disk-full" (SQLite's disk) or "storage-failed" (a write failed for lack of
        storage within STORAGE_FAILURE_MEMORY and no new row has been stored since). Raises when
        the database cannot be reached. One round trip and a few file-system calls, no write:
        load balancers call it often."""
        async with self.transaction(write=False) as session:
            if self.is_sqlite:
                await session.execute(text("SELECT 1"))
            else:
                in_recovery, read_only = (
                    await session.execute(
                        text("SELECT pg_is_in_recovery(), current_setting('transaction_read_only')")
                    )
                ).one()
                if in_recovery or read_only == "on":
                    return "read-only"
        if self.sqlite_file is not None:
            problem = _sqlite_storage(self.sqlite_file)
            if problem is not None:
                return problem
        failed_at = self._storage_failed_at
        if failed_at is not None and utcnow() - failed_at < STORAGE_FAILURE_MEMORY:
            return "storage-failed"
        return "ok"

    async def dispose(self) -> None:
        await self.raw.close()
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()
        if self._turns is not None:
            self._turns.close()

    def session(self, *, write: bool) -> AsyncSession:
        session = (self._write_sessions if write else self._read_sessions)()
        session.info["database"] = self
        return session

    @asynccontextmanager
    async def transaction(self, *, write: bool = True) -> AsyncIterator[AsyncSession]:
        """A unit of work outside a request (CLI, jobs, login): commit on success."""
        async with self.session(write=write) as session:
            try:
                yield session
                await commit(session)
            except BaseException:
                await session.rollback()
                raise


def on_before_commit(session: AsyncSession, key: str, hook: BeforeCommit) -> None:
    """Run `hook` once, inside the transaction, right before it commits."""
    hooks: dict[str, BeforeCommit] = session.info.setdefault("before_commit", {})
    hooks.setdefault(key, hook)


def on_after_commit(session: AsyncSession, key: str, hook: AfterCommit) -> None:
    """Run `hook` once after the transaction commits; never when it rolls back."""
    hooks: dict[str, AfterCommit] = session.info.setdefault("after_commit", {})
    hooks.setdefault(key, hook)


def emit_after_commit(session: AsyncSession, signal: str) -> None:
    """Emit `signal` on the session's database once the transaction commits."""
    database = session.info.get("database")
    if isinstance(database, Database):
        on_after_commit(session, f"signal:{signal}", lambda: database.emit(signal))


async def commit(session: AsyncSession) -> None:
    hooks: dict[str, BeforeCommit] = session.info.pop("before_commit", {})
    for hook in hooks.values():
        await hook(session)
    after: dict[str, AfterCommit] = session.info.pop("after_commit", {})
    await session.commit()
    if session.info.pop("wrote", False):
        database = session.info.get("database")
        if isinstance(database, Database):
            database.note_write_stored()
    for done in after.values():
        done()


RAW_DRIVER_ERRORS: tuple[type[Exception], ...] = (
    sqlite3.Error,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)
"""What the drivers raise on raw reads (tasklane.kit.rawsql), not wrapped by SQLAlchemy."""


def is_connection_error(exc: BaseException) -> bool:
    """True when the database could not be reached, as opposed to a statement failing."""
    return isinstance(exc, OSError | asyncpg.PostgresConnectionError | asyncpg.InterfaceError) or (
        isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)
    )


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session. Safe methods read; others write. Commit happens once, after the
    handler and its serialisation succeed and before the response is sent (scope="function")."""
    db: Database = request.app.state.runtime.db
    session = db.session(write=request.method not in SAFE_METHODS)
    request.state.session = session
    try:
        yield session
        await commit(session)
    except (OSError, DBAPIError) as exc:
        await session.rollback()
        if is_connection_error(exc):
            raise ServiceUnavailable("The database is not reachable; try again shortly.") from exc
        raise
    except BaseException:
        await session.rollback()
        raise
    finally:
        await session.close()


DbSession = Annotated[AsyncSession, Depends(get_session, scope="function")]


# --- database failures at the HTTP boundary ---------------------------------------------------

_log = structlog.get_logger(__name__)


RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
"""PostgreSQL's deadlock_detected and serialization_failure: the transaction lost a race and
changed nothing; the same request, run again from the start, may well succeed."""


def _driver_error(exc: BaseException) -> BaseException | None:
    """The driver's own exception: SQLAlchemy's wraps it; raw reads raise it as it is."""
    return exc if isinstance(exc, RAW_DRIVER_ERRORS) else getattr(exc, "orig", None)


def _sqlstate(exc: BaseException) -> str:
    return str(getattr(_driver_error(exc), "sqlstate", "") or "")


def is_retryable(exc: BaseException) -> bool:
    """True when `exc` is a transaction that lost a race (deadlock, serialization failure)."""
    return isinstance(exc, DBAPIError) and _sqlstate(exc) in RETRYABLE_SQLSTATES


def database_failure(exc: BaseException) -> TasklaneError | None:
    """The problem to answer when `exc` says the database could not serve the request rather
    than that a statement was wrong: 503 when it cannot serve at all (unreachable or
    restarting, read-only, out of disk, SQLite still locked after its busy timeout), 409
    `conflict` when the transaction lost a race with another one (and was retried, see
    RetryTransactions, as often as allowed); else None."""
    if is_connection_error(exc):
        return ServiceUnavailable("The database is not reachable; try again shortly.")
    if isinstance(exc, PoolTimeout):  # this process's connections all busy for too long
        return ServiceUnavailable(
            "The database is busy with other requests; try again shortly.",
            code="database_busy",
        )
    orig = _driver_error(exc)
    sqlite_error = str(getattr(orig, "sqlite_errorname", "") or "")
    sqlstate = _sqlstate(exc)
    if is_retryable(exc):
        return Conflict(
            "The change collided with a concurrent change; nothing was saved. Try again.",
            code="conflict",
        )
    if sqlite_error.startswith("SQLITE_BUSY") or (
        isinstance(orig, Exception) and "database is locked" in str(orig)
    ):
        return ServiceUnavailable(
            "The database is busy with other writes; nothing was saved. Try again shortly.",
            code="database_busy",
        )
    if sqlite_error.startswith("SQLITE_READONLY") or sqlstate == "25006":
        return ServiceUnavailable(
            "The database is read-only; nothing was saved.", code="database_read_only"
        )
    if (
        sqlite_error == "SQLITE_FULL"
        or sqlite_error.startswith("SQLITE_IOERR")
        or sqlstate == "53100"
    ):
        return ServiceUnavailable(
            "The database could not store the change (its disk is full or failing); "
            "nothing was saved.",
            code="database_storage_failed",
        )
    if sqlite_error == "SQLITE_CANTOPEN" or sqlstate.startswith(("08", "53", "57P")):
        return ServiceUnavailable("The database is not reachable; try again shortly.")
    return None


def install_database_errors(app: FastAPI) -> None:
    """Answer 503 problem documents instead of 500s when a request fails because the database
    cannot serve it. `get_session` maps connection errors of the request's own session; this
    covers the rest: sign-in, refresh and password changes run their own short transactions,
    and read-only or full storage shows up as a statement error."""

    async def handler(request: Request, exc: Exception) -> Response:
        failure = database_failure(exc)
        if failure is None:
            raise exc
        # The driver's message only: SQLAlchemy's text would add the statement's parameters.
        reason = _driver_error(exc) or exc
        error = f"{type(reason).__name__}: {reason}"
        if is_retryable(exc):
            attempt = request.scope.get(RETRY_SCOPE_KEY)
            if isinstance(attempt, _Attempt):
                attempt.lost_race = True
            _log.warning("transaction_conflict", code=_sqlstate(exc), error=error)
        else:
            runtime = getattr(request.app.state, "runtime", None)
            if runtime is not None:
                await runtime.db.write_refused(failure.code)
            _log.error("database_unavailable", code=failure.code, error=error)
        return problem_response(
            request,
            status=failure.status,
            code=failure.code,
            title=failure.title,
            detail=failure.detail,
        )

    app.add_exception_handler(DBAPIError, handler)
    app.add_exception_handler(PoolTimeout, handler)
    for error in RAW_DRIVER_ERRORS:
        app.add_exception_handler(error, handler)
    app.add_exception_handler(ConnectionError, handler)
    app.add_exception_handler(TimeoutError, handler)


# --- retrying a request whose transaction lost a race -----------------------------------------

RETRY_SCOPE_KEY = "tasklane.transaction_attempt"
TRANSACTION_ATTEMPTS = 4
"""How often a write request runs when its transaction keeps losing races (deadlock,
serialization failure) before it is answered 409 `conflict`."""
MAX_REPLAYED_BODY = 1024 * 1024
"""Larger request bodies are not kept for a second run: such a request runs once."""


class _Attempt:
    __slots__ = ("lost_race",)

    def __init__(self) -> None:
        self.lost_race = False


class RetryTransactions:
    """Run a write request again, from the start, when its transaction lost a race.

    Our writes lock in one global order (docs/architecture.md, "Locking"), so they do not
    deadlock each other; this is the backstop for what that order cannot see (foreign-key
    checks, other processes' maintenance, a missed case). A lost race rolls the whole
    transaction back (domain rows, events, idempotency record: they share it) before the
    error handler answers; this middleware notices that answer before it is sent, drops it,
    and replays the request (same body, fresh session) after a short random pause. The last
    attempt's 409 `conflict` goes to the client. Nothing reaches the client, or leaves the
    process, from a dropped attempt: events are published only after a commit."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        attempts: int = TRANSACTION_ATTEMPTS,
        max_body: int = MAX_REPLAYED_BODY,
    ) -> None:
        self.app = app
        self.attempts = attempts
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                message = await receive()
            except Exception as exc:
                # A limit refused the body while it streamed in: the app reads up to the same
                # refusal, so its error handlers answer it as usual.
                read: list[Message] = [
                    {"type": "http.request", "body": b"".join(chunks), "more_body": True}
                ]
                await self.app(scope, _replay(read, _raise(exc)), send)
                return
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)  # a disconnect
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if not message.get("more_body", False):
                break
            if size > self.max_body:
                head: list[Message] = [
                    {"type": "http.request", "body": b"".join(chunks), "more_body": True}
                ]
                await self.app(scope, _replay(head, receive), send)
                return
        body = b"".join(chunks)
        for number in range(1, self.attempts + 1):
            attempt = _Attempt()
            attempt_scope = {**scope, RETRY_SCOPE_KEY: attempt}
            last = number == self.attempts
            dropped = False

            async def send_attempt(
                message: Message, attempt: _Attempt = attempt, last: bool = last
            ) -> None:
                nonlocal dropped
                if message["type"] == "http.response.start" and attempt.lost_race and not last:
                    dropped = True
                if not dropped:
                    await send(message)

            request: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
            await self.app(attempt_scope, _replay(request, receive), send_attempt)
            if not dropped:
                # Outer middleware reads what routing wrote into the scope (the route).
                scope.update({k: v for k, v in attempt_scope.items() if k != RETRY_SCOPE_KEY})
                return
            _log.info("transaction_retry", attempt=number)
            # Jitter, so the transactions that collided do not meet again at once.
            await asyncio.sleep(random.uniform(0.005, 0.03) * number)  # noqa: S311


def _raise(exc: Exception) -> Receive:
    async def receive() -> Message:
        raise exc

    return receive


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A receive channel that gives `messages` first, then the client's own."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
