"""A whole installation, every table as it is: copied into another database (`tasklane
migrate-to`), or written to and read from an installation archive (a PostgreSQL backup where
pg_dump is missing).

The target must be migrated and empty. The rows go in one transaction, parents' tables first;
then what each database keeps for itself is set from them: PostgreSQL's event counter and
serial sequences. The task-transition rows the target's trigger writes for each copied task are
replaced by the source's. The full-text index is the target's own (triggers on SQLite,
generated columns on PostgreSQL), so it is built as the rows go in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Integer, Table, delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane import __version__
from tasklane.archive import codec
from tasklane.archive.fileformat import ArchiveError, ArchiveReader, ArchiveWriter
from tasklane.archive.rows import CHUNK, Progress, no_progress, write_rows
from tasklane.archive.workspace import ImportRefused, schema_revision
from tasklane.db import Database
from tasklane.kit.clock import utcnow
from tasklane.models import Base

KEPT_BY_TARGET = ("counters",)
"""Tables the migrations fill: the target's rows are replaced by the source's."""


@dataclass(slots=True)
class CopyReport:
    rows: dict[str, int] = field(default_factory=dict)
    event_head: int = 0


def tables() -> list[Table]:
    return list(Base.metadata.sorted_tables)


async def _count(session: AsyncSession, table: Table) -> int:
    return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def event_head(session: AsyncSession) -> int:
    events = Base.metadata.tables["events"]
    return int(await session.scalar(select(func.coalesce(func.max(events.c.seq), 0))) or 0)


async def counts(db: Database) -> dict[str, int]:
    async with db.transaction(write=False) as session:
        return {t.name: await _count(session, t) for t in tables()}


async def ensure_empty(session: AsyncSession) -> None:
    if await _revision(session) is None:
        raise ImportRefused("the target database is not migrated")
    holding = [
        t.name for t in tables() if t.name not in KEPT_BY_TARGET and await _count(session, t)
    ]
    if holding:
        raise ImportRefused(
            f"the target database is not empty ({', '.join(holding[:5])} hold rows): "
            "use a new, empty database"
        )


async def _revision(session: AsyncSession) -> str | None:
    return await (await session.connection()).run_sync(schema_revision)


async def _source_batches(
    session: AsyncSession, table: Table
) -> AsyncIterator[list[dict[str, Any]]]:
    result = await session.stream(
        select(table).order_by(*table.primary_key).execution_options(yield_per=CHUNK)
    )
    async for partition in result.mappings().partitions(CHUNK):
        yield [dict(row) for row in partition]


async def copy_installation(
    source: Database, target: Database, progress: Progress = no_progress
) -> CopyReport:
    """Copy every row of `source` into the empty, migrated `target`, then check that the
    row counts and the event log's head agree."""
    async with source.transaction(write=False) as reading:
        if source.dialect == "postgresql":
            await reading.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        if await _revision(reading) != await _target_revision(target):
            raise ImportRefused(
                "the two databases are at different migrations: run `tasklane migrate` on "
                "the source first"
            )
        expected = {t.name: await _count(reading, t) for t in tables()}
        head = await event_head(reading)
        async with target.transaction() as writing:
            await ensure_empty(writing)
            for table in tables():
                await _prepare(writing, table)
                await write_rows(
                    writing,
                    table,
                    _source_batches(reading, table),
                    progress=progress,
                    total=expected[table.name],
                )
            await _after_load(writing)
    report = CopyReport(rows=await counts(target))
    async with target.transaction(write=False) as session:
        report.event_head = await event_head(session)
    differ = [n for n, c in expected.items() if report.rows.get(n) != c]
    if differ or report.event_head != head:
        raise ArchiveError(
            f"the copy does not match the source: tables {differ}, event head "
            f"{report.event_head} (source {head})"
        )
    return report


async def _target_revision(db: Database) -> str | None:
    async with db.transaction(write=False) as session:
        return await _revision(session)


async def _prepare(session: AsyncSession, table: Table) -> None:
    if table.name in KEPT_BY_TARGET or table.name == "task_transitions":
        # Filled by the migrations (counters) or by the trigger on the tasks just copied.
        await session.execute(delete(table))


async def _after_load(session: AsyncSession) -> None:
    """What the target numbers itself, set from the copied rows (PostgreSQL)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    head = await event_head(session)
    counter = Base.metadata.tables["counters"]
    found = await session.scalar(select(counter.c.value).where(counter.c.name == "events"))
    if found is None:
        await session.execute(counter.insert().values(name="events", value=head))
    elif found < head:
        await session.execute(counter.update().where(counter.c.name == "events").values(value=head))
    for table in tables():
        key = list(table.primary_key)
        if len(key) == 1 and isinstance(key[0].type, Integer) and key[0].autoincrement is True:
            column = key[0]
            latest = func.greatest(select(func.max(column)).scalar_subquery(), 1)
            sequence = func.pg_get_serial_sequence(table.name, column.name)
            await session.execute(select(func.setval(sequence, latest)))


# --- installation archives ----------------------------------------------------------------


async def dump_installation(
    db: Database, out: Path, progress: Progress = no_progress
) -> dict[str, Any]:
    """Every table of the installation to an archive (no files: backups copy those)."""
    writer = ArchiveWriter(out)
    try:
        async with db.transaction(write=False) as session:
            if db.dialect == "postgresql":
                await session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            for table in tables():
                columns = codec.kinds(table)
                total = await _count(session, table)
                out_table, handle = writer.table(table.name)
                with handle:
                    done = 0
                    async for batch in _source_batches(session, table):
                        for row in batch:
                            out_table.write(codec.encode_row(columns, row))
                        done += len(batch)
                        progress(table.name, done, total)
            revision = await _revision(session)
        return writer.finish(
            {
                "kind": "installation",
                "tasklane": __version__,
                "schema": revision,
                "source": db.dialect,
                "created_at": utcnow().isoformat(),
            },
            [t.name for t in tables()],
        )
    finally:
        writer.discard()


async def load_installation(
    db: Database, archive: Path, progress: Progress = no_progress
) -> CopyReport:
    """An installation archive into the empty, migrated `db`, all or nothing."""
    reader = ArchiveReader(archive)
    try:
        if reader.manifest.get("kind") != "installation":
            raise ImportRefused("this is a workspace archive: use `tasklane import`")
        known = {t.name: t for t in tables()}
        async with db.transaction() as session:
            await ensure_empty(session)
            for kind, name, stream in reader.members():
                if kind != "table" or name not in known:
                    raise ArchiveError(f"unexpected {kind} {name!r} in an installation archive")
                table = known[name]
                await _prepare(session, table)
                await write_rows(
                    session,
                    table,
                    _batched(reader.rows(stream, codec.kinds(table))),
                    progress=progress,
                    total=reader.manifest["tables"][name]["rows"],
                )
            reader.check_complete()
            await _after_load(session)
    finally:
        reader.close()
    report = CopyReport(rows=await counts(db))
    async with db.transaction(write=False) as session:
        report.event_head = await event_head(session)
    expected = {n: t["rows"] for n, t in reader.manifest["tables"].items()}
    differ = [n for n, c in expected.items() if report.rows.get(n) != c]
    if differ:
        raise ArchiveError(f"the restored tables do not match the archive: {differ}")
    return report


async def _batched(rows: Iterator[dict[str, Any]]) -> AsyncIterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    yield batch
