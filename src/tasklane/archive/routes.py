from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Query, Request, status
from fastapi.responses import StreamingResponse

from tasklane.api import file_upload_body, new_router, problem_doc, upload_router
from tasklane.archive import jobs as _jobs  # noqa: F401 - registers the archive's jobs
from tasklane.archive import service
from tasklane.archive.schemas import WorkspaceExportRead, WorkspaceImportRead
from tasklane.attachments.files import clean_filename
from tasklane.attachments.storage import content_disposition
from tasklane.attachments.upload import Counted, FormFile
from tasklane.audit.address import ClientAddress
from tasklane.auth.principal import CurrentPrincipal
from tasklane.db import DbSession
from tasklane.runtime import CurrentRuntime
from tasklane.workspaces.schemas import Slug

router = new_router(tags=["archives"])
uploads = upload_router(tags=["archives"])
"""The archive's upload: its body is read as it arrives, up to TASKLANE_ARCHIVE_MAX_UPLOAD_BYTES."""


@router.post(
    "/workspaces/{workspace_id}/archives",
    status_code=status.HTTP_202_ACCEPTED,
    responses={409: problem_doc("`export_in_progress`: one is being made; wait for it.")},
)
async def start_export(
    workspace_id: UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    rt: CurrentRuntime,
    address: ClientAddress,
) -> WorkspaceExportRead:
    """Make an archive of the workspace (owners): every project, task, comment, file, saved
    view, webhook (with its signing secret), notification and the whole history, and the
    accounts they name without their passwords, in the format of `tasklane export`
    (docs/archive.md). The worker writes it: follow `state` (`GET .../archives/{id}`) to
    `done`, then download it. One export of a workspace is made at a time (409
    `export_in_progress`). The newest TASKLANE_ARCHIVE_KEEP done exports are kept, each for
    TASKLANE_ARCHIVE_RETENTION_DAYS (`expires_at`). Recorded in the audit log
    (`workspace.exported`)."""
    return await service.start_export(
        session, rt.settings, principal, workspace_id=workspace_id, address=address
    )


@router.get("/workspaces/{workspace_id}/archives")
async def list_exports(
    workspace_id: UUID, session: DbSession, principal: CurrentPrincipal, rt: CurrentRuntime
) -> list[WorkspaceExportRead]:
    """The workspace's exports (owners), newest first. At most 20 are listed."""
    return await service.list_exports(session, rt.settings, principal, workspace_id=workspace_id)


@router.get("/workspaces/{workspace_id}/archives/{archive_id}")
async def get_export(
    workspace_id: UUID,
    archive_id: UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    rt: CurrentRuntime,
) -> WorkspaceExportRead:
    """One export of the workspace (owners): its state, and once done its size and what it
    holds."""
    return await service.get_export(
        session, rt.settings, principal, workspace_id=workspace_id, export_id=archive_id
    )


@router.get(
    "/workspaces/{workspace_id}/archives/{archive_id}/download",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {service.MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
            "description": "The archive (a gzip-compressed tar), as a download.",
        },
        409: problem_doc("`export_not_ready`: it is not done (yet)."),
    },
)
async def download_export(
    workspace_id: UUID,
    archive_id: UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    rt: CurrentRuntime,
) -> StreamingResponse:
    """Download a done export (owners), streamed from the store, as an attachment. It
    imports into any Tasklane of this version or newer, on SQLite or PostgreSQL: `tasklane
    import FILE`, or `POST /workspaces/imports`. 404 once the housekeeping removed it."""
    download = await service.download_export(
        session, rt.storage, principal, workspace_id=workspace_id, export_id=archive_id
    )
    headers = {
        "Content-Disposition": content_disposition(download.filename, inline=False),
        "Cache-Control": "private, no-store",
    }
    if download.size is not None:
        headers["Content-Length"] = str(download.size)
    return StreamingResponse(download.chunks, media_type=service.MEDIA_TYPE, headers=headers)


@uploads.post(
    "/workspaces/imports",
    status_code=status.HTTP_202_ACCEPTED,
    openapi_extra=file_upload_body(),
    responses={
        409: problem_doc(
            "`slug_taken`, or `import_in_progress`: one of yours is being imported; wait."
        ),
        413: problem_doc(
            "Larger than TASKLANE_ARCHIVE_MAX_UPLOAD_BYTES, or its files more than a "
            "workspace may hold (`storage_quota_exceeded`)."
        ),
    },
)
async def import_archive(
    request: Request,
    principal: CurrentPrincipal,
    rt: CurrentRuntime,
    slug: Annotated[
        Slug | None,
        Query(
            description="The new workspace's slug (409 `slug_taken`, 422 `slug_reserved`). "
            "Left out: the archive's, or the next free one like it (`acme-2`)."
        ),
    ] = None,
) -> WorkspaceImportRead:
    """Make a new workspace from a workspace archive (anyone signed in): a multipart form
    whose `file` part is an archive from `tasklane export` or `POST .../archives`, at most
    TASKLANE_ARCHIVE_MAX_UPLOAD_BYTES (413). The file is checked as it arrives, before
    anything is kept: not a Tasklane archive, or damaged at its start (422
    `not_an_archive`), a backup's installation archive (422 `not_a_workspace_archive`),
    made by a newer Tasklane (422 `archive_too_new`), files past the workspace quota (413
    `storage_quota_exceeded`). Then the worker imports it (202): follow
    `GET /workspaces/imports/{id}` to `done`, whose `workspace` is the new one, or to
    `failed` with `error` (damage found further in: nothing was made).

    The workspace is a copy: its rows get new ids, so an archive imports beside the
    workspace it was made from, and twice. Its members come with it: people are matched to
    this installation's accounts by e-mail address; the others get accounts without a
    password (they reset it, or use single sign-on). You are an owner of the new workspace
    whatever the archive says: added as one when your address is not among its members,
    made one when it is with another role. One import of yours runs at a time (409
    `import_in_progress`). Recorded in the audit log (`workspace.imported`)."""
    await service.preflight_import(rt.db, principal, slug=slug)
    form = FormFile(request.headers.get("content-type", ""), request.stream())
    await form.open()
    source = Counted(form, limit=rt.settings.archive_max_upload_bytes)
    read = await service.receive_import(
        rt.db,
        rt.settings,
        rt.storage,
        principal,
        source,
        filename=clean_filename(form.filename or "workspace.tar.gz"),
        slug=slug,
    )
    await form.drain()
    return read


@router.get("/workspaces/imports/{import_id}")
async def get_import(
    import_id: UUID, session: DbSession, principal: CurrentPrincipal
) -> WorkspaceImportRead:
    """An import of an archive, for whoever uploaded it: its state, and once done the new
    workspace (`workspace`: id, slug, name) and what was made (`summary`)."""
    return await service.get_import(session, principal, import_id=import_id)
