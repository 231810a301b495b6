"""Attachments: files on tasks and comments.

An upload is streamed to the storage before its row exists, outside any transaction (a
25 MB upload must not hold SQLite's write lock); the row, its event and its thumbnail job are
then written in one short transaction that checks the access, the task's count and the
workspace's quota again. An object whose row never came (refused, or the process killed
mid-way) is removed by the sweep (tasklane.attachments.jobs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.attachments import storage as stores
from tasklane.attachments.files import THUMBNAIL_TYPES, clean_filename, inline, sniff
from tasklane.attachments.schemas import AttachmentRead, StorageUsage, UploadLink, UploadStart
from tasklane.attachments.storage import FILE, THUMBNAIL, Storage, object_key
from tasklane.attachments.upload import Counted, RawBody
from tasklane.auth.principal import Principal
from tasklane.authz.access import (
    ProjectAccess,
    access_attachment,
    access_task,
    access_workspace,
    require_project,
    require_unarchived,
)
from tasklane.authz.roles import Action
from tasklane.config import Settings
from tasklane.db import Database
from tasklane.errors import Conflict, NotFound, PayloadTooLarge, ValidationFailed
from tasklane.events import service as events
from tasklane.events.types import EventType
from tasklane.kit import signed
from tasklane.kit.clock import utcnow
from tasklane.kit.ids import new_id
from tasklane.models import Attachment, Task
from tasklane.worker.jobs import enqueue

READY, PENDING = "ready", "pending"
MAX_LISTED = 1000
THUMBNAIL_JOB = "attachments.thumbnail"
REMOVE_JOB = "attachments.remove"
LINK_PURPOSE = "attachment-file"
UPLOAD_PURPOSE = "attachment-upload"


def content_path(attachment_id: UUID) -> str:
    return f"/api/v1/attachments/{attachment_id}/content"


def read(attachment: Attachment) -> AttachmentRead:
    thumbnail = f"/api/v1/attachments/{attachment.id}/thumbnail" if attachment.thumbnail else None
    return AttachmentRead(
        id=attachment.id,
        task_id=attachment.task_id,
        comment_id=attachment.comment_id,
        filename=attachment.filename,
        content_type=attachment.content_type,
        size=attachment.size,
        sha256=attachment.sha256 or "",
        width=attachment.width,
        height=attachment.height,
        created_by=attachment.created_by,
        created_at=attachment.created_at,
        url=content_path(attachment.id),
        thumbnail_url=thumbnail,
    )


# --- checks ------------------------------------------------------------------------------


async def _usage(session: AsyncSession, workspace_id: UUID) -> tuple[int, int]:
    """Bytes and attachments a workspace holds (pending direct uploads included)."""
    row = (
        await session.execute(
            select(func.coalesce(func.sum(Attachment.size), 0), func.count()).where(
                Attachment.workspace_id == workspace_id
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def _check_room(
    session: AsyncSession, settings: Settings, task: Task, workspace_id: UUID, size: int
) -> None:
    """Refuse a file the task or the workspace has no room for (before and after its upload)."""
    if size > settings.max_upload_bytes:
        raise PayloadTooLarge(
            f"The file is larger than {settings.max_upload_bytes} bytes.",
            extensions={"limit_bytes": settings.max_upload_bytes},
        )
    count = await session.scalar(
        select(func.count()).select_from(Attachment).where(Attachment.task_id == task.id)
    )
    if (count or 0) >= settings.max_attachments_per_task:
        raise Conflict(
            f"A task holds at most {settings.max_attachments_per_task} attachments.",
            code="too_many_attachments",
        )
    quota = settings.storage_quota_bytes
    if quota is not None:
        used, _ = await _usage(session, workspace_id)
        if used + size > quota:
            raise PayloadTooLarge(
                f"The workspace's storage is full ({used} of {quota} bytes used).",
                code="storage_quota_exceeded",
                extensions={"used_bytes": used, "quota_bytes": quota},
            )


async def writable_task(
    session: AsyncSession, principal: Principal, ref: str
) -> tuple[Task, ProjectAccess]:
    task, access = await access_task(session, principal, ref, Action.ATTACHMENT_ADD)
    require_unarchived(access.project)
    return task, access


# --- uploads through the app ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stored:
    """A file written to the storage, with what was learnt on the way."""

    id: UUID
    filename: str
    content_type: str
    size: int
    sha256: str


async def store(storage: Storage, source: Counted, *, attachment_id: UUID, filename: str) -> Stored:
    """Stream a file to the storage under the attachment's key; its type sniffed first."""
    content_type = sniff(await source.peek(), filename)
    await storage.put(object_key(FILE, attachment_id), source.read, content_type=content_type)
    return Stored(attachment_id, filename, content_type, source.size, source.sha256)


