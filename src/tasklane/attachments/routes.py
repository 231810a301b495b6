from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, RedirectResponse
from pydantic import ValidationError

from tasklane.api import file_upload_body, new_router, upload_router
from tasklane.attachments import service
from tasklane.attachments.files import clean_filename, inline
from tasklane.attachments.schemas import (
    AttachmentRead,
    StorageUsage,
    UploadComplete,
    UploadLink,
    UploadStart,
)
from tasklane.attachments.storage import (
    FILE,
    THUMBNAIL,
    LocalStorage,
    content_disposition,
    object_key,
)
from tasklane.attachments.upload import FORM_OVERHEAD, Counted, FormFile
from tasklane.auth.principal import CurrentPrincipal
from tasklane.db import DbSession
from tasklane.errors import NotFound
from tasklane.kit.ids import new_id
from tasklane.kit.signed import SIGNATURE
from tasklane.runtime import CurrentRuntime
from tasklane.tasks.routes import TaskRef

router = new_router(tags=["attachments"])
uploads = upload_router(tags=["attachments"])
"""The routes that take files: their bodies are read as they arrive."""
AttachmentId = Annotated[UUID, Path()]
Expires = Annotated[int, Query(ge=0, le=2**40)]
Signature = Annotated[str, Query(pattern=f"^{SIGNATURE}$")]

_SHORT_CACHE = {"Cache-Control": "private, max-age=30"}
"""A redirect to a link that works for minutes may be reused for a little while by the same
browser (a page showing the same images again)."""
_REDIRECT: dict[int | str, dict[str, Any]] = {
    302: {"description": "To a link that serves the file for a few minutes."}
}


@uploads.post(
    "/tasks/{task_ref}/attachments",
    status_code=status.HTTP_201_CREATED,
    openapi_extra=file_upload_body(**{"application/json": UploadComplete.model_json_schema()}),
)
async def add_attachment(
    task_ref: TaskRef, request: Request, principal: CurrentPrincipal, rt: CurrentRuntime
) -> AttachmentRead:
    """Attach a file (project members, not viewers): a multipart form whose `file` part is
    streamed to the storage as it arrives, or `{"upload_id"}` to complete a direct upload
    (`POST .../attachments/uploads`). The type is sniffed from the bytes; at most
    TASKLANE_MAX_UPLOAD_BYTES (413), TASKLANE_MAX_ATTACHMENTS_PER_TASK per task (409) and the
    workspace's quota (413 `storage_quota_exceeded`)."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() == "application/json":
        try:
            body = UploadComplete.model_validate_json(await request.body())
        except ValidationError as exc:
            raise RequestValidationError(exc.errors(include_url=False)) from exc
        return await service.complete_upload(
            rt.db, rt.settings, rt.storage, principal, task_ref, body.upload_id
        )
    declared = request.headers.get("content-length", "")
    size = max(0, int(declared) - FORM_OVERHEAD) if declared.isdigit() else 0
    await service.preflight(rt.db, rt.settings, principal, task_ref, size)
    form = FormFile(content_type, request.stream())
    await form.open()
    source = Counted(form, limit=rt.settings.max_upload_bytes)
    stored = await service.store(
        rt.storage, source, attachment_id=new_id(), filename=clean_filename(form.filename)
    )
    await form.drain()
    return await service.add(rt.db, rt.settings, rt.storage, principal, task_ref, stored)


@router.post("/tasks/{task_ref}/attachments/uploads", status_code=status.HTTP_201_CREATED)
async def start_upload(
    task_ref: TaskRef,
    data: UploadStart,
    session: DbSession,
    principal: CurrentPrincipal,
    rt: CurrentRuntime,
) -> UploadLink:
    """Start a direct upload: post the file (a multipart form: `fields`, then `file`) to
    `url` before `expires_at` (the store's pre-signed form with S3; this server's own signed
    link with local storage), then complete it with `POST .../attachments {upload_id}`."""
    return await service.start_upload(session, rt.settings, rt.storage, principal, task_ref, data)


@router.get("/tasks/{task_ref}/attachments")
async def list_attachments(
    task_ref: TaskRef, session: DbSession, principal: CurrentPrincipal
) -> list[AttachmentRead]:
    """A task's files, oldest first (those added with a comment name it). At most 1000 are
    listed (TASKLANE_MAX_ATTACHMENTS_PER_TASK is at most that)."""
    return await service.list_attachments(session, principal, task_ref)


@router.get("/attachments/{attachment_id}")
async def get_attachment(
    attachment_id: AttachmentId, session: DbSession, principal: CurrentPrincipal
) -> AttachmentRead:
    """One attachment."""
    return await service.get_attachment(session, principal, attachment_id)


@router.delete("/attachments/{attachment_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_attachment(
    attachment_id: AttachmentId, session: DbSession, principal: CurrentPrincipal
) -> None:
    """Remove a file: its uploader, or a project admin. The stored object is removed by a
    job; the task's history keeps an `attachment.removed` event."""
    await service.delete_attachment(session, principal, attachment_id)


