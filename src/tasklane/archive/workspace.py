"""A workspace out of one installation and into another (docs/archive.md).

Export reads one snapshot (a single read transaction) and writes every row the workspace
owns, its history included, the accounts those rows name without their credentials, and the
attachments' bytes. Import writes all of it in one transaction: on any error (a damaged
member, a clash) nothing is left behind, and files already stored are removed again.

What an import changes on the way in:
- accounts are matched by e-mail address: an existing account is used (and every reference
  to the archived one, in rows and in the event log's data, is rewritten to it); a new one
  is made without a password (it signs in by resetting it, or through single sign-on), and
  with another handle when its handle is taken;
- events take the next sequence numbers of the target's log, in their order; the positions
  that name them (a notification's, a webhook delivery's) move with them. The target's
  consumers skip them (their positions move past them in the same transaction): history is
  not sent again as notifications, webhooks or live updates;
- task transitions are numbered by the target (the rows the target's trigger wrote for the
  new tasks are replaced by the archived ones).
"""

from __future__ import annotations

import bisect
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from uuid import UUID

from sqlalchemy import Table, delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane import __version__
from tasklane.archive import codec
from tasklane.archive.fileformat import ArchiveError, ArchiveReader, ArchiveWriter
from tasklane.archive.rows import CHUNK, Progress, no_progress, write_rows
from tasklane.archive.tables import (
    OMITTED_COLUMNS,
    SEQUENCE_COLUMNS,
    TABLES,
    USERS,
    WORKSPACE,
    user_columns,
    workspace_tables,
)
from tasklane.attachments.storage import FILE, THUMBNAIL, Storage, object_key
from tasklane.audit import chain
from tasklane.db import Database
from tasklane.kit.clock import utcnow
from tasklane.kit.ids import new_id
from tasklane.models import ConsumerPosition, Counter
from tasklane.users.handles import free_handle

LAST = ("events", "notifications", "webhook_deliveries")
"""Written last and read last: the event log's numbers are taken at the end of an import, so
PostgreSQL's counter row (which every writer of events waits on) is held only briefly."""


class ImportRefused(Exception):
    """The archive cannot go into this installation as it is (a clash, a newer version)."""


class TryAgain(ImportRefused):
    """The target's worker has not handled its own events yet; a moment later it will have."""


def archive_order(tables: list[Table]) -> list[str]:
    names = [t.name for t in tables if t.name not in LAST]
    return names + [n for n in LAST if n in {t.name for t in tables}]


def schema_revision(connection: Any) -> str | None:
    row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
    return None if row is None else str(row[0])


async def _revision(session: AsyncSession) -> str | None:
    return await (await session.connection()).run_sync(schema_revision)


# --- export -------------------------------------------------------------------------------


async def export_workspace(
    db: Database,
    storage: Storage,
    slug: str,
    out: Path,
    progress: Progress = no_progress,
) -> dict[str, Any]:
    """Write workspace `slug` to the archive `out`; the manifest written."""
    writer = ArchiveWriter(out)
    try:
        async with db.transaction(write=False) as session:
            if db.dialect == "postgresql":
                await session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            workspaces = TABLES["workspaces"]
            found = (
                await session.execute(select(workspaces).where(workspaces.c.slug == slug))
            ).first()
            if found is None:
                raise ImportRefused(f"no workspace has the slug {slug!r}")
            workspace = found._mapping
            people: set[UUID] = set()
            attachments: list[tuple[UUID, bool]] = []
            tables = workspace_tables()
            for table in tables:
                if table.name == USERS:
                    continue
                rule = WORKSPACE[table.name]
                total = await session.scalar(
                    select(func.count()).select_from(table).where(rule(workspace["id"]))
                )
                progress(table.name, 0, total)
                names = user_columns(table)
                out_table, handle = writer.table(table.name)
                columns = _exported(table)
                with handle:
                    done = 0
                    query = select(table).where(rule(workspace["id"])).order_by(*table.primary_key)
                    async for batch in _batches(session, query):
                        for row in batch:
                            people.update(row[n] for n in names if row[n] is not None)
                            if table.name == "attachments" and row["state"] == "ready":
                                attachments.append((row["id"], bool(row["thumbnail"])))
                            out_table.write(codec.encode_row(columns, row))
                        done += len(batch)
                        progress(table.name, done, total)
            await _export_users(session, writer, people, progress)
            revision = await _revision(session)
        missing = await _export_files(storage, writer, attachments, progress)
        return writer.finish(
            {
                "kind": "workspace",
                "tasklane": __version__,
                "schema": revision,
                "source": db.dialect,
                "created_at": utcnow().isoformat(),
                "workspace": {
                    "id": str(workspace["id"]),
                    "slug": workspace["slug"],
                    "name": workspace["name"],
                },
                "missing_files": missing,
            },
            archive_order(tables),
        )
    finally:
        writer.discard()


