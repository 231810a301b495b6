from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

Filename = Annotated[str, Field(min_length=1, max_length=1000)]


class AttachmentRead(BaseModel):
    id: UUID
    task_id: UUID
    comment_id: UUID | None = Field(description="The comment it was attached with, if any.")
    filename: str = Field(description="As given (path separators and control characters out).")
    content_type: str = Field(description="Sniffed from the file's bytes, not taken as sent.")
    size: int
    sha256: str
    width: int | None = Field(description="An image's size in pixels, once its thumbnail is made.")
    height: int | None
    created_by: UUID | None
    created_at: datetime
    url: str = Field(description="Downloads it (after the access check, a short-lived link).")
    thumbnail_url: str | None = Field(description="A small WebP of an image, once made.")


class UploadStart(BaseModel):
    """A direct upload: the file goes straight to the store (or to the app's own upload link)
    and `POST /tasks/{ref}/attachments` with the `upload_id` completes it."""

    model_config = ConfigDict(extra="forbid")
    filename: Filename
    content_type: str = Field(
        default="application/octet-stream",
        max_length=127,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$",
        description="What the browser says it is; only the upload form uses it (the stored "
        "type is sniffed at completion).",
    )
    size: int = Field(ge=0, description="Bytes; the upload must be exactly this long.")


class UploadLink(BaseModel):
    upload_id: UUID
    url: str
    method: str = Field(description="Always POST: a multipart form, `fields` first, then `file`.")
    fields: dict[str, str]
    expires_at: datetime


class UploadComplete(BaseModel):
    model_config = ConfigDict(extra="forbid")
    upload_id: UUID


class StorageUsage(BaseModel):
    used_bytes: int = Field(description="Attachments, and direct uploads still in progress.")
    quota_bytes: int | None = Field(description="Null: no quota.")
    attachments: int
    max_upload_bytes: int
