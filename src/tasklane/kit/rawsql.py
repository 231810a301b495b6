"""Hot reads without the ORM or SQLAlchemy's execution pipeline.

A statement is still built with SQLAlchemy Core (one builder for both databases, checked by
mypy), compiled once per dialect into `RawSQL`: the SQL text, how its parameters are passed,
and for each selected column how the driver's value becomes the JSON value the API shows.
`RawReader` runs it on the driver itself:

- SQLite: a few `sqlite3` connections of the process's own, used right on the event loop. In
  WAL mode a reader never waits for a writer, and the statements sent here are bounded reads
  served by an index, so each takes microseconds; a statement that may scan (substring
  search, a sort of a whole project) is sent with `slow=True` and runs in a thread instead.
  A block of statements shares one read transaction, so it sees one snapshot.
- PostgreSQL: an asyncpg pool of the reader's own (asyncpg is asynchronous already). Released
  connections are not reset with a round trip: nothing here changes session state. A
  connection found dead (the server restarted) is replaced and the read tried once more.

Statement counts and times go to the same counter as SQLAlchemy's (`on_statement`).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal
from uuid import UUID

import asyncpg
from sqlalchemy import Boolean, Date, Uuid
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import make_url
from sqlalchemy.sql import Select

from tasklane.kit.sqltypes import UTCDateTime

Dialect = Literal["sqlite", "postgresql"]
DIALECTS: tuple[Dialect, ...] = ("sqlite", "postgresql")
Convert = Callable[[Any], Any]

_DIALECTS = {
    "sqlite": SQLiteDialect_pysqlite(paramstyle="named"),
    "postgresql": PGDialect_asyncpg(),  # type: ignore[no-untyped-call]
}


def _sqlite_uuid(value: str) -> str:
    """SQLite keeps a UUID as 32 hex digits; the API shows the dashed form."""
    return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"


def _sqlite_timestamp(value: str) -> str:
    """SQLite keeps UTC timestamps as `YYYY-MM-DD HH:MM:SS.ffffff`; the API shows RFC 3339
    with `Z`, and no fraction when it is zero (as Pydantic writes a datetime)."""
    if value.endswith(".000000"):
        value = value[:-7]
    return f"{value[:10]}T{value[11:]}Z"


def _column_converter(type_: Any, dialect: Dialect) -> Convert | None:
    """How a selected column's driver value becomes its JSON value; None: as it is."""
    if isinstance(type_, Uuid):
        return _sqlite_uuid if dialect == "sqlite" else str
    if isinstance(type_, UTCDateTime) and dialect == "sqlite":
        return _sqlite_timestamp
    if isinstance(type_, Boolean) and dialect == "sqlite":
        return bool
    if isinstance(type_, Date) and dialect == "postgresql":
        return date.isoformat
    return None


