"""Workspace archives through the API (docs/archive.md, "From the web app and the API").

Owners make an export: a row here and a job (tasklane.archive.jobs) that writes the archive
with `export_workspace` and keeps it in the attachments' store as `w/<export id>`, so any app
process serves its download, whichever process or machine the worker ran on. Anyone signed in
uploads an archive to make a new workspace of it: the upload is checked as it lands (its size,
then its manifest: an archive of a workspace, of a format and schema this version reads, with
files the workspace quota takes), kept in the store as `w/<import id>`, and imported by a job
as a copy (new ids: `import_workspace(copy=...)`) with the uploader an owner. A bad file is
refused before anything is kept or made.

The housekeeping (`cleanup`) keeps the newest TASKLANE_ARCHIVE_KEEP finished exports of each
workspace and removes every export, and every record of an import, older than
TASKLANE_ARCHIVE_RETENTION_DAYS; objects in the store that no row needs any more, and files
left in the staging folder by a process that died, go too.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import anyio
import structlog
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane import audit
from tasklane.archive.fileformat import ArchiveError, ArchiveReader, ArchiveTooNew
from tasklane.archive.schemas import (
    ArchiveContents,
    ArchivedWorkspace,
    ArchiveState,
    ImportedWorkspace,
    ImportSummary,
    WorkspaceExportRead,
    WorkspaceImportRead,
)
from tasklane.archive.workspace import (
    ImportRefused,
    check_workspace_manifest,
    newer_schema,
)
from tasklane.attachments.storage import ARCHIVE, CHUNK, Storage, object_key, sweep_orphans
from tasklane.attachments.upload import Counted
from tasklane.auth.principal import Principal
from tasklane.authz.access import access_workspace
from tasklane.authz.roles import Action
from tasklane.config import Settings
from tasklane.db import Database
from tasklane.errors import Conflict, NotFound, PayloadTooLarge, ValidationFailed
from tasklane.kit.clock import utcnow
from tasklane.kit.ids import new_id
from tasklane.models import Workspace, WorkspaceExport, WorkspaceImport
from tasklane.models.archive import ArchiveRun
from tasklane.worker.jobs import enqueue
from tasklane.workspaces.service import check_slug_free

log = structlog.get_logger(__name__)

EXPORT_JOB = "archive.export"
IMPORT_JOB = "archive.import"
CLEANUP_JOB = "archive.cleanup"
CLEANUP_EVERY = timedelta(hours=1)
EXPORT_ATTEMPTS = 3
IMPORT_ATTEMPTS = 8
"""An import waits for the worker to handle the installation's latest events (TryAgain):
retried with backoff, a few minutes in all."""
MAX_LISTED = 20
"""Exports listed per workspace, newest first (TASKLANE_ARCHIVE_KEEP, at most 20, are kept
once done; failed ones until they expire)."""
STALE_AFTER = timedelta(days=1)
"""An export or import still queued or running after this is marked failed (its job was
given up: its worker kept dying)."""
ORPHAN_AGE = timedelta(hours=1)
"""An object or staging file no row needs is removed once it is this old (one being written
has no finished row yet)."""
UNFINISHED = (ArchiveState.QUEUED.value, ArchiveState.RUNNING.value)
FINISHED = (ArchiveState.DONE.value, ArchiveState.FAILED.value)
MEDIA_TYPE = "application/gzip"


def staging(settings: Settings) -> Path:
    """Where archives are written and uploads land before they go to the store."""
    return settings.data_dir / "archives"


def archive_key(row_id: UUID) -> str:
    return object_key(ARCHIVE, row_id)


async def put_file(storage: Storage, key: str, path: Path) -> None:
    """Put the local file `path` in the store as `key`."""
    async with await anyio.open_file(path, "rb") as source:

        async def read(size: int) -> bytes:
            return await source.read(size)

        await storage.put(key, read, content_type=MEDIA_TYPE)


# --- reads -------------------------------------------------------------------------------------


def _contents(summary: dict[str, Any]) -> ArchiveContents | None:
    if not summary or "tables" not in summary:
        return None
    tables = {str(k): int(v) for k, v in dict(summary["tables"]).items()}
    return ArchiveContents(
        rows=sum(tables.values()), files=int(summary.get("files", 0)), tables=tables
    )


def export_read(row: WorkspaceExport, settings: Settings) -> WorkspaceExportRead:
    return WorkspaceExportRead(
        id=row.id,
        workspace_id=row.workspace_id,
        state=ArchiveState(row.state),
        filename=row.filename,
        size=row.size,
        contents=_contents(row.summary) if row.state == ArchiveState.DONE else None,
        error=row.error,
        created_by=row.created_by,
        created_at=row.created_at,
        finished_at=row.finished_at,
        expires_at=row.created_at + timedelta(days=settings.archive_retention_days),
    )


def import_read(row: WorkspaceImport, workspace: Workspace | None) -> WorkspaceImportRead:
    source = row.source or {}
    summary = row.summary or {}
    return WorkspaceImportRead(
        id=row.id,
        state=ArchiveState(row.state),
        filename=row.filename,
        size=row.size,
        source=ArchivedWorkspace(
            slug=str(source.get("slug", "")),
            name=str(source.get("name", "")),
            made_at=source.get("created_at"),
        ),
        workspace=(
            ImportedWorkspace(id=workspace.id, slug=workspace.slug, name=workspace.name)
            if workspace is not None and row.state == ArchiveState.DONE
            else None
        ),
        summary=ImportSummary.model_validate(summary) if summary else None,
        error=row.error,
        created_at=row.created_at,
        finished_at=row.finished_at,
    )


async def _export_row(
    session: AsyncSession, principal: Principal, workspace_id: UUID, export_id: UUID
) -> WorkspaceExport:
    await access_workspace(session, principal, workspace_id, Action.WORKSPACE_EXPORT)
    row = await session.get(WorkspaceExport, export_id)
    if row is None or row.workspace_id != workspace_id:
        raise NotFound("No such export.")
    return row


async def list_exports(
    session: AsyncSession, settings: Settings, principal: Principal, *, workspace_id: UUID
) -> list[WorkspaceExportRead]:
    await access_workspace(session, principal, workspace_id, Action.WORKSPACE_EXPORT)
    rows = await session.scalars(
        select(WorkspaceExport)
        .where(WorkspaceExport.workspace_id == workspace_id)
        .order_by(WorkspaceExport.created_at.desc(), WorkspaceExport.id.desc())
        .limit(MAX_LISTED)
    )
    return [export_read(row, settings) for row in rows]


async def get_export(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    *,
    workspace_id: UUID,
    export_id: UUID,
) -> WorkspaceExportRead:
    return export_read(await _export_row(session, principal, workspace_id, export_id), settings)


@dataclass(frozen=True, slots=True)
class Download:
    filename: str
    size: int | None
    chunks: AsyncIterator[bytes]


async def download_export(
    session: AsyncSession,
    storage: Storage,
    principal: Principal,
    *,
    workspace_id: UUID,
    export_id: UUID,
) -> Download:
    """The archive's bytes, streamed from the store: 409 `export_not_ready` before it is
    done, 404 once the housekeeping removed its file."""
    row = await _export_row(session, principal, workspace_id, export_id)
    if row.state != ArchiveState.DONE:
        raise Conflict(
            f"The export is {row.state}: it can be downloaded once it is done.",
            code="export_not_ready",
        )
    key = archive_key(row.id)
    if await storage.head(key) is None:
        raise NotFound("The export's file is gone; make a new export.")
    return Download(row.filename, row.size, storage.get(key))


# --- exports -----------------------------------------------------------------------------------


async def start_export(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    *,
    workspace_id: UUID,
    address: str | None,
) -> WorkspaceExportRead:
    """Queue an export of the workspace (owners); 409 `export_in_progress` while one is."""
    access = await access_workspace(session, principal, workspace_id, Action.WORKSPACE_EXPORT)
    busy = await session.scalar(
        select(WorkspaceExport.id).where(
            WorkspaceExport.workspace_id == workspace_id, WorkspaceExport.state.in_(UNFINISHED)
        )
    )
    if busy is not None:
        raise Conflict(
            "An export of this workspace is being made: wait for it to finish.",
            code="export_in_progress",
        )
    now = utcnow()
    row = WorkspaceExport(
        id=new_id(),
        workspace_id=workspace_id,
        created_by=principal.user_id,
        state=ArchiveState.QUEUED.value,
        filename=f"{access.workspace.slug}-{now:%Y%m%d-%H%M%S}.tar.gz",
        summary={},
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    await enqueue(session, EXPORT_JOB, {"export_id": str(row.id)}, max_attempts=EXPORT_ATTEMPTS)
    await audit.record(
        session,
        "workspace.exported",
        actor=principal,
        workspace_id=workspace_id,
        address=address,
        details={"export_id": str(row.id)},
    )
    return export_read(row, settings)


async def prune_exports(
    db: Database, storage: Storage, settings: Settings, *, workspace_id: UUID | None = None
) -> int:
    """Remove exports past their time (TASKLANE_ARCHIVE_RETENTION_DAYS) and finished ones
    beyond the newest TASKLANE_ARCHIVE_KEEP of each workspace (of `workspace_id` only, when
    given); how many."""
    cutoff = utcnow() - timedelta(days=settings.archive_retention_days)
    listed = select(
        WorkspaceExport.id,
        WorkspaceExport.workspace_id,
        WorkspaceExport.state,
        WorkspaceExport.created_at,
    ).order_by(WorkspaceExport.created_at.desc(), WorkspaceExport.id.desc())
    if workspace_id is not None:
        listed = listed.where(WorkspaceExport.workspace_id == workspace_id)
    async with db.transaction() as session:
        rows = (await session.execute(listed)).all()
        kept: dict[UUID, int] = {}
        gone = []
        for row_id, owner, state, created_at in rows:
            if state == ArchiveState.DONE:
                kept[owner] = kept.get(owner, 0) + 1
            if created_at < cutoff or (
                state == ArchiveState.DONE and kept[owner] > settings.archive_keep
            ):
                gone.append(row_id)
        if gone:
            await session.execute(delete(WorkspaceExport).where(WorkspaceExport.id.in_(gone)))
    for row_id in gone:
        await _delete_object(storage, archive_key(row_id))
    return len(gone)


async def _delete_object(storage: Storage, key: str) -> None:
    try:
        await storage.delete(key)
    except Exception:
        # The orphan sweep of the next cleanup takes it.
        log.warning("archive_object_not_deleted", key=key, exc_info=True)


# --- imports -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Checked:
    """What an uploaded archive's manifest says, once accepted."""

    workspace: dict[str, str]
    created_at: str | None
    rows: int
    file_bytes: int