def _exported(table: Table) -> dict[str, str]:
    omitted = OMITTED_COLUMNS.get(table.name, frozenset())
    return {n: k for n, k in codec.kinds(table).items() if n not in omitted}


async def _batches(session: AsyncSession, query: Any) -> AsyncIterator[list[Any]]:
    """Rows in batches from a server-side cursor in the caller's transaction (one snapshot),
    so memory stays bounded on any table."""
    result = await session.stream(query.execution_options(yield_per=CHUNK))
    async for partition in result.mappings().partitions(CHUNK):
        yield list(partition)


async def _export_users(
    session: AsyncSession, writer: ArchiveWriter, people: set[UUID], progress: Progress
) -> None:
    users = TABLES[USERS]
    columns = _exported(users)
    ordered = sorted(people)
    progress(USERS, 0, len(ordered))
    out_table, handle = writer.table(USERS)
    with handle:
        for start in range(0, len(ordered), CHUNK):
            ids = ordered[start : start + CHUNK]
            rows = await session.execute(
                select(users).where(users.c.id.in_(ids)).order_by(users.c.id)
            )
            for row in rows.mappings():
                out_table.write(codec.encode_row(columns, dict(row)))
            progress(USERS, start + len(ids), len(ordered))


async def _export_files(
    storage: Storage,
    writer: ArchiveWriter,
    attachments: list[tuple[UUID, bool]],
    progress: Progress,
) -> list[str]:
    keys = [object_key(FILE, a) for a, _ in attachments]
    keys += [object_key(THUMBNAIL, a) for a, thumb in attachments if thumb]
    missing: list[str] = []
    progress("files", 0, len(keys))
    for done, key in enumerate(keys, 1):
        member, handle = writer.file(key)
        try:
            with handle:
                async for chunk in storage.get(key):
                    member.digest.update(chunk)
                    handle.write(chunk)
        except FileNotFoundError:
            missing.append(key)
        except Exception as exc:
            if "NoSuchKey" not in type(exc).__name__ and "NoSuchKey" not in str(exc):
                raise
            missing.append(key)
        progress("files", done, len(keys))
    for key in missing:
        writer.drop_file(key)
    return missing


# --- import -------------------------------------------------------------------------------


@dataclass(slots=True)
class ImportResult:
    workspace_id: UUID
    slug: str
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    accounts_matched: int = 0
    accounts_created: int = 0
    handles_changed: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Import:
    session: AsyncSession
    storage: Storage
    users: dict[UUID, UUID] = field(default_factory=dict)
    """Archived account id -> the target's, where they differ."""
    old_seqs: list[int] = field(default_factory=list)
    base: int = 0
    project_ids: list[UUID] = field(default_factory=list)

    def seq(self, old: int | None) -> int | None:
        """Where an archived sequence number lands in the target's log: after the imported
        events up to and including it."""
        if old is None:
            return None
        return self.base + bisect.bisect_right(self.old_seqs, old)


