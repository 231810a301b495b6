"""The archive's jobs: scheduled backups, and the workspace exports and imports that owners
start through the API (tasklane.archive.service), with their housekeeping.

Scheduled backups (TASKLANE_BACKUP_CRON, _DIR, _KEEP): the next time the cron expression
names is enqueued as a job whose unique key is that time, so every worker scheduling at once
adds it once, and it runs when due. A run that finds its folder already whole (a retried job)
does nothing; each whole run prunes to the newest `backup_keep` scheduled backups.

An export writes the archive in the staging folder, puts it in the store, then marks its row
done (and prunes the workspace's older exports); run again, it writes it again. An import
reads the upload back from the store and imports it as a copy in one transaction, which also
makes the uploader an owner, invites the archive's other members and marks the row done, so a
run cut short is all or nothing and running it again finds the work done or undone, never
half. A file that cannot be imported (damaged, refused) fails the import at once, saying why;
the worker being behind on the installation's own events (TryAgain) is retried.
"""

from __future__ import annotations

import contextlib
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import anyio
import structlog
from cronsim import CronSim
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.archive import service
from tasklane.archive.backup import MANIFEST, backup, folder_for, prune
from tasklane.archive.fileformat import ArchiveError
from tasklane.archive.schemas import ArchiveState
from tasklane.archive.workspace import (
    ImportRefused,
    ImportResult,
    TryAgain,
    export_workspace,
    import_workspace,
)
from tasklane.attachments.storage import storage_for
from tasklane.authz.roles import WorkspaceRole
from tasklane.config import Settings
from tasklane.db import Database
from tasklane.kit.clock import utcnow
from tasklane.models import (
    Notification,
    User,
    Webhook,
    Workspace,
    WorkspaceExport,
    WorkspaceImport,
    WorkspaceInvitation,
    WorkspaceMember,
)
from tasklane.models.archive import ArchiveRun
from tasklane.worker.jobs import JobContext, enqueue, job_kind
from tasklane.workspaces import invitations

log = structlog.get_logger(__name__)

BACKUP_JOB = "backup.scheduled"


def backup_root(settings: Settings) -> Path:
    return settings.backup_dir or settings.data_dir / "backups"


def next_backup(settings: Settings, now: datetime) -> datetime | None:
    if not settings.backup_cron:
        return None
    # cronsim counts in the zone of the datetime it is given: UTC, as the setting says.
    return next(CronSim(settings.backup_cron, now.astimezone(UTC)))


async def schedule_backup(session: AsyncSession, settings: Settings) -> bool:
    """Enqueue the next scheduled backup unless it already is; whether one was added."""
    when = next_backup(settings, utcnow())
    if when is None:
        return False
    moment = when.isoformat()
    return await enqueue(
        session, BACKUP_JOB, {"at": moment}, run_at=when, unique_key=f"{BACKUP_JOB}@{moment}"
    )


@job_kind(BACKUP_JOB, max_attempts=3)
async def _scheduled_backup(ctx: JobContext, payload: dict[str, Any]) -> None:
    root = backup_root(ctx.settings)
    folder = folder_for(root, datetime.fromisoformat(payload["at"]))
    if await anyio.Path(folder / MANIFEST).is_file():
        return  # made by an earlier attempt that was cut short after finishing
    manifest = await backup(ctx.settings, folder)
    removed = await anyio.to_thread.run_sync(prune, root, ctx.settings.backup_keep)
    log.info(
        "backup_made",
        folder=str(folder),
        files=len(manifest["files"]),
        bytes=sum(f["size"] for f in manifest["files"].values()),
        removed=[p.name for p in removed],
    )


# --- workspace exports and imports (tasklane.archive.service) -----------------------------------


async def _finish(
    db: Database,
    model: type[WorkspaceExport] | type[WorkspaceImport],
    row_id: UUID,
    state: ArchiveState,
    *,
    error: str | None = None,
    **values: Any,
) -> bool:
    """Mark the row finished; False when it is gone (its workspace was deleted meanwhile)."""
    async with db.transaction() as session:
        row: ArchiveRun | None = await session.get(model, row_id, with_for_update=True)
        if row is None:
            return False
        now = utcnow()
        row.state = state.value
        row.error = error
        row.updated_at = row.finished_at = now
        for name, value in values.items():
            setattr(row, name, value)
        return True


