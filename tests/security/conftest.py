"""The two-workspace world (see world.py), built once per backend and copied per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PreparedDatabases, database_copy, migrated_template
from tests.security.world import W, build_world


@pytest.fixture
def world_copy(
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    prepared_databases: PreparedDatabases,
) -> Iterator[tuple[str, W]]:
    """A fresh copy of the two-workspace database: (database url, world)."""
    world = prepared_databases.get(
        backend, migrated_template(backend, request), "two_workspaces", build_world
    )
    with database_copy(backend, world.source, tmp_path) as url:
        yield url, world.value
