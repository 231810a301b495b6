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
  new tasks are replaced by the archived ones);
- a notification's `dedupe_key` that names an event (`event:<seq>`) names its new number.

A copy (`copy=<salt>`, what the API's imports do) gives every row but the accounts a new id,
derived from the old one and the salt, so the same archive imports again beside itself (into
the installation it came from, say), and nothing in the archive can name a row that is not
its own: every reference goes through the same mapping, to a row of the copy or to none.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Table, bindparam, delete, func, insert, select, text, update
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
from tasklane.attachments.storage import FILE, THUMBNAIL, Storage, attachment_of, object_key
from tasklane.audit import chain
from tasklane.db import Database
from tasklane.kit.clock import utcnow
from tasklane.kit.ids import new_id
from tasklane.models import ConsumerPosition, Counter, User
from tasklane.users.handles import free_handle
from tasklane.workspaces.schemas import SLUG_PATTERN
from tasklane.workspaces.service import free_slug, slug_reserved, slugify

if TYPE_CHECKING:
    from tasklane.auth.principal import Principal

LAST = ("events", "notifications", "webhook_deliveries")
"""Written last and read last: the event log's numbers are taken at the end of an import, so
PostgreSQL's counter row (which every writer of events waits on) is held only briefly."""


class ImportRefused(Exception):
    """The archive cannot go into this installation as it is (a clash, a newer version)."""


class TryAgain(ImportRefused):
    """The target's worker has not handled its own events yet; a moment later it will have."""


def copied_id(salt: UUID, old: UUID) -> UUID:
    """The id a row of an archive takes in a copy keyed by `salt`: the old id's first 8 bytes
    (a UUIDv7's time and sequence, so rows keep their order by id) and 8 of a keyed hash of
    it. Nobody who does not know the salt can make it name a row of their choosing."""
    tail = bytearray(hashlib.blake2b(old.bytes, key=salt.bytes, digest_size=8).digest())
    tail[0] = 0x80 | (tail[0] & 0x3F)  # the RFC 9562 variant
    return UUID(bytes=old.bytes[:8] + bytes(tail))


_SLUG = re.compile(SLUG_PATTERN)


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
    copy: UUID | None = None
    """The salt of a copy's new ids; None keeps the archive's."""
    users: dict[UUID, UUID] = field(default_factory=dict)
    """Archived account id -> the target's, where they differ."""
    archived_users: set[UUID] = field(default_factory=set)
    """Every account id the archive's accounts' table holds."""
    attachments: set[UUID] = field(default_factory=set)
    """The archived ids of the attachments imported: the only files the archive may hold."""
    old_seqs: list[int] = field(default_factory=list)
    base: int = 0
    project_ids: list[UUID] = field(default_factory=list)

    def seq(self, old: int | None) -> int | None:
        """Where an archived sequence number lands in the target's log: after the imported
        events up to and including it."""
        if old is None:
            return None
        return self.base + bisect.bisect_right(self.old_seqs, old)

    @property
    def maps_ids(self) -> bool:
        return self.copy is not None or bool(self.users)

    def ref(self, old: UUID) -> UUID:
        """The target's id for an id the archive names: an account's as matched, any other
        row's as the copy numbers it (the same, when not a copy)."""
        if old in self.archived_users:
            return self.users.get(old, old)
        if self.copy is not None:
            return copied_id(self.copy, old)
        return old


Finish = Callable[[AsyncSession, "ImportResult"], Awaitable[None]]
"""Runs in the import's transaction once every row is in (the API's: the uploader's
ownership, the import's record)."""


def check_workspace_manifest(manifest: dict[str, Any]) -> dict[str, str]:
    """The archived workspace's id, slug and name, from a manifest ArchiveReader accepted;
    ImportRefused for an installation archive, ArchiveError for a damaged manifest."""
    if manifest.get("kind") == "installation":
        raise ImportRefused("this is an installation archive: restore it with `tasklane restore`")
    if manifest.get("kind") != "workspace":
        raise ArchiveError("the manifest does not say what kind of archive this is")
    workspace = manifest.get("workspace")
    if not isinstance(workspace, dict) or not all(
        isinstance(workspace.get(k), str) for k in ("id", "slug", "name")
    ):
        raise ArchiveError("the manifest does not name its workspace")
    try:
        UUID(workspace["id"])
    except ValueError:
        raise ArchiveError("the manifest's workspace id is not a UUID") from None
    schema = manifest.get("schema")
    if schema is not None and not isinstance(schema, str):
        raise ArchiveError("the manifest's schema revision is not text")
    return {k: workspace[k] for k in ("id", "slug", "name")}


def newer_schema(manifest: dict[str, Any]) -> str | None:
    """The archive's schema revision when this Tasklane does not know it (a newer one made
    the archive)."""
    from tasklane.migrate import known_revision  # noqa: PLC0415 - alembic, on this path only

    archived = manifest.get("schema")
    if archived and not known_revision(str(archived)):
        return str(archived)
    return None


async def import_workspace(
    db: Database,
    storage: Storage,
    archive: Path,
    *,
    slug: str | None = None,
    progress: Progress = no_progress,
    copy: UUID | None = None,
    actor: Principal | User | None = None,
    finish: Finish | None = None,
    max_bytes: int | None = None,
    name: str | None = None,
) -> ImportResult:
    """Import a workspace archive into this installation, all or nothing.

    With `copy` (a salt), every row but the accounts gets a new id (`copied_id`), and when
    no `slug` is asked and the archive's is taken (or not one this version allows), the next
    free one like it is taken. `max_bytes` bounds what the archive holds uncompressed; `name`
    is what messages call the file."""
    reader = ArchiveReader(archive, name=name, max_bytes=max_bytes)
    stored: list[str] = []
    try:
        manifest = reader.manifest
        check_workspace_manifest(manifest)
        async with db.transaction() as session:
            await _check_schema(session, manifest)
            state = _Import(session, storage, copy=copy)
            result = await _import_rows(session, state, reader, manifest, slug, progress, stored)
            reader.check_complete()
            await chain.record(
                session,
                "workspace.imported",
                actor=actor,
                workspace_id=result.workspace_id,
                address=None,
                details={"slug": result.slug, "rows": sum(result.rows.values())},
            )
            if finish is not None:
                await finish(session, result)
        return result
    except BaseException:
        for key in stored:
            with contextlib.suppress(Exception):
                await storage.delete(key)
        raise
    finally:
        reader.close()


async def _check_schema(session: AsyncSession, manifest: dict[str, Any]) -> None:
    archived = newer_schema(manifest)
    if archived is not None:
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
            owner = attachment_of(name)
            if owner is None or owner not in state.attachments:
                raise ArchiveError(f"the archive holds a file no attachment of it names: {name}")
            key = object_key(name.partition("/")[0], state.ref(owner))
            await _import_file(state.storage, key, stream, stored)
            if result is not None:
                result.files += 1
            progress("files", len(stored), len(manifest.get("files", {})))
            continue
        if name not in TABLES or (name not in WORKSPACE and name != USERS):
            raise ArchiveError(f"the archive holds table {name!r}, which this version lacks")
        table = TABLES[name]
        total = int(tables_info[name]["rows"])
        progress(name, 0, total)
        if name == USERS:
            rows = reader.rows(stream, codec.kinds(table))
            result = await _import_users(state, rows, manifest, progress, total)
            continue
        if result is None:
            raise ArchiveError("the archive has no accounts' table before its workspace")
        if name == "workspaces":
            await _claim_workspace(session, state, manifest, slug, result)
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
    workspace = check_workspace_manifest(manifest)
    result = ImportResult(workspace_id=UUID(workspace["id"]), slug=workspace["slug"])
    for done, row in enumerate(rows, 1):
        if not isinstance(row.get("id"), UUID) or not isinstance(row.get("email"), str):
            raise ArchiveError(f"account {done} of the archive has no id or e-mail address")
        state.archived_users.add(row["id"])
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
    session: AsyncSession,
    state: _Import,
    manifest: dict[str, Any],
    slug: str | None,
    result: ImportResult,
) -> None:
    workspaces = TABLES["workspaces"]
    result.workspace_id = state.ref(result.workspace_id)
    if await session.scalar(select(workspaces.c.id).where(workspaces.c.id == result.workspace_id)):
        raise ImportRefused(
            "this installation already has that workspace (same id): delete it first, or "
            "import into another installation"
        )
    taken = select(workspaces.c.id).where(workspaces.c.slug == bindparam("slug"))
    if slug is not None or state.copy is None:
        wanted = slug or result.slug
        if await session.scalar(taken, {"slug": wanted}):
            raise ImportRefused(
                f"the slug {wanted!r} is taken here: import with --slug to give it another"
            )
        result.slug = wanted
        return
    base = result.slug
    if not _SLUG.fullmatch(base) or len(base) > 48 or slug_reserved(base):
        base = slugify(str((manifest.get("workspace") or {}).get("name") or "workspace"))
    result.slug = await free_slug(session, base)


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
    """The archived rows as this installation stores them: ids (accounts, and every row's in
    a copy) and sequence numbers mapped, the workspace's slug as claimed."""
    columns = codec.kinds(table)
    ids = [name for name, kind in columns.items() if kind == "uuid"]
    documents = [name for name, kind in columns.items() if kind == "json"]
    sequence = SEQUENCE_COLUMNS.get(table.name)
    batch: list[dict[str, Any]] = []
    for row in rows:
        if table.name == "attachments" and isinstance(row.get("id"), UUID):
            state.attachments.add(row["id"])
        if state.maps_ids:
            for name in ids:
                if row.get(name) is not None:
                    row[name] = state.ref(row[name])
            for name in documents:
                if row.get(name):
                    row[name] = _rewrite_ids(row[name], state.ref)
        if table.name == "workspaces":
            row["slug"] = result.slug
        if table.name == "workspace_invitations" and state.copy and row.get("token_hash"):
            # The link is the original's: the copy's invitations are accepted in the app.
            row["token_hash"] = hashlib.sha256(secrets.token_bytes(32)).hexdigest()
        if sequence and sequence in row:
            if table.name == "events":
                state.old_seqs.append(row["seq"])
            row[sequence] = state.seq(row[sequence])
        if table.name == "notifications" and isinstance(row.get("dedupe_key"), str):
            row["dedupe_key"] = _dedupe_key(state, row["dedupe_key"])
        if table.name == "projects":
            state.project_ids.append(row["id"])
        batch.append(row)
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    yield batch


def _dedupe_key(state: _Import, key: str) -> str:
    """A notification's dedupe key (`event:<seq>`, `due_soon:<task id>:<date>`, ...) with the
    event's new number and the rows' ids as imported: another notification of the target's
    (an account matched by e-mail, or the original of a copy) may hold the archived one."""
    parts = key.split(":")
    if len(parts) == 2 and parts[0] == "event" and parts[1].isdigit():
        return f"event:{state.seq(int(parts[1]))}"
    return ":".join(_rewrite_ids(part, state.ref) for part in parts)


def _rewrite_ids(value: Any, ref: Callable[[UUID], UUID]) -> Any:
    """`value` (JSON) with every id, where it stands as a whole string, replaced by `ref`'s."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return str(ref(UUID(value))) if len(value) == 36 else value
        return value
    if isinstance(value, list):
        return [_rewrite_ids(v, ref) for v in value]
    if isinstance(value, dict):
        return {k: _rewrite_ids(v, ref) for k, v in value.items()}
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