@job_kind(service.EXPORT_JOB, max_attempts=service.EXPORT_ATTEMPTS)
async def run_export(ctx: JobContext, payload: dict[str, Any]) -> None:
    export_id = UUID(payload["export_id"])
    async with ctx.db.transaction() as session:
        row = await session.get(WorkspaceExport, export_id, with_for_update=True)
        if row is None or row.state in service.FINISHED:
            return
        workspace_id = row.workspace_id
        slug = await session.scalar(select(Workspace.slug).where(Workspace.id == workspace_id))
        row.state = ArchiveState.RUNNING.value
        row.updated_at = utcnow()
    if slug is None:
        return  # the workspace was deleted; its exports went with it
    storage = storage_for(ctx.settings)
    out = service.staging(ctx.settings) / f".export-{export_id}.{secrets.token_hex(4)}.tar.gz"
    try:
        manifest = await export_workspace(ctx.db, storage, slug, out)
        size = (await anyio.Path(out).stat()).st_size
        await service.put_file(storage, service.archive_key(export_id), out)
    except Exception as exc:
        log.warning("export_failed", export_id=str(export_id), attempt=ctx.attempt, exc_info=True)
        if ctx.attempt >= service.EXPORT_ATTEMPTS:
            why = f"It could not be written ({type(exc).__name__}); see the worker's log."
            await _finish(ctx.db, WorkspaceExport, export_id, ArchiveState.FAILED, error=why)
        raise
    finally:
        with contextlib.suppress(OSError):
            out.unlink()
    summary = {
        "tables": {name: entry["rows"] for name, entry in manifest["tables"].items()},
        "files": len(manifest["files"]),
        "missing_files": len(manifest.get("missing_files", [])),
    }
    if not await _finish(
        ctx.db, WorkspaceExport, export_id, ArchiveState.DONE, size=size, summary=summary
    ):
        await storage.delete(service.archive_key(export_id))
        return
    await service.prune_exports(ctx.db, storage, ctx.settings, workspace_id=workspace_id)


def _why(exc: BaseException) -> str:
    if isinstance(exc, ArchiveError | ImportRefused):
        text = str(exc).rstrip(".")
        return f"The archive cannot be imported: {text}."
    if isinstance(exc, IntegrityError | DataError):
        return (
            "The archive is damaged: its rows name rows it does not hold, repeat one, or do "
            "not fit their columns."
        )
    return f"It failed ({type(exc).__name__}); the details are in the worker's log."


async def _invite_the_others(session: AsyncSession, workspace_id: UUID, uploader: UUID) -> int:
    """Turn every membership of the copy but the uploader's into a pending invitation with
    the same role: nobody joins a workspace without accepting (tasklane.workspaces.invitations),
    and an uploaded archive can name anyone's e-mail address. Their project memberships stay,
    and count once they accept. How many were invited."""
    now = utcnow()
    others = (
        await session.execute(
            select(WorkspaceMember, User.email)
            .join(User, User.id == WorkspaceMember.user_id)
            .where(
                WorkspaceMember.workspace_id == workspace_id, WorkspaceMember.user_id != uploader
            )
        )
    ).all()
    pending = set(
        await session.scalars(
            select(WorkspaceInvitation.email).where(
                WorkspaceInvitation.workspace_id == workspace_id
            )
        )
    )
    for member, email in others:
        if email not in pending:
            session.add(
                WorkspaceInvitation(
                    workspace_id=workspace_id,
                    email=email,
                    role=member.role,
                    invited_by=uploader,
                    created_at=now,
                    expires_at=now + invitations.LIFETIME,
                )
            )
        await session.delete(member)
    await session.flush()
    return len(others)


PAUSED_WEBHOOK = (
    "Paused by the import of a workspace archive: check where it sends, then turn it on."
)


async def _quieten(session: AsyncSession, workspace_id: UUID, uploader: UUID) -> int:
    """What an uploaded archive must not do to others: put notifications in someone else's
    inbox (the archive's text, whoever wrote it), or send the copy's events to the original's
    webhook receivers, signed with its secret. Notifications go but the uploader's; webhooks
    are paused, with the reason. How many webhooks were paused."""
    await session.execute(
        delete(Notification).where(
            Notification.workspace_id == workspace_id, Notification.user_id != uploader
        )
    )
    paused = await session.execute(
        update(Webhook)
        .where(Webhook.workspace_id == workspace_id, Webhook.enabled.is_(True))
        .values(enabled=False, disabled_reason=PAUSED_WEBHOOK, updated_at=utcnow())
    )
    return int(getattr(paused, "rowcount", 0) or 0)


