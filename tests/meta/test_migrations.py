"""Migrations: they build the whole schema on an empty database of each kind, the models
match what they build (no pending autogenerate changes), and they round-trip."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Connection, MetaData, String, Table, Text, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tasklane.migrate import alembic_config, include_object
from tasklane.models import Base


def _diff(connection: Connection, metadata: MetaData) -> list[Any]:
    opts = {"compare_type": True, "include_object": include_object}
    context = MigrationContext.configure(connection, opts=opts)
    return list(compare_metadata(context, metadata))


async def _schema_diff(url: str, metadata: MetaData = Base.metadata) -> list[Any]:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_diff, metadata)
    finally:
        await engine.dispose()


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url, poolclass=NullPool)
    query = (
        "SELECT name FROM sqlite_master WHERE type='table'"
        if url.startswith("sqlite")
        else "SELECT tablename FROM pg_tables WHERE schemaname='public'"
    )
    try:
        async with engine.connect() as connection:
            return set((await connection.execute(text(query))).scalars())
    finally:
        await engine.dispose()


async def test_models_match_the_migrated_schema(database_url: str) -> None:
    assert await _schema_diff(database_url) == []


async def test_downgrade_to_base_and_upgrade_again(database_url: str) -> None:
    config = alembic_config(database_url)
    await asyncio.to_thread(command.downgrade, config, "base")
    assert await _tables(database_url) <= {"alembic_version"}
    await asyncio.to_thread(command.upgrade, config, "head")
    assert set(Base.metadata.tables) <= await _tables(database_url)
    assert await _schema_diff(database_url) == []


def _add_column(comments: Table) -> None:
    comments.append_column(Column("pinned_note", Text, nullable=True))


def _change_column_type(comments: Table) -> None:
    comments.c.body.type = String(50)


@pytest.mark.parametrize(
    "drift",
    [
        pytest.param(_add_column, id="new-column"),
        pytest.param(_change_column_type, id="changed-type"),
    ],
)
async def test_the_check_sees_a_model_change_without_a_migration(
    database_url: str, drift: Callable[[Table], None]
) -> None:
    """Guards the guard: on a copy of the metadata, a drifted model must show up as a diff."""
    metadata = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(metadata)
    drift(metadata.tables["comments"])
    assert await _schema_diff(database_url, metadata) != []