async def preflight(
    db: Database, settings: Settings, principal: Principal, ref: str, size: int
) -> None:
    """The access and room checks, before any byte is stored (a short read transaction)."""
    async with db.transaction(write=False) as session:
        task, access = await writable_task(session, principal, ref)
        await _check_room(session, settings, task, access.project.workspace_id, size)


async def add(
    db: Database,
    settings: Settings,
    storage: Storage,
    principal: Principal,
    ref: str,
    stored: Stored,
) -> AttachmentRead:
    """Record a stored file as an attachment; the object is removed if that is refused."""
    try:
        async with db.transaction() as session:
            task, access = await writable_task(session, principal, ref)
            workspace_id = access.project.workspace_id
            await _check_room(session, settings, task, workspace_id, stored.size)
            attachment = Attachment(
                id=stored.id,
                workspace_id=workspace_id,
                task_id=task.id,
                state=READY,
                filename=stored.filename,
                content_type=stored.content_type,
                size=stored.size,
                sha256=stored.sha256,
                created_by=principal.user_id,
                created_at=utcnow(),
            )
            session.add(attachment)
            await session.flush()
            await _added(session, principal, access, task, attachment)
            return read(attachment)
    except BaseException:
        await storage.delete(object_key(FILE, stored.id))
        raise


async def _added(
    session: AsyncSession,
    principal: Principal,
    access: ProjectAccess,
    task: Task,
    attachment: Attachment,
) -> None:
    _record(session, principal, access, task, attachment, EventType.ATTACHMENT_ADDED)
    await _keep_names(session, task.id)
    if attachment.content_type in THUMBNAIL_TYPES:
        await enqueue(session, THUMBNAIL_JOB, {"attachment_id": str(attachment.id)})


def _record(
    session: AsyncSession,
    principal: Principal,
    access: ProjectAccess,
    task: Task,
    attachment: Attachment,
    type: EventType,
) -> None:
    fields = {
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "comment_id": str(attachment.comment_id) if attachment.comment_id else None,
    }
    changes = (
        events.created(fields)
        if type is EventType.ATTACHMENT_ADDED
        else {name: {"from": value, "to": None} for name, value in fields.items()}
    )
    events.record(
        session,
        type,
        actor_id=principal.user_id,
        workspace_id=access.project.workspace_id,
        project_id=access.project.id,
        task_id=task.id,
        entity_id=attachment.id,
        changes=changes,
    )


async def _keep_names(session: AsyncSession, task_id: UUID) -> None:
    """Write the task's files' names into `tasks.attachment_names` (search finds the task by
    them), after locking the task: two uploads at once must not each write a list without the
    other's file. `updated_at` stays: a file is not an edit of the task's fields."""
    await session.execute(select(Task.id).where(Task.id == task_id).with_for_update())
    names = await session.scalars(
        select(Attachment.filename)
        .where(Attachment.task_id == task_id, Attachment.state == READY)
        .order_by(Attachment.created_at, Attachment.id)
    )
    await session.execute(
        update(Task)
        .where(Task.id == task_id)
        .values(attachment_names="\n".join(names), updated_at=Task.updated_at)
    )


# --- direct uploads ------------------------------------------------------------------------


def link_signature(settings: Settings, purpose: str, attachment_id: UUID, *parts: str) -> str:
    """The signature of one of the app's own links: for `purpose`, one attachment (or pending
    upload), and the `parts` the link carries (its expiry last)."""
    return signed.signature(settings.signing_key, purpose, str(attachment_id), *parts)


async def _by_signed_link(
    db: Database,
    settings: Settings,
    purpose: str,
    attachment_id: UUID,
    parts: tuple[str, ...],
    signature: str,
    state: str,
) -> Attachment:
    """The attachment (in `state`) a link of the app's own names, if the link is good (it
    matches `parts`, whose last is its expiry) and current."""
    good = (
        signed.matches(signature, settings.signing_key, purpose, str(attachment_id), *parts)
        and int(parts[-1]) >= utcnow().timestamp()
    )
    if good:
        async with db.transaction(write=False) as session:
            attachment = await session.get(Attachment, attachment_id)
        if attachment is not None and attachment.state == state:
            return attachment
    raise NotFound("This link is not valid (or no longer).")


