"""Engines and the unit of work: one session per request, committed once, after the handler.

SQLite gets two engines: readers (plain `BEGIN`, many connections, WAL lets them run beside a
writer) and one writer connection that starts every transaction with `BEGIN IMMEDIATE`, so
concurrent writers queue in the pool instead of failing with "database is locked".
PostgreSQL uses one pooled engine for both.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import AsyncAdaptedQueuePool

from tasklane.config import Settings
from tasklane.errors import ServiceUnavailable

BeforeCommit = Callable[[AsyncSession], Awaitable[None]]
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


def _configure_sqlite(engine: AsyncEngine, settings: Settings, *, begin: str) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN, not the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # WAL + NORMAL: a process crash loses nothing committed; a power cut can lose the
        # last transactions. FULL costs about two thirds of write throughput here.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)


class Database:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        url = settings.resolved_database_url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            path = url.split("///", 1)[1] if "///" in url else ""
            if path:
                settings.data_dir.mkdir(parents=True, exist_ok=True)
            self.writer = create_async_engine(
                url, poolclass=AsyncAdaptedQueuePool, pool_size=1, max_overflow=0, pool_timeout=60
            )
            self.reader = create_async_engine(
                url,
                poolclass=AsyncAdaptedQueuePool,
                pool_size=settings.database_pool_size,
                max_overflow=0,
                pool_timeout=60,
            )
            _configure_sqlite(self.writer, settings, begin="BEGIN IMMEDIATE")
            _configure_sqlite(self.reader, settings, begin="BEGIN")
            engines = [self.writer, self.reader]
        else:
            self.writer = create_async_engine(
                url,
                pool_size=settings.database_pool_size,
                max_overflow=settings.database_pool_size,
                pool_pre_ping=True,
                pool_timeout=30,
            )
            self.reader = self.writer
            engines = [self.writer]
        for engine in engines:
            _install_statement_counter(engine.sync_engine)
        self._write_sessions = async_sessionmaker(self.writer, expire_on_commit=False)
        self._read_sessions = async_sessionmaker(self.reader, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.writer.dialect.name

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()

    def session(self, *, write: bool) -> AsyncSession:
        return (self._write_sessions if write else self._read_sessions)()

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


async def commit(session: AsyncSession) -> None:
    hooks: dict[str, BeforeCommit] = session.info.pop("before_commit", {})
    for hook in hooks.values():
        await hook(session)
    await session.commit()


def is_connection_error(exc: BaseException) -> bool:
    """True when the database could not be reached, as opposed to a statement failing."""
    return isinstance(exc, OSError) or (
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
