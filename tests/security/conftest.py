"""The two-workspace world (see world.py), built once per backend and copied per test."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PG_ADMIN_URL, _asyncpg_url, database_copy, drop_template, pg_admin
from tests.security.world import Template, W, build_world_db


@pytest.fixture(scope="session")
def sqlite_two_workspaces(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Template:
    folder = tmp_path_factory.mktemp("two-workspaces")
    path = folder / "world.db"
    shutil.copyfile(sqlite_template, path)
    world = asyncio.run(build_world_db(f"sqlite+aiosqlite:///{path}", folder / "data"))
    return Template("sqlite", str(path), world)


@pytest.fixture(scope="session")
def pg_two_workspaces(
    pg_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Template]:
    name = f"{pg_template}_two_ws"
    pg_admin(
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"',
    )
    folder = tmp_path_factory.mktemp("pg-two-workspaces")
    world = asyncio.run(build_world_db(_asyncpg_url(PG_ADMIN_URL, name), folder))
    yield Template("postgres", name, world)
    drop_template(name)


@pytest.fixture
def world_copy(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[str, W]]:
    """A fresh copy of the two-workspace database: (database url, world)."""
    fixture = "sqlite_two_workspaces" if backend == "sqlite" else "pg_two_workspaces"
    template: Template = request.getfixturevalue(fixture)
    with database_copy(backend, template.source, tmp_path) as url:
        yield url, template.world
