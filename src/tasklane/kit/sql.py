"""SQL helpers that read the same on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_ignore(session: AsyncSession, model: Any, values: dict[str, Any]) -> bool:
    """Insert a row unless one with the same key exists, in one statement (a read then an
    insert would let two concurrent transactions both insert). True when a row was added."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = await session.execute(insert(model).values(values).on_conflict_do_nothing())
    return bool(getattr(result, "rowcount", 0))


def table(model: type[Any]) -> Table:
    """A model's table, for Core statements: through the session they skip the ORM's unit of
    work and bulk paths, which cost more than a write's statements themselves."""
    found = model.__table__
    assert isinstance(found, Table)
    return found