async def import_workspace(
    db: Database,
    storage: Storage,
    archive: Path,
    *,
    slug: str | None = None,
    progress: Progress = no_progress,
) -> ImportResult:
    """Import a workspace archive into this installation, all or nothing."""
    reader = ArchiveReader(archive)
    stored: list[str] = []
    try:
        manifest = reader.manifest
        if manifest.get("kind") != "workspace":
            raise ImportRefused(
                "this is an installation archive: restore it with `tasklane restore`"
            )
        async with db.transaction() as session:
            await _check_schema(session, manifest)
            state = _Import(session, storage)
            result = await _import_rows(session, state, reader, manifest, slug, progress, stored)
            reader.check_complete()
            await chain.record(
                session,
                "workspace.imported",
                actor=None,
                workspace_id=result.workspace_id,
                address=None,
                details={"slug": result.slug, "rows": sum(result.rows.values())},
            )
        return result
    except BaseException:
        for key in stored:
            with contextlib.suppress(Exception):
                await storage.delete(key)
        raise
    finally:
        reader.close()


async def _check_schema(session: AsyncSession, manifest: dict[str, Any]) -> None:
    from tasklane.migrate import known_revision  # noqa: PLC0415 - alembic, on this path only

    archived = manifest.get("schema")
    if archived and not known_revision(str(archived)):
        raise ImportRefused(
            f"the archive was made by a newer Tasklane (schema {archived}): upgrade this one"
        )
    if await _revision(session) is None:
        raise ImportRefused("the database is not migrated: run `tasklane migrate` first")


async def _import_rows(
    session: AsyncSession,
    state: _Import,
    reader: ArchiveReader,
    manifest: dict[str, Any],
    slug: str | None,
    progress: Progress,
    stored: list[str],
) -> ImportResult:
    result: ImportResult | None = None
    tables_info = manifest.get("tables", {})
    for kind, name, stream in reader.members():
        if kind == "file":
            await _import_file(state.storage, name, stream, stored)
            if result is not None:
                result.files += 1
            progress("files", len(stored), len(manifest.get("files", {})))
            continue
        if name not in TABLES or (name not in WORKSPACE and name != USERS):
            raise ArchiveError(f"the archive holds table {name!r}, which this version lacks")
        table = TABLES[name]
        total = tables_info[name]["rows"]
        progress(name, 0, total)
        if name == USERS:
            rows = reader.rows(stream, codec.kinds(table))
            result = await _import_users(state, rows, manifest, progress, total)
            continue
        if result is None:
            raise ArchiveError("the archive has no accounts' table before its workspace")
        if name == "workspaces":
            await _claim_workspace(session, manifest, slug, result)
        rows = reader.rows(stream, codec.kinds(table))
        count = await _import_table(state, table, rows, result, progress, total)
        result.rows[name] = count
    if result is None or not result.rows.get("workspaces"):
        raise ArchiveError("the archive holds no workspace")
    return result


async def _import_file(storage: Storage, key: str, stream: IO[bytes], stored: list[str]) -> None:
    async def read(size: int) -> bytes:
        return stream.read(size)

    await storage.put(key, read, content_type="application/octet-stream")
    stored.append(key)


async def _import_users(
    state: _Import,
    rows: Iterator[dict[str, Any]],
    manifest: dict[str, Any],
    progress: Progress,
    total: int,
) -> ImportResult:
    session = state.session
    users = TABLES[USERS]
    workspace = manifest.get("workspace") or {}
    result = ImportResult(
        workspace_id=UUID(str(workspace.get("id"))), slug=str(workspace.get("slug"))
    )
    for done, row in enumerate(rows, 1):
        email = str(row["email"]).lower()
        existing = (
            await session.execute(select(users.c.id).where(func.lower(users.c.email) == email))
        ).first()
        if existing is not None:
            if existing[0] != row["id"]:
                state.users[row["id"]] = existing[0]
            result.accounts_matched += 1
        else:
            if await session.scalar(select(users.c.id).where(users.c.id == row["id"])):
                state.users[row["id"]] = new = new_id()
                row["id"] = new
            handle = row.get("handle")
            if handle and await session.scalar(select(users.c.id).where(users.c.handle == handle)):
                row["handle"] = await free_handle(session, handle[:27])
                result.handles_changed.append(f"@{handle} -> @{row['handle']}")
            row["password_hash"] = ""  # no password: reset it, or single sign-on
            await session.execute(insert(users), [row])
            result.accounts_created += 1
        progress(USERS, done, total)
    return result


