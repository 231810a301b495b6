"""The job that carries out an import run, as the person who started it.

Rows are written RUN_CHUNK at a time, each chunk in one transaction with the run's progress and
report, so the progress a reader sees is what is committed. A row that fails when written (a
label limit reached, a change made since the plan) fails alone: its chunk is written again one
row per transaction and that row reported in error. The job may run twice (a worker died): it
resumes at the first row not done, and rows are matched to their tasks by external id, so no
task is made twice. Something that stops the whole run (the person lost access, the project
was archived) marks it failed, saying why; the rows written before stay, and running the same
file again carries on from them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import structlog
from anyio import to_thread
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.attachments.storage import IMPORT, storage_for, sweep_orphans
from tasklane.auth.principal import Principal
from tasklane.db import Database
from tasklane.errors import Conflict, NotFound, PermissionDenied, TasklaneError
from tasklane.imports import service
from tasklane.imports import source as files
from tasklane.imports.csvfile import SourceFile, SourceRow
from tasklane.imports.schemas import ImportFormat, ImportStatus, RowAction, RowProblem, RowReport
from tasklane.kit.clock import utcnow
from tasklane.models import ImportRun, User
from tasklane.worker.jobs import JobContext, job_kind

log = structlog.get_logger(__name__)

RUN_CHUNK = 100
MAX_ATTEMPTS = 3
_ROW_FAILURES = (TasklaneError, ValidationError)


class RunStopped(Exception):
    """The whole run cannot go on (access, archived project)."""


async def _context(
    session: AsyncSession,
    principal: Principal,
    project_id: UUID,
    source: SourceFile,
    rows: list[SourceRow],
    identities: set[str],
) -> Any:
    try:
        return await service.context_for(session, principal, project_id, source, rows, identities)
    except (NotFound, PermissionDenied, Conflict) as exc:
        raise RunStopped(service.problem_text(exc)) from exc


async def _save(session: AsyncSession, run_id: UUID, reports: list[RowReport]) -> None:
    run = await session.get(ImportRun, run_id, with_for_update=True)
    assert run is not None
    report = [*run.report, *(r.model_dump(mode="json") for r in reports)]
    run.report = report
    run.rows_done = run.rows_done + len(reports)
    counts = service.count(reports).model_dump()
    run.counts = {name: (run.counts or {}).get(name, 0) + n for name, n in counts.items()}
    run.updated_at = utcnow()


class _Run:
    def __init__(
        self, db: Database, principal: Principal, run: ImportRun, source: SourceFile
    ) -> None:
        self.db = db
        self.principal = principal
        self.run_id = run.id
        self.project_id = run.project_id
        self.source = source
        self.identities = {service.identity_of(source, row) for row in source.rows}
        first: dict[str, int] = {}
        self.repeats: dict[int, int] = {}
        for row in source.rows:
            identity = service.identity_of(source, row)
            if identity in first:
                self.repeats[row.row] = first[identity]
            else:
                first[identity] = row.row

    def _repeat(self, row: SourceRow) -> RowReport | None:
        if row.row not in self.repeats:
            return None
        identity = service.identity_of(self.source, row)
        return RowReport(
            row=row.row,
            action=RowAction.ERROR,
            external_id=identity,
            key=None,
            title=row.cells.get("title", "")[:200],
            changes=[],
            problems=[
                RowProblem(
                    column=None,
                    message=f"Row {self.repeats[row.row]} already has the id {identity!r}.",
                    severity="error",
                )
            ],
        )

    async def _write(self, session: AsyncSession, rows: list[SourceRow]) -> list[RowReport]:
        ctx = await _context(
            session, self.principal, self.project_id, self.source, rows, self.identities
        )
        reports = []
        for row in rows:
            repeat = self._repeat(row)
            if repeat is not None:
                reports.append(repeat)
                continue
            planned = service.plan_row(self.source, row, ctx)
            key = await service.apply_row(session, self.principal, planned, ctx)
            reports.append(planned.report(key))
        await _save(session, self.run_id, reports)
        return reports

    async def chunk(self, rows: list[SourceRow]) -> None:
        try:
            async with self.db.transaction() as session:
                await self._write(session, rows)
            return
        except _ROW_FAILURES:
            pass  # one row at a time, to find the one(s) that fail
        for row in rows:
            try:
                async with self.db.transaction() as session:
                    await self._write(session, [row])
            except _ROW_FAILURES as exc:
                failed = RowReport(
                    row=row.row,
                    action=RowAction.ERROR,
                    external_id=service.identity_of(self.source, row),
                    key=None,
                    title=row.cells.get("title", "")[:200],
                    changes=[],
                    problems=[
                        RowProblem(column=None, message=service.problem_text(exc), severity="error")
                    ],
                )
                async with self.db.transaction() as session:
                    await _save(session, self.run_id, [failed])

    async def parents(self, rows: list[SourceRow]) -> None:
        """Set parents once every task exists (a parent may come after its child)."""
        rows = [r for r in rows if r.cells.get("parent") is not None and r.row not in self.repeats]
        for start in range(0, len(rows), RUN_CHUNK):
            part = rows[start : start + RUN_CHUNK]
            try:
                async with self.db.transaction() as session:
                    await self._parents(session, part)
                continue
            except _ROW_FAILURES:
                pass
            for row in part:
                try:
                    async with self.db.transaction() as session:
                        await self._parents(session, [row])
                except _ROW_FAILURES as exc:
                    await self._warn(
                        row.row, f"The parent was not set: {service.problem_text(exc)}"
                    )

    async def _parents(self, session: AsyncSession, rows: list[SourceRow]) -> None:
        ctx = await _context(
            session, self.principal, self.project_id, self.source, rows, self.identities
        )
        for row in rows:
            planned = service.plan_row(self.source, row, ctx)
            if planned.action != RowAction.ERROR:
                await service.apply_parent(session, self.principal, planned, ctx)

    async def _warn(self, row: int, message: str) -> None:
        async with self.db.transaction() as session:
            run = await session.get(ImportRun, self.run_id, with_for_update=True)
            assert run is not None
            report = [dict(r) for r in run.report]
            for item in report:
                if item["row"] == row:
                    problem = {"column": "parent", "message": message, "severity": "warning"}
                    item["problems"] = [*item["problems"], problem]
            run.report = report


async def _finish(
    db: Database, run_id: UUID, status: ImportStatus, error: str | None = None
) -> None:
    async with db.transaction() as session:
        run = await session.get(ImportRun, run_id, with_for_update=True)
        if run is None:
            return
        now = utcnow()
        run.status = status.value
        run.error = error
        run.updated_at = now
        ended = status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED)
        if ended:
            run.finished_at = now
            run.source = None
    if ended:
        await files.discard(storage_for(db.settings), run_id)


async def _source(
    ctx: JobContext, run_id: UUID, format: ImportFormat, legacy: str | None
) -> SourceFile | None:
    """The run's rows, read from its file (None when the file is not in the store)."""
    storage = storage_for(ctx.settings)
    if legacy is not None:
        file = await files.from_text(legacy, ctx.settings)
    elif await storage.head(files.source_key(run_id)) is None:
        return None
    else:
        file = await files.fetch(storage, run_id, ctx.settings)
    try:
        return await to_thread.run_sync(service.parse, file, format)
    finally:
        await files.close(file)