def _driver_value(value: Any, dialect: Dialect) -> Any:
    """A parameter as the driver takes it (what SQLAlchemy's bind processors would do)."""
    if dialect == "postgresql":
        return value
    if isinstance(value, UUID):
        return value.hex
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given as a parameter")
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def timestamp(value: datetime | str) -> datetime:
    """A timestamp column of a converted raw row as a datetime: asyncpg gives one, and
    SQLite's text comes as the API writes it (RFC 3339 with `Z`, see `_sqlite_timestamp`)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


@dataclass(frozen=True, slots=True)
class RawSQL:
    """A compiled statement: run it with `RawConnection.fetch`."""

    text: str
    dialect: Dialect
    order: tuple[str, ...] | None
    """The parameters' names by position (PostgreSQL); None: passed by name (SQLite)."""
    defaults: dict[str, Any]
    """Values SQLAlchemy bound at build time (literals, LIMIT)."""
    converters: tuple[tuple[int, Convert], ...]
    """(column index, converter) for the columns whose values need one."""

    def params(self, values: dict[str, Any]) -> Any:
        merged = {**self.defaults, **values}
        if self.order is None:
            return {k: _driver_value(v, self.dialect) for k, v in merged.items()}
        return [merged[name] for name in self.order]

    def convert(self, rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
        """Rows with every value as the API shows it in JSON."""
        out = []
        converters = self.converters
        for row in rows:
            values = list(row)
            for i, convert in converters:
                value = values[i]
                if value is not None:
                    values[i] = convert(value)
            out.append(values)
        return out


def compile_raw(
    stmt: Select[*tuple[Any, ...]], dialect: Dialect, values: dict[str, Any] | None = None
) -> RawSQL:
    """Compile a Core SELECT; cache the result (per shape) where it is built. A statement
    with lists of values (`in_([...])`) takes one parameter per item, so it is compiled with
    its `values` bound (and is then good for those values only)."""
    compiled = stmt.compile(dialect=_DIALECTS[dialect])
    given = {
        name: None for name, bind in compiled.binds.items() if bind.required and bind.value is None
    }
    state = compiled.construct_expanded_state({**given, **(values or {})})
    columns = list(stmt.selected_columns)
    converters = tuple(
        (i, convert)
        for i, column in enumerate(columns)
        if (convert := _column_converter(column.type, dialect)) is not None
    )
    defaults = {k: v for k, v in state.parameters.items() if v is not None}
    order = tuple(state.positiontup or ()) if dialect == "postgresql" else None
    return RawSQL(
        text=state.statement,
        dialect=dialect,
        order=order,
        defaults=defaults,
        converters=converters,
    )


StatementListener = Callable[[str, Sequence[Any]], None]
_listeners: list[StatementListener] = []


def listen(listener: StatementListener) -> None:
    """Call `listener(text, positional parameters)` before each raw PostgreSQL statement
    (as SQLAlchemy's before_cursor_execute does for its own): tests read their plans."""
    _listeners.append(listener)


def unlisten(listener: StatementListener) -> None:
    _listeners.remove(listener)


class RawConnection:
    """One block's connection: `fetch` runs a statement and returns its rows with values as
    the API shows them."""

    def __init__(self, reader: RawReader, driver: Any) -> None:
        self._reader = reader
        self._driver = driver  # sqlite3.Connection, or asyncpg's pooled connection
        self.dialect = reader.dialect

    async def fetch(
        self, sql: RawSQL, values: dict[str, Any], *, slow: bool = False
    ) -> list[list[Any]]:
        """`slow`: the statement may scan many rows, so on SQLite it runs in a thread and the
        event loop stays free meanwhile."""
        started = time.perf_counter()
        params = sql.params(values)
        try:
            if self.dialect == "sqlite":
                if slow:
                    rows = await asyncio.to_thread(_sqlite_fetch, self._driver, sql.text, params)
                else:
                    try:
                        rows = _sqlite_fetch(self._driver, sql.text, params)
                    except sqlite3.OperationalError as exc:
                        if not _busy(exc):
                            raise
                        # Rare for a WAL reader (a checkpoint resetting the log, recovery):
                        # wait the full busy timeout, in a thread.
                        rows = await asyncio.to_thread(
                            _sqlite_patient_fetch,
                            self._driver,
                            sql.text,
                            params,
                            self._reader.busy_timeout_ms,
                        )
            else:
                for listener in _listeners:
                    listener(sql.text, params)
                try:
                    rows = await self._driver.fetch(sql.text, *params)
                except _DEAD_CONNECTION:
                    # The server restarted since this connection was opened. Reads run in
                    # autocommit, so another connection can take over mid-block.
                    self._driver = await self._reader._pg_replace(self._driver)
                    rows = await self._driver.fetch(sql.text, *params)
        finally:
            self._reader.on_statement(time.perf_counter() - started)
        return sql.convert(rows)


def _sqlite_fetch(connection: sqlite3.Connection, text: str, params: Any) -> list[Any]:
    return connection.execute(text, params).fetchall()


def _busy(exc: sqlite3.OperationalError) -> bool:
    return str(getattr(exc, "sqlite_errorname", "")).startswith("SQLITE_BUSY")


def ensure_wal(connection: Any, timeout_ms: float) -> None:
    """Put the database file in WAL mode, if it is not yet (`connection`: sqlite3's, or the
    driver adapter SQLAlchemy hands to a connect event). Processes that start side by side on a
    file that is not may all try: SQLite refuses the change while another connection holds a
    lock, without waiting for the busy timeout, so it is tried again until the file is in WAL
    mode (set by whichever came first) or `timeout_ms` has passed. Only a new file waits."""
    deadline = time.monotonic() + timeout_ms / 1000
    cursor = connection.cursor()
    try:
        while True:
            cursor.execute("PRAGMA journal_mode")
            if cursor.fetchone()[0] == "wal":
                return
            try:
                cursor.execute("PRAGMA journal_mode=WAL")
            except Exception as exc:  # sqlite3's, or the adapter's copy of it
                if "database is locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
    finally:
        cursor.close()


def _sqlite_patient_fetch(
    connection: sqlite3.Connection, text: str, params: Any, busy_timeout_ms: int
) -> list[Any]:
    connection.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    try:
        return connection.execute(text, params).fetchall()
    finally:
        connection.execute(f"PRAGMA busy_timeout={INLINE_BUSY_TIMEOUT_MS}")


INLINE_BUSY_TIMEOUT_MS = 50
"""How long a statement run on the event loop waits for a lock before it goes to a thread."""


_DEAD_CONNECTION = (
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.ConnectionFailureError,
    asyncpg.exceptions.InterfaceError,
    ConnectionError,
)


class RawReader:
    """The process's raw read connections: `async with reader.connection() as c`."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int,
        busy_timeout_ms: int,
        on_statement: Callable[[float], None],
    ) -> None:
        parsed = make_url(url)
        self.dialect: Dialect = "sqlite" if parsed.get_backend_name() == "sqlite" else "postgresql"
        self.on_statement = on_statement
        self._pool_size = pool_size
        self.busy_timeout_ms = busy_timeout_ms
        self._sqlite_path = parsed.database or ""
        self._sqlite_idle: list[sqlite3.Connection] = []
        self._sqlite_slots = asyncio.Semaphore(pool_size)
        self._watch: sqlite3.Connection | None = None
        self._watch_version: int | None = None
        self._pg_dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        self._pg_pool: asyncpg.Pool | None = None
        self._pg_starting = asyncio.Lock()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[RawConnection]:
        if self.dialect == "sqlite":
            async with self._sqlite() as connection:
                yield connection
        else:
            async with self._postgres() as connection:
                yield connection

    # --- SQLite ------------------------------------------------------------------------------

    def _sqlite_open(self) -> sqlite3.Connection:
        """A read connection (call it in a thread: it may wait for a lock)."""
        connection = sqlite3.connect(
            self._sqlite_path,
            isolation_level=None,  # the block's BEGIN and COMMIT are ours
            check_same_thread=False,  # used from the event loop and, for scans, a thread
            uri=self._sqlite_path.startswith("file:"),
        )
        connection.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
        # Readers run beside the writer only in WAL mode; a new database file may not be in
        # it yet if this is the first connection (the app's engines set it too).
        ensure_wal(connection, self.busy_timeout_ms)
        connection.execute("PRAGMA query_only=ON")
        # A WAL reader waits only in rare moments (the log being reset); on the event loop
        # such a wait holds everything else, so it is cut short there (see `fetch`).
        connection.execute(f"PRAGMA busy_timeout={INLINE_BUSY_TIMEOUT_MS}")
        return connection

    @asynccontextmanager
    async def _sqlite(self) -> AsyncIterator[RawConnection]:
        async with self._sqlite_slots:
            if self._sqlite_idle:
                driver = self._sqlite_idle.pop()
            else:
                driver = await asyncio.to_thread(self._sqlite_open)
            try:
                driver.execute("BEGIN")  # one snapshot for the block's statements
                yield RawConnection(self, driver)
            except BaseException:
                if driver.in_transaction:
                    driver.execute("ROLLBACK")
                raise
            else:
                driver.execute("COMMIT")
            finally:
                if driver.in_transaction:  # pragma: no cover - a failed ROLLBACK or COMMIT
                    driver.close()
                else:
                    self._sqlite_idle.append(driver)

    # --- PostgreSQL --------------------------------------------------------------------------

    async def _pg(self) -> asyncpg.Pool:
        if self._pg_pool is None:
            async with self._pg_starting:
                if self._pg_pool is None:
                    self._pg_pool = await asyncpg.create_pool(
                        self._pg_dsn, min_size=1, max_size=self._pool_size, reset=_no_reset
                    )
        return self._pg_pool

    @asynccontextmanager
    async def _postgres(self) -> AsyncIterator[RawConnection]:
        pool = await self._pg()
        connection = RawConnection(self, await pool.acquire())
        try:
            yield connection
        finally:
            await pool.release(connection._driver)

    async def _pg_replace(self, dead: Any) -> Any:
        pool = await self._pg()
        await pool.release(dead)
        return await pool.acquire()

    @property
    def watches_commits(self) -> bool:
        """Whether `committed_elsewhere` can tell (SQLite)."""
        return self.dialect == "sqlite"

    async def committed_elsewhere(self) -> bool:
        """SQLite: whether any other connection, of this process or another, committed since
        the previous call. `PRAGMA data_version` on a connection of its own answers that
        without touching a table (microseconds), so it can be asked many times a second."""
        if self._watch is None:
            self._watch = await asyncio.to_thread(self._sqlite_open)
        version = int(self._watch.execute("PRAGMA data_version").fetchone()[0])
        changed = self._watch_version is not None and version != self._watch_version
        self._watch_version = version
        return changed

    async def close(self) -> None:
        if self._watch is not None:
            self._watch.close()
            self._watch = None
        for connection in self._sqlite_idle:
            connection.close()
        self._sqlite_idle.clear()
        if self._pg_pool is not None:
            await self._pg_pool.close()
            self._pg_pool = None


async def _no_reset(connection: asyncpg.Connection) -> None:
    """Reads here leave no session state behind: no round trip on release. A transaction
    left open by a failure is rolled back."""
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")
