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
from contextlib import contextmanager
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
from tests.factories import Board, make_board

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
    pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
    name = f"{source}_{os.getpid()}_{next(_counter)}"
    pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    try:
        yield _asyncpg_url(PG_ADMIN_URL, name)
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


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
