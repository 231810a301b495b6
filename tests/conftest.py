"""Fixtures: every test gets a fresh, fully migrated database, on SQLite and on PostgreSQL.

SQLite: a migrated template file is copied per test. PostgreSQL: a migrated template database
is cloned per test with CREATE DATABASE ... TEMPLATE. PostgreSQL tests are skipped when no
server answers, except under CI=true, where that is a failure.

A world that many tests start from (the authorisation table's, or a folder's `board`) is made
once per test process and backend, through the API, and then copied for each test in the same
way (`PreparedDatabases`): each test still has a database of its own.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import os
import shutil
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from tasklane.app import create_app
from tasklane.config import Environment, Settings
from tasklane.db import Database
from tasklane.migrate import upgrade
from tests import routecache
from tests.factories import Board, expect, make_board

routecache.install()

PG_ADMIN_URL = os.environ.get(
    "TASKLANE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
_counter = itertools.count()


def _asyncpg_url(url: str, database: str) -> str:
    base = url.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{database}"


async def _pg_admin(*statements: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def pg_admin(*statements: str) -> None:
    asyncio.run(_pg_admin(*statements))


async def _pg_contents(database: str) -> dict[str, list[str]]:
    """Everything a call to the API can change in a PostgreSQL database: the rows of every
    table and the position of every sequence."""
    conn = await asyncpg.connect(f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{database}", timeout=5)
    try:
        contents: dict[str, list[str]] = {}
        tables = await conn.fetch(
            "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables"
            " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        )
        for (table,) in tables:
            rows = await conn.fetch(f"SELECT * FROM {table}")  # noqa: S608 - a quoted name
            contents[table] = sorted(repr(tuple(row)) for row in rows)
        sequences = await conn.fetch(
            "SELECT format('%I.%I', schemaname, sequencename), last_value FROM pg_sequences"
        )
        for sequence, position in sequences:
            contents[sequence] = [repr(position)]
        return contents
    finally:
        await conn.close()


def pg_contents(database: str) -> dict[str, list[str]]:
    return asyncio.run(_pg_contents(database))


SPARE_CLONES = 2
"""Clones of a template made ahead of the tests that will take them."""


class _Clones:
    """PostgreSQL clones made ahead (SPARE_CLONES), and dropped after their test, on a
    background thread.

    CREATE DATABASE ... TEMPLATE and DROP DATABASE took 100-350 ms a test here, mostly in the
    server (copying and syncing 8 MB of catalogs); this way they overlap with the tests before
    instead of delaying the next one (two ahead: a run of tests that each take one, as the
    authorisation table's successful writes do, outpaces one). Each test still gets a fresh
    clone of the template it asks for, or, where it asks for a `reusable` one, a clone that
    holds exactly what a fresh one holds.
    """

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-clones")
        self._spares: dict[str, deque[Future[str]]] = defaultdict(deque)
        self._failures: list[str] = []
        self._fresh: dict[str, dict[str, list[str]]] = {}
        """What a fresh clone of each source of reusable clones holds (pg_contents)."""
        self._kept: dict[str, str] = {}
        """A clone of each source that a test gave back holding just that."""

    @staticmethod
    def _create(source: str) -> str:
        name = f"{source}_{os.getpid()}_{next(_counter)}"
        pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        return name

    def _drop(self, name: str) -> None:
        try:
            pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except (OSError, asyncpg.PostgresError) as exc:  # reported by check(), not lost
            self._failures.append(f"{name}: {type(exc).__name__}: {exc}")

    def take(self, source: str, *, reusable: bool = False) -> str:
        """A new clone of `source` (its name); the caller gives it back with `release`.

        `reusable`: the caller changes the database only through the API (no schema or
        database settings), so a clone that an earlier such test gave back holding what a fresh
        clone holds (every row, every sequence) is as good as a fresh one, and is taken first.
        """
        if reusable and (kept := self._kept.pop(source, None)) is not None:
            return kept
        spares = self._spares[source]
        name = spares.popleft().result() if spares else self._create(source)
        while len(spares) < SPARE_CLONES:
            spares.append(self._thread.submit(self._create, source))
        if reusable and source not in self._fresh:
            self._fresh[source] = pg_contents(name)
        return name

    def release(self, name: str, *, source: str | None = None) -> None:
        """Drop the clone; with the `source` of a `reusable` clone, keep it for the next
        reusable take of that source instead when it still holds what a fresh clone holds."""
        if (
            source is not None
            and source not in self._kept
            and pg_contents(name) == self._fresh[source]
        ):
            self._kept[source] = name
            return
        self._thread.submit(self._drop, name)

    def forget(self, source: str) -> None:
        """Call before dropping `source`: waits for the clones in progress and drops the
        spares and the kept clone."""
        for spare in self._spares.pop(source, ()):
            if spare.exception() is None:
                self._drop(spare.result())
        kept = self._kept.pop(source, None)
        if kept is not None:
            self._drop(kept)
        self._fresh.pop(source, None)

    def check(self) -> None:
        """Wait for the drops queued so far; fail if one of them failed."""
        self._thread.submit(lambda: None).result()
        failures, self._failures = self._failures, []
        assert not failures, f"could not drop test databases: {failures}"


_clones = _Clones()


def drop_template(name: str) -> None:
    """Drop a PostgreSQL database that tests were cloned from (see _Clones)."""
    _clones.forget(name)
    _clones.check()
    pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_available() -> str | None:
    try:
        pg_admin("SELECT 1")
    except (OSError, asyncpg.PostgresError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@pytest.fixture(scope="session")
def worker_tag(worker_id: str) -> str:
    return worker_id.replace("gw", "w") if worker_id != "master" else "m"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "tasklane.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template(worker_tag: str) -> Iterator[str]:
    problem = _pg_available()
    if problem is not None:
        message = (
            f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({problem}). Start it, or point "
            "TASKLANE_TEST_POSTGRES_URL at a server where user can create databases."
        )
        if IN_CI:
            pytest.fail(message + " CI=true requires it.")
        pytest.skip(message)
    name = f"tasklane_tpl_{os.getpid()}_{worker_tag}"
    pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    upgrade(_asyncpg_url(PG_ADMIN_URL, name))
    yield name
    drop_template(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextmanager
def database_copy(
    backend: str, source: str | Path, folder: Path, *, reusable: bool = False
) -> Iterator[str]:
    """A fresh copy of a prepared database, dropped afterwards: `source` is an SQLite file
    (copied into `folder`) or a PostgreSQL template database (cloned). Yields its URL.

    `reusable` (PostgreSQL; copying an SQLite file costs less than checking it): the test
    changes the database only through the API, so it may get a clone that an earlier test gave
    back unchanged (see _Clones.take)."""
    if backend == "sqlite":
        target = folder / "tasklane.db"
        shutil.copyfile(source, target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    name = _clones.take(str(source), reusable=reusable)
    try:
        yield _asyncpg_url(PG_ADMIN_URL, name)
    finally:
        _clones.release(name, source=str(source) if reusable else None)


def migrated_template(backend: str, request: pytest.FixtureRequest) -> str | Path:
    """The empty, migrated database of `backend` that tests copy."""
    fixture = "sqlite_template" if backend == "sqlite" else "pg_template"
    source: str | Path = request.getfixturevalue(fixture)
    return source


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh copy of the migrated template; of the prepared board where `board` is copied."""
    source = migrated_template(backend, request)
    if "prepared_board" in request.fixturenames:
        prepared: Prepared[Board] | None = request.getfixturevalue("prepared_board")
        if prepared is not None:
            source = prepared.source
    with database_copy(backend, source, tmp_path) as url:
        yield url


def make_settings(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": Environment.TEST,
        "database_url": database_url,
        "data_dir": data_dir,
        "secret_key": "test-secret-key-that-is-long-enough-0123456789",
        # Real argon2id, with cheap parameters so hundreds of sign-ups stay fast.
        "password_hash_time_cost": 1,
        "password_hash_memory_kib": 1024,
        "password_hash_parallelism": 1,
        "login_failures_per_address": 1000,
        "signups_per_address": 100_000,
        # No background writers unless a test asks for the worker (tests/realtime, tests/worker).
        "run_worker": False,
        # Python's own collector thresholds in the test process: its thousands of apps
        # should not change when finalizers run (tests/test_gc_threshold.py sets them).
        "gc_young_threshold": 0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


# --- prepared databases: a world made once per process and backend, copied per test -------

T = TypeVar("T")
Build = Callable[[httpx.AsyncClient], Awaitable[T]]
"""Makes a world through the API of an app (a client of it); returns what tests refer to."""

PREPARED_MAX_AGE_SECONDS = 10 * 60
"""A prepared world is made again once it is older than this: the access tokens in it expire
after 15 minutes (Settings.access_token_minutes), and a run is longer than that."""


@dataclass
class Prepared(Generic[T]):
    source: str
    """The SQLite file or PostgreSQL database that `database_copy` copies for each test."""
    value: T
    """What the world's `build` returned: the ids, users and tokens tests refer to."""
    made_at: float  # time.monotonic()


async def _build_on(database_url: str, data_dir: Path, build: Build[T]) -> T:
    app = create_app(make_settings(database_url, data_dir))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await build(c)


class PreparedDatabases:
    """Worlds made once per test process, backend and name, by running `build` through the API
    of an app (with the plain test settings) on a copy of the migrated template. Tests copy
    them with `database_copy`, so each test's writes are still its own."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._made: dict[tuple[str, str], Prepared[Any]] = {}
        self._numbers = itertools.count()

    def get(self, backend: str, template: str | Path, name: str, build: Build[T]) -> Prepared[T]:
        made: Prepared[T] | None = self._made.get((backend, name))
        if made is not None and time.monotonic() - made.made_at < PREPARED_MAX_AGE_SECONDS:
            return made
        if made is not None:
            self._discard(backend, made)
        made = self._make(backend, template, f"{name}_{next(self._numbers)}", build)
        self._made[backend, name] = made
        return made

    def _make(self, backend: str, template: str | Path, name: str, build: Build[T]) -> Prepared[T]:
        data_dir = self._folder / f"{name}_data"
        if backend == "sqlite":
            path = self._folder / f"{name}.db"
            shutil.copyfile(template, path)
            source, url = str(path), f"sqlite+aiosqlite:///{path}"
        else:
            source = f"{template}_{name}"
            pg_admin(
                f'DROP DATABASE IF EXISTS "{source}" WITH (FORCE)',
                f'CREATE DATABASE "{source}" TEMPLATE "{template}"',
            )
            url = _asyncpg_url(PG_ADMIN_URL, source)
        value = asyncio.run(_build_on(url, data_dir, build))
        return Prepared(source, value, time.monotonic())

    @staticmethod
    def _discard(backend: str, made: Prepared[Any]) -> None:
        if backend == "sqlite":
            Path(made.source).unlink(missing_ok=True)
        else:
            drop_template(made.source)

    def close(self) -> None:
        for (backend, _), made in self._made.items():
            self._discard(backend, made)
        self._made.clear()


@pytest.fixture(scope="session")
def prepared_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PreparedDatabases]:
    prepared = PreparedDatabases(tmp_path_factory.mktemp("prepared"))
    yield prepared
    prepared.close()


@asynccontextmanager
async def another_process(
    database_url: str, data: Path, **overrides: object
) -> AsyncIterator[httpx.AsyncClient]:
    """Another app on the same database: as another `tasklane serve` process sees it."""
    app = create_app(make_settings(database_url, data, **overrides))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """Override in a test module to change settings for its app."""
    return {}


@pytest.fixture
def settings(database_url: str, tmp_path: Path, settings_overrides: dict[str, object]) -> Settings:
    return make_settings(database_url, tmp_path / "data", **settings_overrides)


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    """The test's database without an app: for services, jobs and the dispatcher."""
    db = Database(settings)
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


# --- the board ------------------------------------------------------------------------------

BOARD_NEUTRAL_SETTINGS = frozenset(
    {
        "webhook_allow_private",
        "webhook_retry_seconds",
        "webhook_timeout_seconds",
        "notification_coalesce_seconds",
        "smtp_url",
        "mail_from",
        "public_url",
    }
)
"""Settings that making a board does not read (sending webhooks and mail, folding
notifications), so a board made without them is the board a test with them would make."""


@pytest.fixture
def board_is_copied() -> bool:
    """Whether `board` is a copy of one made once per process and backend (`prepared_board`)
    instead of one made through the API for the test. Override it to return True in a folder
    whose tests start from a fresh board but do not test its making: the rows are the same,
    only older (by at most PREPARED_MAX_AGE_SECONDS), and written before the test's app
    started, so it did not see their events go by.
    """
    return False


@pytest.fixture
def prepared_board(
    backend: str,
    request: pytest.FixtureRequest,
    board_is_copied: bool,
    settings_overrides: dict[str, object],
    prepared_databases: PreparedDatabases,
) -> Prepared[Board] | None:
    """The board `board` copies, or None where each test makes its own: not copied in this
    folder, or the test changes a setting that making a board may read."""
    if not board_is_copied or not BOARD_NEUTRAL_SETTINGS.issuperset(settings_overrides):
        return None
    return prepared_databases.get(backend, migrated_template(backend, request), "board", make_board)


@pytest.fixture
async def board(client: httpx.AsyncClient, prepared_board: Prepared[Board] | None) -> Board:
    """A workspace with an owner and a member, and project ENG with the default workflow
    (tests.factories.make_board); the test's database is a copy of `prepared_board` if any."""
    if prepared_board is None:
        return await make_board(client)
    board = copy.deepcopy(prepared_board.value)
    # The app has seen both sign-ins, as when it makes the board: a test that counts a
    # request's statements gets no extra session check (auth.signedin).
    for user in (board.owner, board.member):
        expect(await client.get("/api/v1/users/me", headers=user.headers), 200)
    return board
