"""Migrations: they build the whole schema on an empty database of each kind, the models
match what they build (no pending autogenerate changes), and they round-trip."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tasklane.migrate import alembic_config
from tasklane.models import Base


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def _schema_diff(url: str) -> list[Any]:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_diff)
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