@router.get(
    "/attachments/{attachment_id}/content",
    status_code=status.HTTP_302_FOUND,
    response_class=RedirectResponse,
    responses=_REDIRECT,
)
async def attachment_content(
    attachment_id: AttachmentId, session: DbSession, principal: CurrentPrincipal, rt: CurrentRuntime
) -> RedirectResponse:
    """Download a file: after the access check, a redirect to a link that works for
    TASKLANE_ATTACHMENT_LINK_SECONDS (the store's pre-signed URL, or this server's signed
    one). Images (PNG, JPEG, GIF, WebP) are shown; every other type, SVG and HTML included,
    is a download."""
    url = await service.link(session, rt.settings, rt.storage, principal, attachment_id, FILE)
    return RedirectResponse(url, status_code=status.HTTP_302_FOUND, headers=_SHORT_CACHE)


@router.get(
    "/attachments/{attachment_id}/thumbnail",
    status_code=status.HTTP_302_FOUND,
    response_class=RedirectResponse,
    responses=_REDIRECT,
)
async def attachment_thumbnail(
    attachment_id: AttachmentId, session: DbSession, principal: CurrentPrincipal, rt: CurrentRuntime
) -> RedirectResponse:
    """An image's thumbnail (WebP, at most 480 pixels a side), like `.../content`; 404 until
    it is made."""
    url = await service.link(session, rt.settings, rt.storage, principal, attachment_id, THUMBNAIL)
    return RedirectResponse(url, status_code=status.HTTP_302_FOUND, headers=_SHORT_CACHE)


@router.get("/workspaces/{workspace_id}/storage")
async def storage_usage(
    workspace_id: Annotated[UUID, Path()],
    session: DbSession,
    principal: CurrentPrincipal,
    rt: CurrentRuntime,
) -> StorageUsage:
    """What the workspace's attachments take, against its quota (owners and admins)."""
    return await service.usage(session, rt.settings, principal, workspace_id)


# --- this server's own signed links (local storage): the link is the credential ------------


@router.get("/files/{kind}/{attachment_id}", include_in_schema=False)
async def signed_file(
    kind: Annotated[str, Path(pattern="^[at]$")],
    attachment_id: AttachmentId,
    expires: Expires,
    signature: Signature,
    rt: CurrentRuntime,
) -> Response:
    attachment = await service.signed_file(
        rt.db, rt.settings, attachment_id, kind, expires, signature
    )
    if not isinstance(rt.storage, LocalStorage):
        raise NotFound("This link is not valid (or no longer).")
    path = rt.storage.path(object_key(kind, attachment.id))
    if not path.exists():
        raise NotFound("The file is not there (any more).")
    shown = kind == THUMBNAIL or inline(attachment.content_type)
    media_type = "image/webp" if kind == THUMBNAIL else attachment.content_type
    return FileResponse(
        path,
        media_type=media_type,
        headers={
            "Content-Disposition": content_disposition(attachment.filename, inline=shown),
            "Cache-Control": "private, max-age=60",
        },
    )


@uploads.post(
    "/files/uploads/{upload_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    include_in_schema=False,
)
async def signed_upload(
    upload_id: AttachmentId,
    expires: Expires,
    signature: Signature,
    request: Request,
    rt: CurrentRuntime,
) -> Response:
    pending = await service.pending_upload(rt.db, rt.settings, upload_id, expires, signature)
    form = FormFile(request.headers.get("content-type", ""), request.stream())
    await form.open()
    source = Counted(form, limit=pending.size, exact=pending.size)
    await rt.storage.put(
        object_key(FILE, pending.id), source.read, content_type=pending.content_type
    )
    await form.drain()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