async def start_upload(
    session: AsyncSession,
    settings: Settings,
    storage: Storage,
    principal: Principal,
    ref: str,
    data: UploadStart,
) -> UploadLink:
    """Hand out a link the file can be posted to directly; a pending row holds its place."""
    task, access = await writable_task(session, principal, ref)
    workspace_id = access.project.workspace_id
    await _check_room(session, settings, task, workspace_id, data.size)
    seconds = settings.attachment_link_seconds
    now = utcnow()
    expires_at = now + timedelta(seconds=seconds)
    attachment = Attachment(
        id=new_id(),
        workspace_id=workspace_id,
        task_id=task.id,
        state=PENDING,
        filename=clean_filename(data.filename),
        content_type=data.content_type,
        size=data.size,
        created_by=principal.user_id,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(attachment)
    await session.flush()
    if storage.signs_links:
        form = await storage.upload_form(
            object_key(FILE, attachment.id),
            content_type=data.content_type,
            size=data.size,
            expires=seconds,
        )
        url, fields = form.url, form.fields
    else:
        stamp = int(expires_at.timestamp())
        signature = link_signature(settings, UPLOAD_PURPOSE, attachment.id, str(stamp))
        url = f"{settings.public_url.rstrip('/')}/api/v1/files/uploads/{attachment.id}"
        url += f"?expires={stamp}&signature={signature}"
        fields = {}
    return UploadLink(
        upload_id=attachment.id, url=url, method="POST", fields=fields, expires_at=expires_at
    )


async def pending_upload(
    db: Database, settings: Settings, upload_id: UUID, expires: int, signature: str
) -> Attachment:
    """The pending upload a link of the app's own names, if the link is good and current."""
    parts = (str(expires),)
    return await _by_signed_link(db, settings, UPLOAD_PURPOSE, upload_id, parts, signature, PENDING)


async def complete_upload(
    db: Database,
    settings: Settings,
    storage: Storage,
    principal: Principal,
    ref: str,
    upload_id: UUID,
) -> AttachmentRead:
    """Turn a pending upload into an attachment once its object is there, as long as
    declared; the type is sniffed from the object and the hash read through it."""
    async with db.transaction(write=False) as session:
        task, _ = await writable_task(session, principal, ref)
        pending = await session.get(Attachment, upload_id)
    if (
        pending is None
        or pending.task_id != task.id
        or pending.created_by != principal.user_id
        or pending.state != PENDING
    ):
        raise NotFound("No such upload on this task.")
    key = object_key(FILE, pending.id)
    found = await storage.head(key)
    if found is None:
        raise Conflict("The file has not been uploaded yet.", code="upload_missing")
    if found.size != pending.size:
        raise ValidationFailed(
            f"The uploaded file has {found.size} bytes, not the {pending.size} declared.",
            code="upload_size_mismatch",
        )
    source = Counted(RawBody(storage.get(key)), limit=settings.max_upload_bytes)
    content_type = sniff(await source.peek(), pending.filename)
    while await source.read(stores.CHUNK):
        pass
    async with db.transaction() as session:
        task, access = await writable_task(session, principal, ref)
        attachment = await session.get(Attachment, upload_id, with_for_update=True)
        if attachment is None or attachment.state != PENDING:
            raise NotFound("No such upload on this task.")
        attachment.state = READY
        attachment.content_type = content_type
        attachment.sha256 = source.sha256
        attachment.expires_at = None
        attachment.created_at = utcnow()
        await session.flush()
        await _added(session, principal, access, task, attachment)
        return read(attachment)


# --- reading ---------------------------------------------------------------------------------


async def list_attachments(
    session: AsyncSession, principal: Principal, ref: str
) -> list[AttachmentRead]:
    task, _ = await access_task(session, principal, ref, Action.PROJECT_READ)
    rows = await session.scalars(
        select(Attachment)
        .where(Attachment.task_id == task.id, Attachment.state == READY)
        .order_by(Attachment.created_at, Attachment.id)
        .limit(MAX_LISTED)
    )
    return [read(row) for row in rows]


async def get_attachment(
    session: AsyncSession, principal: Principal, attachment_id: UUID
) -> AttachmentRead:
    attachment, _, _ = await access_attachment(
        session, principal, attachment_id, Action.PROJECT_READ
    )
    return read(attachment)


def file_signature(settings: Settings, attachment_id: UUID, kind: str, expires: int) -> str:
    return link_signature(settings, LINK_PURPOSE, attachment_id, kind, str(expires))


async def link(
    session: AsyncSession,
    settings: Settings,
    storage: Storage,
    principal: Principal,
    attachment_id: UUID,
    kind: str,
) -> str:
    """Where the caller may fetch an attachment (or its thumbnail) for a short while."""
    attachment, _, _ = await access_attachment(
        session, principal, attachment_id, Action.PROJECT_READ
    )
    if kind == THUMBNAIL and not attachment.thumbnail:
        raise NotFound("This attachment has no thumbnail.")
    seconds = settings.attachment_link_seconds
    if storage.signs_links:
        shown = kind == THUMBNAIL or inline(attachment.content_type)
        return await storage.download_url(
            object_key(kind, attachment.id),
            filename=attachment.filename,
            content_type="image/webp" if kind == THUMBNAIL else attachment.content_type,
            inline=shown,
            expires=seconds,
        )
    # Rounded up to the minute, so a page showing the same image for a while asks for the
    # same URL (and the browser's cache answers).
    expires = -(-int((utcnow() + timedelta(seconds=seconds)).timestamp()) // 60) * 60
    signature = file_signature(settings, attachment.id, kind, expires)
    return f"/api/v1/files/{kind}/{attachment.id}?expires={expires}&signature={signature}"


async def signed_file(
    db: Database, settings: Settings, attachment_id: UUID, kind: str, expires: int, signature: str
) -> Attachment:
    """The attachment an app's own download link names, if the link is good and current and
    the attachment still there."""
    if kind not in (FILE, THUMBNAIL):
        raise NotFound("This link is not valid (or no longer).")
    parts = (kind, str(expires))
    return await _by_signed_link(db, settings, LINK_PURPOSE, attachment_id, parts, signature, READY)


# --- removing ---------------------------------------------------------------------------------


async def delete_attachment(
    session: AsyncSession, principal: Principal, attachment_id: UUID
) -> None:
    """Its uploader (while they may still add files) or a project admin; the object goes by
    a job."""
    attachment, task, access = await access_attachment(
        session, principal, attachment_id, Action.PROJECT_READ
    )
    if attachment.created_by == principal.user_id:
        require_project(access.role, Action.ATTACHMENT_ADD)
    else:
        require_project(access.role, Action.ATTACHMENT_MODERATE)
    require_unarchived(access.project)
    _record(session, principal, access, task, attachment, EventType.ATTACHMENT_REMOVED)
    await session.delete(attachment)
    await session.flush()
    await _keep_names(session, task.id)
    await enqueue(session, REMOVE_JOB, {"attachment_id": str(attachment.id)})


# --- comments ----------------------------------------------------------------------------------


async def attach_to_comment(
    session: AsyncSession,
    principal: Principal,
    *,
    task_id: UUID,
    comment_id: UUID,
    attachment_ids: Sequence[UUID],
) -> None:
    """Put files the caller uploaded to the task, and that are on no comment yet, on their new
    comment (422 naming the first that is not such a file)."""
    if not attachment_ids:
        return
    wanted = list(dict.fromkeys(attachment_ids))
    rows = {
        row.id: row
        for row in await session.scalars(
            select(Attachment).where(Attachment.id.in_(wanted)).with_for_update()
        )
    }
    for position, attachment_id in enumerate(wanted):
        row = rows.get(attachment_id)
        if (
            row is None
            or row.task_id != task_id
            or row.created_by != principal.user_id
            or row.state != READY
            or row.comment_id is not None
        ):
            raise ValidationFailed(
                f"attachment_ids[{position}] is not a file you uploaded to this task for a "
                "comment.",
                code="bad_attachment",
            )
        row.comment_id = comment_id


# --- the workspace's storage ------------------------------------------------------------------


async def usage(
    session: AsyncSession, settings: Settings, principal: Principal, workspace_id: UUID
) -> StorageUsage:
    await access_workspace(session, principal, workspace_id, Action.WORKSPACE_UPDATE)
    used, count = await _usage(session, workspace_id)
    return StorageUsage(
        used_bytes=used,
        quota_bytes=settings.storage_quota_bytes,
        attachments=count,
        max_upload_bytes=settings.max_upload_bytes,
    )