def check_upload(path: Path, name: str, settings: Settings) -> Checked:
    """The upload's manifest, read and judged; a 4xx problem for a file that cannot become a
    workspace here. Reads the manifest only (the archive's first member)."""
    try:
        reader = ArchiveReader(path, name=name)
    except ArchiveTooNew as exc:
        raise ValidationFailed.for_field("file", str(exc), code="archive_too_new") from exc
    except ArchiveError as exc:
        raise ValidationFailed.for_field("file", str(exc), code="not_an_archive") from exc
    try:
        manifest = reader.manifest
    finally:
        reader.close()
    try:
        workspace = check_workspace_manifest(manifest)
    except ImportRefused as exc:
        raise ValidationFailed.for_field(
            "file",
            "This is an installation archive (a backup): it is restored with `tasklane "
            "restore`, not imported as a workspace.",
            code="not_a_workspace_archive",
        ) from exc
    except ArchiveError as exc:
        raise ValidationFailed.for_field("file", str(exc), code="not_an_archive") from exc
    schema = newer_schema(manifest)
    if schema is not None:
        raise ValidationFailed.for_field(
            "file",
            f"The archive was made by a newer Tasklane (schema {schema}): upgrade this one "
            "to import it.",
            code="archive_too_new",
        )
    file_bytes = sum(int(f["size"]) for f in manifest.get("files", {}).values())
    quota = settings.storage_quota_bytes
    if quota is not None and file_bytes > quota:
        raise PayloadTooLarge(
            f"The archive's files take {file_bytes} bytes; a workspace here may hold {quota}.",
            code="storage_quota_exceeded",
            extensions={"used_bytes": file_bytes, "quota_bytes": quota},
        )
    rows = sum(int(t["rows"]) for t in manifest.get("tables", {}).values())
    created = manifest.get("created_at")
    return Checked(workspace, created if isinstance(created, str) else None, rows, file_bytes)


