"""Fixtures: every test gets a fresh, fully migrated database, on SQLite and on PostgreSQL.

SQLite: a migrated template file is copied per test. PostgreSQL: a migrated template database
is cloned per test with CREATE DATABASE ... TEMPLATE. PostgreSQL tests are skipped when no
server answers, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

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
from tests.factories import Board, make_board

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


class _Clones:
    """PostgreSQL clones made one test ahead, and dropped after it, on a background thread.

    CREATE DATABASE ... TEMPLATE and DROP DATABASE took 100-350 ms a test here, mostly in the
    server (copying and syncing 8 MB of catalogs); this way they overlap with the previous
    test instead of delaying the next one. Each test still gets a fresh clone of the template
    it asks for.
    """

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-clones")
        self._spare: dict[str, Future[str]] = {}
        self._failures: list[str] = []

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

    def take(self, source: str) -> str:
        """A new clone of `source` (its name); the caller gives it back with `release`."""
        spare = self._spare.pop(source, None)
        name = spare.result() if spare is not None else self._create(source)
        self._spare[source] = self._thread.submit(self._create, source)
        return name

    def release(self, name: str) -> None:
        self._thread.submit(self._drop, name)

    def forget(self, source: str) -> None:
        """Call before dropping `source`: waits for a clone in progress and drops the spare."""
        spare = self._spare.pop(source, None)
        if spare is not None and spare.exception() is None:
            self._drop(spare.result())

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
def database_copy(backend: str, source: str | Path, folder: Path) -> Iterator[str]:
    """A fresh copy of a prepared database, dropped afterwards: `source` is an SQLite file
    (copied into `folder`) or a PostgreSQL template database (cloned). Yields its URL."""
    if backend == "sqlite":
        target = folder / "tasklane.db"
        shutil.copyfile(source, target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    name = _clones.take(str(source))
    try:
        yield _asyncpg_url(PG_ADMIN_URL, name)
    finally:
        _clones.release(name)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    fixture = "sqlite_template" if backend == "sqlite" else "pg_template"
    with database_copy(backend, request.getfixturevalue(fixture), tmp_path) as url:
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


@pytest.fixture
async def board(client: httpx.AsyncClient) -> Board:
    return await make_board(client)
