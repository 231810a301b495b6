"""Writing rows into a table in batches, whatever order they come in."""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable
from typing import Any

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.archive.tables import self_references

CHUNK = 1000
"""Rows per INSERT (executemany) and per batch read."""

Progress = Callable[[str, int, int | None], None]
"""(what, done, total or None): called as work goes on, for a progress bar."""


def no_progress(_what: str, _done: int, _total: int | None) -> None:
    return None


async def write_rows(
    session: AsyncSession,
    table: Table,
    batches: AsyncIterable[list[dict[str, Any]]],
    *,
    progress: Progress = no_progress,
    total: int | None = None,
) -> int:
    """Insert every row; the number inserted. A column that names another row of the same
    table (a task's parent) is filled in once all the rows are in, so no order is needed;
    that UPDATE leaves `updated_at` as it was."""
    parents = self_references(table)
    later: dict[str, list[dict[str, Any]]] = {name: [] for name in parents}
    count = 0
    async for batch in batches:
        for row in batch:
            for name in parents:
                if row.get(name) is not None:
                    later[name].append({"_id": row["id"], "_value": row[name]})
                    row[name] = None
        if batch:
            await session.execute(insert(table), batch)
            count += len(batch)
            progress(table.name, count, total)
    kept = {c.name: c for c in table.columns if c.onupdate is not None}
    for name, pairs in later.items():
        for start in range(0, len(pairs), CHUNK):
            await session.execute(
                update(table)
                .where(table.c.id == bindparam("_id"))
                .values({name: bindparam("_value"), **kept}),
                pairs[start : start + CHUNK],
            )
    progress(table.name, count, total)
    return count