@job_kind(service.IMPORT_JOB, max_attempts=MAX_ATTEMPTS)
async def run_import(ctx: JobContext, payload: dict[str, Any]) -> None:
    run_id = UUID(payload["import_id"])
    async with ctx.db.transaction() as session:
        run = await session.get(ImportRun, run_id, with_for_update=True)
        if run is None or run.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED):
            return
        user = await session.get(User, run.created_by) if run.created_by else None
        legacy = run.source  # the file itself, of a run queued before files went to the store
        done = run.rows_done
        run.status = ImportStatus.RUNNING.value
        run.updated_at = utcnow()
    if user is None or not user.is_active:
        await _finish(
            ctx.db, run_id, ImportStatus.FAILED, "The person who started the import is gone."
        )
        return
    principal = Principal(
        user_id=user.id, session_id=run_id, email=user.email, name=user.name, via="import"
    )
    try:
        source = await _source(ctx, run_id, ImportFormat(run.format), legacy)
    except TasklaneError as exc:
        await _finish(ctx.db, run_id, ImportStatus.FAILED, service.problem_text(exc))
        return
    except Exception as exc:  # the store or the disk: retried, and ended on the last attempt
        if ctx.attempt >= MAX_ATTEMPTS:
            await _finish(ctx.db, run_id, ImportStatus.FAILED, f"The import failed: {exc}")
        raise
    if source is None:
        await _finish(
            ctx.db, run_id, ImportStatus.FAILED, "The import's file is gone; upload it again."
        )
        return
    work = _Run(ctx.db, principal, run, source)
    try:
        rows = source.rows
        while done < len(rows):
            part = rows[done : done + RUN_CHUNK]
            await work.chunk(part)
            done += len(part)
        await work.parents(rows)
    except RunStopped as stop:
        log.info("import_stopped", import_id=str(run_id), reason=str(stop))
        await _finish(ctx.db, run_id, ImportStatus.FAILED, f"The import stopped: {stop}")
        return
    except Exception as exc:
        if ctx.attempt >= MAX_ATTEMPTS:
            await _finish(ctx.db, run_id, ImportStatus.FAILED, f"The import failed: {exc}")
        raise
    await _finish(ctx.db, run_id, ImportStatus.SUCCEEDED)


SWEEP_JOB = "imports.sweep"
SWEEP_EVERY = timedelta(hours=1)
ORPHAN_AGE = timedelta(hours=1)
"""A file in the store younger than this may belong to a run being queued: it stays."""


@job_kind(SWEEP_JOB, max_attempts=3)
async def _sweep(ctx: JobContext, _: dict[str, Any]) -> None:
    """Remove the files of runs that ended without taking theirs with them (a process killed
    between storing the file and queueing the run, a job given up), and of runs deleted."""

    async def needed(owners: set[UUID]) -> set[UUID]:
        waiting = (ImportStatus.QUEUED.value, ImportStatus.RUNNING.value)
        async with ctx.db.transaction(write=False) as session:
            return set(
                await session.scalars(
                    select(ImportRun.id).where(
                        ImportRun.id.in_(owners), ImportRun.status.in_(waiting)
                    )
                )
            )

    removed = await sweep_orphans(
        storage_for(ctx.settings),
        (IMPORT,),
        written_before=utcnow() - ORPHAN_AGE,
        needed=needed,
    )
    log.info("import_files_swept", objects=removed)