async def _claim_workspace(
    session: AsyncSession, manifest: dict[str, Any], slug: str | None, result: ImportResult
) -> None:
    workspaces = TABLES["workspaces"]
    if await session.scalar(select(workspaces.c.id).where(workspaces.c.id == result.workspace_id)):
        raise ImportRefused(
            "this installation already has that workspace (same id): delete it first, or "
            "import into another installation"
        )
    wanted = slug or result.slug
    if await session.scalar(select(workspaces.c.id).where(workspaces.c.slug == wanted)):
        raise ImportRefused(
            f"the slug {wanted!r} is taken here: import with --slug to give it another"
        )
    result.slug = wanted


async def _import_table(
    state: _Import,
    table: Table,
    rows: Iterator[dict[str, Any]],
    result: ImportResult,
    progress: Progress,
    total: int,
) -> int:
    session = state.session
    if table.name == "events":
        state.base = await _take_sequence_numbers(session, total)
    if table.name == "task_transitions":
        # The target's trigger wrote one for each new task; the archive has the history.
        await session.execute(delete(table).where(table.c.project_id.in_(state.project_ids)))
    count = await write_rows(
        session, table, _batched(state, table, rows, result), progress=progress, total=total
    )
    if table.name == "events":
        await _skip_imported(session, state.base, count)
    return count


async def _batched(
    state: _Import, table: Table, rows: Iterator[dict[str, Any]], result: ImportResult
) -> AsyncIterator[list[dict[str, Any]]]:
    """The archived rows as this installation stores them: accounts and sequence numbers
    mapped, the workspace's slug as claimed."""
    columns = codec.kinds(table)
    people = user_columns(table)
    sequence = SEQUENCE_COLUMNS.get(table.name)
    batch: list[dict[str, Any]] = []
    for row in rows:
        if state.users:
            for name in people:
                if row.get(name) in state.users:
                    row[name] = state.users[row[name]]
            for name, kind in columns.items():
                if kind == "json" and row.get(name):
                    row[name] = _rewrite_ids(row[name], state.users)
        if table.name == "workspaces":
            row["slug"] = result.slug
        if sequence and sequence in row:
            if table.name == "events":
                state.old_seqs.append(row["seq"])
            row[sequence] = state.seq(row[sequence])
        if table.name == "projects":
            state.project_ids.append(row["id"])
        batch.append(row)
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    yield batch


def _rewrite_ids(value: Any, users: dict[UUID, UUID]) -> Any:
    """`value` (JSON) with every archived account id, where it stands as a whole string,
    replaced by the target's."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return str(users.get(UUID(value), value)) if len(value) == 36 else value
        return value
    if isinstance(value, list):
        return [_rewrite_ids(v, users) for v in value]
    if isinstance(value, dict):
        return {k: _rewrite_ids(v, users) for k, v in value.items()}
    return value


async def _take_sequence_numbers(session: AsyncSession, n: int) -> int:
    """The number before the `n` the imported events take, at the end of the target's log.
    PostgreSQL: from the counter row, held to the commit (events' writers wait). SQLite: the
    write transaction already excludes every other writer."""
    if session.get_bind().dialect.name == "postgresql":
        value = await session.scalar(
            update(Counter)
            .where(Counter.name == "events")
            .values(value=Counter.value + n)
            .returning(Counter.value)
        )
        if value is None:
            raise ImportRefused("the database has no event counter: run `tasklane migrate`")
        return int(value) - n
    events = TABLES["events"]
    return int(await session.scalar(select(func.coalesce(func.max(events.c.seq), 0))) or 0)


async def _skip_imported(session: AsyncSession, base: int, n: int) -> None:
    """Move every consumer that has handled the whole log past the imported events, so the
    history is not sent again. A consumer still behind refuses the import for now: moving it
    would skip events it has not handled."""
    if n == 0:
        return
    positions = (
        await session.execute(select(ConsumerPosition.name, ConsumerPosition.position))
    ).all()
    behind = [name for name, position in positions if position < base]
    if behind:
        raise TryAgain(
            f"the worker has not yet handled this installation's latest events "
            f"({', '.join(sorted(behind))}); try again in a few seconds"
        )
    await session.execute(
        update(ConsumerPosition)
        .where(ConsumerPosition.position >= base)
        .values(position=base + n, updated_at=utcnow())
    )