def _owner(user_id: UUID, import_id: UUID) -> Any:
    """The import's last step, in its transaction: the uploader is an owner of the new
    workspace (added, or made one), everyone else the archive makes a member is invited
    instead, nobody else's inbox gets the archive's notifications, its webhooks wait to be
    turned on, and the import's row says it is done."""

    async def finish(session: AsyncSession, result: ImportResult) -> None:
        invited = await _invite_the_others(session, result.workspace_id, user_id)
        paused = await _quieten(session, result.workspace_id, user_id)
        member = await session.get(WorkspaceMember, (result.workspace_id, user_id))
        added = member is None or member.role != WorkspaceRole.OWNER.value
        if member is None:
            session.add(
                WorkspaceMember(
                    workspace_id=result.workspace_id,
                    user_id=user_id,
                    role=WorkspaceRole.OWNER.value,
                    created_at=utcnow(),
                )
            )
        else:
            member.role = WorkspaceRole.OWNER.value
        row = await session.get(WorkspaceImport, import_id, with_for_update=True)
        if row is None:
            raise ImportRefused("the import was withdrawn")
        now = utcnow()
        row.state = ArchiveState.DONE.value
        row.workspace_id = result.workspace_id
        row.summary = {
            "rows": sum(result.rows.values()),
            "files": result.files,
            "accounts_matched": result.accounts_matched,
            "accounts_created": result.accounts_created,
            "handles_changed": result.handles_changed,
            "owner_added": added,
            "members_invited": invited,
            "webhooks_paused": paused,
        }
        row.error = None
        row.updated_at = row.finished_at = now

    return finish


@job_kind(service.IMPORT_JOB, max_attempts=service.IMPORT_ATTEMPTS)
async def run_import(ctx: JobContext, payload: dict[str, Any]) -> None:
    import_id = UUID(payload["import_id"])
    async with ctx.db.transaction() as session:
        row = await session.get(WorkspaceImport, import_id, with_for_update=True)
        if row is None or row.state in service.FINISHED:
            return
        user = await session.get(User, row.created_by) if row.created_by else None
        slug, filename = row.slug, row.filename
        row.state = ArchiveState.RUNNING.value
        row.updated_at = utcnow()
    storage = storage_for(ctx.settings)
    key = service.archive_key(import_id)
    if user is None or not user.is_active:
        await _finish(
            ctx.db,
            WorkspaceImport,
            import_id,
            ArchiveState.FAILED,
            error="The person who uploaded the archive is gone.",
        )
        await storage.delete(key)
        return
    local = service.staging(ctx.settings) / f".import-{import_id}.{secrets.token_hex(4)}.tar.gz"
    try:
        await anyio.Path(local.parent).mkdir(parents=True, exist_ok=True)
        async with await anyio.open_file(local, "wb") as out:
            async for chunk in storage.get(key):
                await out.write(chunk)
        await import_workspace(
            ctx.db,
            storage,
            local,
            slug=slug,
            copy=import_id,
            actor=user,
            finish=_owner(user.id, import_id),
            max_bytes=ctx.settings.archive_max_expanded_bytes,
            name=filename,
        )
    except TryAgain as exc:
        if ctx.attempt >= service.IMPORT_ATTEMPTS:
            await _finish(ctx.db, WorkspaceImport, import_id, ArchiveState.FAILED, error=_why(exc))
            await storage.delete(key)
        raise
    except (ArchiveError, ImportRefused, IntegrityError, DataError) as exc:
        log.info("import_refused", import_id=str(import_id), reason=str(exc)[:500])
        await _finish(ctx.db, WorkspaceImport, import_id, ArchiveState.FAILED, error=_why(exc))
        await storage.delete(key)
        return
    except Exception as exc:
        log.warning("import_failed", import_id=str(import_id), attempt=ctx.attempt, exc_info=True)
        if ctx.attempt >= service.IMPORT_ATTEMPTS:
            await _finish(ctx.db, WorkspaceImport, import_id, ArchiveState.FAILED, error=_why(exc))
            await storage.delete(key)
        raise
    finally:
        with contextlib.suppress(OSError):
            local.unlink()
    await storage.delete(key)


@job_kind(service.CLEANUP_JOB, max_attempts=3)
async def _cleanup(ctx: JobContext, _: dict[str, Any]) -> None:
    removed = await service.cleanup(ctx.db, storage_for(ctx.settings), ctx.settings)
    log.info("archives_cleaned", **removed)
