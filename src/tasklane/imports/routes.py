from __future__ import annotations

from typing import Annotated
from uuid import UUID

from anyio import to_thread
from fastapi import Query, Request, Response, status
from fastapi.responses import StreamingResponse

from tasklane.api import file_upload_body, new_router, upload_router
from tasklane.attachments.upload import FormFile
from tasklane.auth.principal import CurrentPrincipal
from tasklane.db import DbSession
from tasklane.imports import export, service
from tasklane.imports import jobs as _jobs  # noqa: F401 - registers the import job
from tasklane.imports import source as files
from tasklane.imports.schemas import ImportFormat, ImportPreview, ImportRunRead
from tasklane.runtime import CurrentRuntime

router = new_router(tags=["imports"])
uploads = upload_router(tags=["imports"])
"""The import's upload: its body is read as it arrives, up to the file limit."""


@router.get(
    "/projects/{project_id}/export.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def export_tasks(
    project_id: UUID,
    principal: CurrentPrincipal,
    rt: CurrentRuntime,
    trashed: Annotated[
        bool, Query(description="Also the tasks in the trash (`trashed` column `yes`).")
    ] = False,
) -> StreamingResponse:
    """Download the project's tasks as CSV (UTF-8, a header row, one task per row, by
    number), streamed; for anyone who can read the project. Columns: `key`, `number`,
    `title`, `description`, `status`, `status_category`, `priority`, `assignees` (e-mails,
    comma-separated; names for workspace guests), `labels` (names), `start_date`, `due_date`,
    `estimate`, `parent` (its key), `created_at`, `updated_at`, `completed_at`, `created_by`,
    `trashed`. A cell that a spreadsheet would run as a formula (starting with `=`, `+`, `-`,
    `@`) starts with `'`. The file imports back (`POST .../imports`)."""
    filename, lines = await export.start_export(
        rt.db, principal, project_id=project_id, trashed=trashed
    )
    return StreamingResponse(
        lines,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@uploads.post(
    "/projects/{project_id}/imports",
    status_code=status.HTTP_202_ACCEPTED,
    openapi_extra=file_upload_body(),
    responses={200: {"model": ImportPreview, "description": "The dry run's report."}},
)
async def import_tasks(
    project_id: UUID,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    rt: CurrentRuntime,
    dry_run: Annotated[
        bool, Query(description="Only report what the import would do (200); change nothing.")
    ] = False,
    format: Annotated[
        ImportFormat,
        Query(description="`csv`, `trello` (a board's JSON export) or `jira` (its CSV export)."),
    ] = ImportFormat.CSV,
) -> ImportRunRead | ImportPreview:
    """Import tasks from a CSV file (project members, not viewers): a multipart form whose
    `file` part is UTF-8 CSV with a header row, of at most 5000 rows (422) and the server's
    TASKLANE_IMPORT_MAX_FILE_BYTES (50 MiB by default; a larger file is a 413 whose
    `limit_bytes` says the limit).
    Columns are matched by name, in any case and order: `title` is required; `external_id`,
    `key`, `description`, `status` (a status of the project, by name), `priority`,
    `assignees` (e-mails of project members), `labels` (names; new ones are created),
    `start_date`, `due_date` (YYYY-MM-DD), `estimate`, `parent` (a key of the project or the
    id of another row) are read; the export's other columns are ignored; any other column is
    a 422 naming it. A file that is not UTF-8 is a 422 (`not_utf8`).

    Rows are matched to tasks by `external_id`, else `key`: a row seen before (by an earlier
    import, or a key of this project) updates its task, or is skipped when nothing changed,
    so importing a file twice never duplicates a task. Without either column, a row is known
    by the file's contents and its line. A present column sets its field (an empty cell clears
    it); a missing one leaves it alone.

    With `dry_run=true` the answer (200) is the report of every row: `create`, `update`,
    `skip` or `error`, with the column and the reason (an unknown status is an error; an
    unknown person, a new label or a missing parent is a warning). Without it the import
    runs in the background (202): the answer is the run, whose progress and report
    `GET /imports/{id}` gives. Rows in error are not imported.

    `format=trello` takes a Trello board's JSON export and `format=jira` a Jira CSV export
    (same limits): cards and issues become tasks known by `trello:<id>` / `jira:<key>`,
    Trello checklist items become subtasks, comments become comments (on the tasks the import
    creates), attachments become links at the end of the description. Their lists and
    statuses map to the project's status of that name, else to the first of the kind of work
    the name says (`Doing` → started, `Closed` → done, …); people match by e-mail, handle or
    name. The report's `mapping` says what became of each."""
    await service.check_access(rt.db, principal, project_id)
    form = FormFile(request.headers.get("content-type", ""), request.stream())
    await form.open()
    file = await files.receive(form, rt.settings)
    try:
        await form.drain()
        source = await to_thread.run_sync(service.parse, file, format)
        filename = form.filename or f"import.{'json' if format == ImportFormat.TRELLO else 'csv'}"
        if dry_run:
            response.status_code = status.HTTP_200_OK
            return await service.dry_run(
                rt.db, principal, project_id=project_id, source=source, filename=filename
            )
        return await service.start_run(
            rt.db,
            rt.storage,
            principal,
            project_id=project_id,
            source=source,
            file=file,
            filename=filename,
        )
    finally:
        await files.close(file)


@router.get("/imports/{import_id}")
async def get_import(
    import_id: UUID, session: DbSession, principal: CurrentPrincipal
) -> ImportRunRead:
    """An import run (for whoever started it, and the project's admins): its status
    (`queued`, `running`, `succeeded`, `failed` with `error`), progress (`rows_done` of
    `total_rows`), counts per action and the report of each row handled so far."""
    return await service.get_run(session, principal, import_id=import_id)
