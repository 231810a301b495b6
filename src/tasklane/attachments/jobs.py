"""The attachments' jobs: thumbnails, removing a deleted file's objects, and the sweep that
keeps the storage holding only what the database knows."""

from __future__ import annotations

import io
import warnings
from datetime import timedelta
from typing import Any
from uuid import UUID

import structlog
from PIL import Image, UnidentifiedImageError
from sqlalchemy import delete, select

from tasklane.attachments.service import PENDING, REMOVE_JOB, THUMBNAIL_JOB
from tasklane.attachments.storage import (
    ATTACHMENT_KINDS,
    FILE,
    THUMBNAIL,
    object_key,
    reader,
    storage_for,
    sweep_orphans,
)
from tasklane.kit.clock import utcnow
from tasklane.models import Attachment
from tasklane.worker.jobs import JobContext, job_kind

log = structlog.get_logger(__name__)

THUMBNAIL_BOX = (480, 480)
SWEEP_JOB = "attachments.sweep"
SWEEP_EVERY = timedelta(hours=6)
ORPHAN_AGE = timedelta(hours=1)
"""An object no row names is removed once it is this old (an upload in flight has none yet)."""
SWEEP_BATCH = 500


def make_thumbnail(data: bytes, *, max_pixels: int) -> tuple[bytes, int, int] | None:
    """A WebP no larger than THUMBNAIL_BOX, and the image's size; None for what is not an image
    Pillow reads, or one of more than `max_pixels` (decided from its header, before decoding:
    a small file can claim a huge canvas)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > max_pixels:
                return None
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image.draft("RGB", THUMBNAIL_BOX)
                image.thumbnail(THUMBNAIL_BOX)
                converted = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
            out = io.BytesIO()
            converted.save(out, "WEBP", quality=80)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    except Image.DecompressionBombWarning:
        return None
    return out.getvalue(), width, height


@job_kind(THUMBNAIL_JOB, max_attempts=5)
async def _thumbnail(ctx: JobContext, payload: dict[str, Any]) -> None:
    attachment_id = UUID(payload["attachment_id"])
    async with ctx.db.transaction(write=False) as session:
        attachment = await session.get(Attachment, attachment_id)
    if attachment is None or attachment.thumbnail:
        return
    storage = storage_for(ctx.settings)
    chunks = []
    async for chunk in storage.get(object_key(FILE, attachment_id)):
        chunks.append(chunk)
    made = make_thumbnail(b"".join(chunks), max_pixels=ctx.settings.thumbnail_max_pixels)
    if made is None:
        log.info("thumbnail_skipped", attachment_id=str(attachment_id))
        return
    webp, width, height = made

    await storage.put(object_key(THUMBNAIL, attachment_id), reader(webp), content_type="image/webp")
    async with ctx.db.transaction() as session:
        attachment = await session.get(Attachment, attachment_id)
        if attachment is None:  # deleted meanwhile: the removal job or the sweep takes it
            return
        attachment.thumbnail = True
        attachment.width = width
        attachment.height = height


@job_kind(REMOVE_JOB, max_attempts=8)
async def _remove(ctx: JobContext, payload: dict[str, Any]) -> None:
    attachment_id = UUID(payload["attachment_id"])
    storage = storage_for(ctx.settings)
    for kind in (FILE, THUMBNAIL):
        await storage.delete(object_key(kind, attachment_id))


@job_kind(SWEEP_JOB, max_attempts=3)
async def _sweep(ctx: JobContext, _: dict[str, Any]) -> None:
    removed = await sweep(ctx)
    log.info("attachments_swept", objects=removed)


async def sweep(ctx: JobContext) -> int:
    """Drop direct uploads whose link expired unused, then remove every object older than
    ORPHAN_AGE that no attachment names: files of deleted tasks, projects and workspaces
    (their rows went with them), uploads refused or cut off by a crash. How many removed."""
    now = utcnow()
    async with ctx.db.transaction() as session:
        await session.execute(
            delete(Attachment).where(
                Attachment.state == PENDING, Attachment.expires_at < now - ORPHAN_AGE
            )
        )

    async def needed(owners: set[UUID]) -> set[UUID]:
        async with ctx.db.transaction(write=False) as session:
            return set(
                await session.scalars(select(Attachment.id).where(Attachment.id.in_(owners)))
            )

    return await sweep_orphans(
        storage_for(ctx.settings),
        ATTACHMENT_KINDS,
        written_before=now - ORPHAN_AGE,
        needed=needed,
        batch_size=SWEEP_BATCH,
    )