async def _check_slug(session: AsyncSession, slug: str | None) -> None:
    if slug is not None:
        await check_slug_free(session, slug)


async def _check_not_busy(session: AsyncSession, principal: Principal) -> None:
    busy = await session.scalar(
        select(WorkspaceImport.id).where(
            WorkspaceImport.created_by == principal.user_id,
            WorkspaceImport.state.in_(UNFINISHED),
        )
    )
    if busy is not None:
        raise Conflict(
            "An archive you uploaded is being imported: wait for it to finish.",
            code="import_in_progress",
        )


async def preflight_import(db: Database, principal: Principal, *, slug: str | None) -> None:
    """Refuse before the upload is read: one of the caller's imports still running, or an
    asked slug that cannot be had."""
    async with db.transaction(write=False) as session:
        await _check_not_busy(session, principal)
        await _check_slug(session, slug)


async def _receive(source: Counted, path: Path) -> None:
    await anyio.Path(path.parent).mkdir(parents=True, exist_ok=True)
    async with await anyio.open_file(path, "wb") as out:
        while chunk := await source.read(CHUNK):
            await out.write(chunk)


async def receive_import(
    db: Database,
    settings: Settings,
    storage: Storage,
    principal: Principal,
    source: Counted,
    *,
    filename: str,
    slug: str | None,
) -> WorkspaceImportRead:
    """Take an uploaded archive: land it in the staging folder (at most
    TASKLANE_ARCHIVE_MAX_UPLOAD_BYTES), judge its manifest, keep it in the store and queue
    its import. Nothing is kept or made for a file that is refused."""
    import_id = new_id()
    landed = staging(settings) / f".upload-{import_id}.{secrets.token_hex(4)}.part"
    key = archive_key(import_id)
    stored = False
    try:
        await _receive(source, landed)
        checked = await anyio.to_thread.run_sync(check_upload, landed, filename, settings)
        await put_file(storage, key, landed)
        stored = True
        async with db.transaction() as session:
            await _check_not_busy(session, principal)
            await _check_slug(session, slug)
            now = utcnow()
            row = WorkspaceImport(
                id=import_id,
                created_by=principal.user_id,
                state=ArchiveState.QUEUED.value,
                filename=filename,
                size=source.size,
                slug=slug,
                source={
                    "slug": checked.workspace["slug"],
                    "name": checked.workspace["name"],
                    "created_at": checked.created_at,
                    "rows": checked.rows,
                    "file_bytes": checked.file_bytes,
                },
                summary={},
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            await session.flush()
            await enqueue(
                session, IMPORT_JOB, {"import_id": str(import_id)}, max_attempts=IMPORT_ATTEMPTS
            )
            read = import_read(row, None)
        stored = False  # the row names it now
        return read
    finally:
        with contextlib.suppress(OSError):
            landed.unlink()
        if stored:
            await _delete_object(storage, key)


async def get_import(
    session: AsyncSession, principal: Principal, *, import_id: UUID
) -> WorkspaceImportRead:
    """An import, for the person who uploaded it (to anyone else: 404)."""
    row = await session.get(WorkspaceImport, import_id)
    if row is None or row.created_by != principal.user_id:
        raise NotFound("No such import.")
    workspace = await session.get(Workspace, row.workspace_id) if row.workspace_id else None
    return import_read(row, workspace)


# --- housekeeping ------------------------------------------------------------------------------


async def fail_stale(db: Database) -> int:
    """Mark exports and imports failed that stayed unfinished past STALE_AFTER."""
    now = utcnow()
    stale: list[ArchiveRun] = []
    async with db.transaction() as session:
        stale.extend(
            await session.scalars(
                select(WorkspaceExport).where(
                    WorkspaceExport.state.in_(UNFINISHED),
                    WorkspaceExport.created_at < now - STALE_AFTER,
                )
            )
        )
        stale.extend(
            await session.scalars(
                select(WorkspaceImport).where(
                    WorkspaceImport.state.in_(UNFINISHED),
                    WorkspaceImport.created_at < now - STALE_AFTER,
                )
            )
        )
        for row in stale:
            row.state = ArchiveState.FAILED.value
            row.error = "It did not finish: the worker gave up on it. Try again."
            row.updated_at = row.finished_at = now
    return len(stale)


async def prune_imports(db: Database, storage: Storage, settings: Settings) -> int:
    """Forget finished imports older than the retention; their uploads go with them."""
    cutoff = utcnow() - timedelta(days=settings.archive_retention_days)
    async with db.transaction() as session:
        gone = list(
            await session.scalars(
                select(WorkspaceImport.id).where(
                    WorkspaceImport.state.in_(FINISHED), WorkspaceImport.created_at < cutoff
                )
            )
        )
        if gone:
            await session.execute(delete(WorkspaceImport).where(WorkspaceImport.id.in_(gone)))
    for row_id in gone:
        await _delete_object(storage, archive_key(row_id))
    return len(gone)


async def sweep_objects(db: Database, storage: Storage) -> int:
    """Remove the store's archive objects that no row needs: an export's while it is done
    (or being made), an import's upload while it waits. Older than ORPHAN_AGE only."""

    async def needed(owners: set[UUID]) -> set[UUID]:
        async with db.transaction(write=False) as session:
            exports = await session.scalars(
                select(WorkspaceExport.id).where(
                    WorkspaceExport.id.in_(owners),
                    WorkspaceExport.state.in_((*UNFINISHED, ArchiveState.DONE.value)),
                )
            )
            imports = await session.scalars(
                select(WorkspaceImport.id).where(
                    WorkspaceImport.id.in_(owners), WorkspaceImport.state.in_(UNFINISHED)
                )
            )
            return {*exports, *imports}

    return await sweep_orphans(
        storage, (ARCHIVE,), written_before=utcnow() - ORPHAN_AGE, needed=needed
    )


def sweep_staging(settings: Settings, *, older_than: timedelta = STALE_AFTER) -> int:
    """Remove what a process that died left in the staging folder (half-written archives,
    uploads), once older than `older_than`; never anything younger (it may be in use)."""
    folder = staging(settings)
    if not folder.is_dir():
        return 0
    cutoff = (utcnow() - older_than).timestamp()
    removed = 0
    for entry in folder.iterdir():
        try:
            if entry.lstat().st_mtime >= cutoff:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                os.unlink(entry)
            removed += 1
        except FileNotFoundError:
            continue
    return removed


async def cleanup(db: Database, storage: Storage, settings: Settings) -> dict[str, int]:
    """The housekeeping of workspace archives (hourly); what it removed."""
    return {
        "stale": await fail_stale(db),
        "exports": await prune_exports(db, storage, settings),
        "imports": await prune_imports(db, storage, settings),
        "objects": await sweep_objects(db, storage),
        "staged": await anyio.to_thread.run_sync(sweep_staging, settings),
    }
