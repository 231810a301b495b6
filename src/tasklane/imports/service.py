"""Project CSV import (the export is tasklane.imports.export).

A file is read and checked whole first (encoding, size, columns: a bad one is refused and
nothing changes), then planned row by row against the project: each row creates a task, updates
one, is skipped (unchanged, or trashed) or is in error (not imported), with the column and the
reason. A dry run answers that plan. A real run keeps the file in the store
(tasklane.imports.source) beside an `import_runs` row, and a job (tasklane.imports.jobs)
carries it out through the tasks' own service functions, so events, history, search and
transitions follow as for any change.

A row is identified by its `external_id` column, else its `key` column (an exported file),
else by the file's hash and its line. Each task an import creates is linked to that identity
(`import_links`) in the same transaction as the task: importing the same rows again updates
or skips those tasks and never duplicates them. A run commits a few rows at a time, each row
whole; a run that stops part-way (the server stopped, the job retried) resumes where it was,
and running the same file again finishes it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any
from uuid import UUID

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.attachments.storage import Storage
from tasklane.auth.principal import Principal
from tasklane.authz.access import access_project, project_people, require_unarchived
from tasklane.authz.roles import Action, project_can, workspace_can
from tasklane.comments import service as comments
from tasklane.comments.schemas import CommentCreate
from tasklane.db import Database
from tasklane.errors import NotFound, TasklaneError
from tasklane.imports import csvfile, jira, trello
from tasklane.imports import source as files
from tasklane.imports.csvfile import Problem, SourceFile, SourceRow
from tasklane.imports.schemas import (
    ImportCounts,
    ImportFormat,
    ImportPreview,
    ImportRunRead,
    ImportStatus,
    MappingNote,
    RowAction,
    RowProblem,
    RowReport,
)
from tasklane.kit.ids import new_id
from tasklane.models import (
    ImportLink,
    ImportRun,
    Label,
    Project,
    Status,
    Task,
    TaskAssignee,
    TaskLabel,
    User,
)
from tasklane.projects import service as projects
from tasklane.projects.schemas import LabelCreate
from tasklane.tasks import service as tasks
from tasklane.tasks.schemas import Priority, TaskCreate, TaskUpdate
from tasklane.worker.jobs import enqueue

IMPORT_JOB = "imports.run"
MAX_COMMENT = 20_000
"""The longest comment (comments.schemas): a longer one from Trello or Jira is cut."""
LABEL_COLORS = ("#ef4444", "#f97316", "#eab308", "#22c55e", "#06b6d4", "#3b82f6", "#8b5cf6")
TRUE = frozenset({"true", "yes", "y", "1", "x"})


# --- planning an import --------------------------------------------------------------------


@dataclass(slots=True)
class _Existing:
    id: UUID
    key: str
    deleted: bool
    title: str
    description: str
    status_id: UUID
    priority: str
    assignee_ids: set[UUID]
    label_ids: set[UUID]
    start_date: Any
    due_date: Any
    estimate: float | None
    parent_id: UUID | None


@dataclass(slots=True)
class _Context:
    """What planning rows needs to know of the project, read for those rows."""

    project: Project
    statuses: dict[str, Status]
    labels: dict[str, UUID]
    people: dict[str, UUID] | None
    """Project members by lower-cased e-mail; None when the caller may not see e-mails.
    From Trello and Jira, also by handle and by name (when only one person has it)."""
    status_map: dict[str, Status] = field(default_factory=dict)
    """Trello lists and Jira statuses with no status of their name: the one they map to."""
    by_identity: dict[str, _Existing] = field(default_factory=dict)
    file_identities: set[str] = field(default_factory=set)


@dataclass(slots=True)
class Planned:
    row: int
    identity: str
    title: str
    action: RowAction
    existing: _Existing | None
    values: dict[str, Any]
    """TaskCreate / TaskUpdate fields (labels by name in `label_names`)."""
    label_names: list[str] | None
    """The labels' names, when the file has the column."""
    parent: str | None
    """The parent cell, when the column is there ("" clears the parent)."""
    changes: list[str]
    problems: list[Problem]
    comments: list[str] = field(default_factory=list)

    def report(self, key: str | None = None) -> RowReport:
        return RowReport(
            row=self.row,
            action=self.action,
            external_id=self.identity,
            key=key or (self.existing.key if self.existing else None),
            title=self.title,
            changes=self.changes,
            problems=[
                RowProblem(column=p.column, message=p.message, severity=p.severity)
                for p in self.problems
            ],
        )


def identity_of(source: SourceFile, row: SourceRow) -> str:
    for column in ("external_id", "key"):
        value = row.cells.get(column, "").strip()
        if value:
            return value[:200]
    return f"row:{source.digest}:{row.row}"


def _project_number(project: Project, ref: str) -> int | None:
    prefix, _, number = ref.strip().rpartition("-")
    if prefix.upper() == project.key.upper() and number.isdigit() and len(number) < 10:
        return int(number)
    return None


async def _context(
    session: AsyncSession,
    project: Project,
    *,
    with_email: bool,
    refs: Iterable[str],
    file_identities: set[str],
    source_format: str = "csv",
    source_statuses: Iterable[str] = (),
) -> _Context:
    statuses = {
        s.name.strip().lower(): s
        for s in await session.scalars(
            select(Status).where(Status.project_id == project.id).order_by(Status.position)
        )
    }
    labels = {
        lb.name.strip().lower(): lb.id
        for lb in await session.scalars(select(Label).where(Label.project_id == project.id))
    }
    people = None
    if with_email:
        users = list(await session.scalars(project_people(project)))
        people = {u.email.lower(): u.id for u in users}
        if source_format != "csv":
            people = _by_name(users) | people
    ctx = _Context(project, statuses, labels, people, file_identities=file_identities)
    if source_format != "csv":
        ctx.status_map = map_statuses(list(statuses.values()), source_statuses)
    wanted = sorted(set(refs))
    task_ids: dict[str, UUID] = {}
    for start in range(0, len(wanted), 500):
        part = wanted[start : start + 500]
        rows = await session.execute(
            select(ImportLink.external_id, ImportLink.task_id).where(
                ImportLink.project_id == project.id, ImportLink.external_id.in_(part)
            )
        )
        task_ids.update((ext, task_id) for ext, task_id in rows.all())
    numbers = {
        n: ref
        for ref in wanted
        if ref not in task_ids and (n := _project_number(project, ref)) is not None
    }
    found: list[Task] = []
    for ids in _chunks(list(set(task_ids.values())), 500):
        found.extend(await session.scalars(select(Task).where(Task.id.in_(ids))))
    for nums in _chunks(list(numbers), 500):
        found.extend(
            await session.scalars(
                select(Task).where(Task.project_id == project.id, Task.number.in_(nums))
            )
        )
    by_id = {t.id: t for t in found}
    assignees: dict[UUID, set[UUID]] = {}
    labels_of: dict[UUID, set[UUID]] = {}
    for ids in _chunks(list(by_id), 500):
        for task_id, user_id in await session.execute(
            select(TaskAssignee.task_id, TaskAssignee.user_id).where(TaskAssignee.task_id.in_(ids))
        ):
            assignees.setdefault(task_id, set()).add(user_id)
        for task_id, label_id in await session.execute(
            select(TaskLabel.task_id, TaskLabel.label_id).where(TaskLabel.task_id.in_(ids))
        ):
            labels_of.setdefault(task_id, set()).add(label_id)

    def existing(task: Task) -> _Existing:
        return _Existing(
            id=task.id,
            key=f"{project.key}-{task.number}",
            deleted=task.deleted_at is not None,
            title=task.title,
            description=task.description,
            status_id=task.status_id,
            priority=Priority.from_rank(task.priority).value,
            assignee_ids=assignees.get(task.id, set()),
            label_ids=labels_of.get(task.id, set()),
            start_date=task.start_date,
            due_date=task.due_date,
            estimate=task.estimate,
            parent_id=task.parent_id,
        )

    for ref, task_id in task_ids.items():
        if task_id in by_id:
            ctx.by_identity[ref] = existing(by_id[task_id])
    by_number = {t.number: t for t in found if t.project_id == project.id}
    for number, ref in numbers.items():
        if number in by_number:
            ctx.by_identity[ref] = existing(by_number[number])
    return ctx


def _by_name(users: list[User]) -> dict[str, UUID]:
    """People by handle, and by name where only one has it (Trello and Jira name people so)."""
    found: dict[str, UUID] = {}
    names: dict[str, list[UUID]] = {}
    for user in users:
        names.setdefault(user.name.strip().lower(), []).append(user.id)
        if user.handle:
            found[user.handle.lower()] = user.id
    return {name: ids[0] for name, ids in names.items() if len(ids) == 1} | found


CATEGORY_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("cancelled", ("cancel", "won't", "wont", "reject", "declin", "abandon", "duplicate")),
    ("done", ("done", "complete", "closed", "resolved", "finish", "shipped", "released")),
    ("started", ("progress", "doing", "review", "test", "qa", "start", "active", "develop", "wip")),
    ("backlog", ("backlog", "icebox", "someday", "idea", "later")),
    ("unstarted", ("to do", "todo", "open", "new", "next", "ready", "selected", "planned")),
)
"""How a status of another tool is read when the project has none of its name: the first
kind of work whose words it contains."""


def status_category(name: str) -> str:
    lowered = name.lower()
    for category, words in CATEGORY_WORDS:
        if any(word in lowered for word in words):
            return category
    return "unstarted"


def map_statuses(statuses: list[Status], names: Iterable[str]) -> dict[str, Status]:
    """Each name the project has no status of: the project's first status of the kind of work
    the name says, else its first not-started one, else its first."""
    by_name = {s.name.strip().lower() for s in statuses}
    found: dict[str, Status] = {}
    fallback = next((s for s in statuses if s.category == "unstarted"), None) or (
        statuses[0] if statuses else None
    )
    for name in {n.strip() for n in names if n.strip()}:
        if name.lower() in by_name:
            continue
        category = status_category(name)
        chosen = next((s for s in statuses if s.category == category), fallback)
        if chosen is not None:
            found[name.lower()] = chosen
    return found


def _chunks(values: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _refs(source: SourceFile, rows: Sequence[SourceRow]) -> set[str]:
    refs = {identity_of(source, row) for row in rows}
    refs |= {row.cells["parent"].strip() for row in rows if row.cells.get("parent", "").strip()}
    return refs


def plan_row(source: SourceFile, row: SourceRow, ctx: _Context) -> Planned:
    """What importing `row` would do, with every problem found in it."""
    cells = row.cells
    problems = list(row.problems)
    identity = identity_of(source, row)
    title = cells.get("title", "").strip()
    existing = ctx.by_identity.get(identity)
    planned = Planned(
        row.row, identity, title[:200], RowAction.ERROR, existing, {}, None, None, [], problems
    )

    def error(column: str | None, message: str) -> None:
        problems.append(Problem(column, message))

    def warn(column: str | None, message: str) -> None:
        problems.append(Problem(column, message, "warning"))

    values: dict[str, Any] = {}
    if not title:
        error("title", "The title is empty.")
    elif len(title) > 500:
        error("title", "The title is longer than 500 characters.")
    else:
        values["title"] = title
    if "description" in cells:
        if len(cells["description"]) > csvfile.MAX_CELL:
            error("description", f"The description is longer than {csvfile.MAX_CELL} characters.")
        else:
            values["description"] = cells["description"]
    status_name = cells.get("status", "").strip()
    if status_name:
        status = ctx.statuses.get(status_name.lower()) or ctx.status_map.get(status_name.lower())
        if status is None:
            known = ", ".join(s.name for s in ctx.statuses.values())
            error("status", f"No status {status_name!r} in this project (it has: {known}).")
        else:
            values["status_id"] = status.id
    if "priority" in cells:
        try:
            values["priority"] = csvfile.parse_priority(cells["priority"])
        except ValueError as exc:
            error("priority", str(exc))
    for column in ("start_date", "due_date"):
        if column in cells:
            try:
                values[column] = csvfile.parse_date(cells[column])
            except ValueError as exc:
                error(column, str(exc))
    start, due = values.get("start_date"), values.get("due_date")
    if start is not None and due is not None and start > due:
        error("due_date", "The due date is before the start date.")
    if "estimate" in cells:
        try:
            values["estimate"] = csvfile.parse_estimate(cells["estimate"])
        except ValueError as exc:
            error("estimate", str(exc))
    if "assignees" in cells:
        emails = csvfile.text_list(cells["assignees"])
        if ctx.people is None:
            if emails:
                warn("assignees", "Only workspace members assign people by e-mail; left as is.")
        else:
            ids = []
            for email in emails:
                user_id = ctx.people.get(email.lower())
                if user_id is None:
                    warn("assignees", f"{email} is not a member of this project; not assigned.")
                else:
                    ids.append(user_id)
            if len(ids) > 20:
                error("assignees", "A task has at most 20 assignees.")
            values["assignee_ids"] = list(dict.fromkeys(ids))
    if "labels" in cells:
        names = csvfile.text_list(cells["labels"])
        if len(names) > 50:
            error("labels", "A task has at most 50 labels.")
        for name in names:
            if len(name) > 50:
                error("labels", f"The label {name[:60]!r}… is longer than 50 characters.")
        planned.label_names = [n for n in names if len(n) <= 50]
        new = [n for n in planned.label_names if n.lower() not in ctx.labels]
        if new:
            warn("labels", f"New labels, made by the import: {', '.join(new)}.")
    if "parent" in cells:
        ref = cells["parent"].strip()
        planned.parent = ref
        if ref and ref == identity:
            error("parent", "A task cannot be its own parent.")
        elif ref and ref not in ctx.by_identity and ref not in ctx.file_identities:
            warn("parent", f"No task {ref!r} in this project or this file; no parent is set.")
            planned.parent = None
    planned.values = values
    planned.comments = [c for c in row.comments if c.strip()]
    if any(p.severity == "error" for p in problems):
        return planned

    trashed_in_file = cells.get("trashed", "").strip().lower() in TRUE
    if existing is None:
        if trashed_in_file:
            planned.action = RowAction.SKIP
            warn("trashed", "It was archived or in the trash where it came from; not imported.")
        else:
            planned.action = RowAction.CREATE
        return planned
    if existing.deleted:
        planned.action = RowAction.SKIP
        warn(None, f"{existing.key} is in the trash; restore it to update it from a file.")
        return planned
    planned.changes = _changes(planned, existing, ctx)
    planned.action = RowAction.UPDATE if planned.changes else RowAction.SKIP
    return planned


def _changes(planned: Planned, existing: _Existing, ctx: _Context) -> list[str]:
    values = planned.values
    changed: list[str] = [
        name
        for name in (
            "title",
            "description",
            "status_id",
            "priority",
            "start_date",
            "due_date",
            "estimate",
        )
        if name in values and values[name] != getattr(existing, name)
    ]
    if "assignee_ids" in values and set(values["assignee_ids"]) != existing.assignee_ids:
        changed.append("assignees")
    if planned.label_names is not None:
        wanted = {ctx.labels.get(n.lower()) for n in planned.label_names}
        if wanted != existing.label_ids:
            changed.append("labels")
    if planned.parent is not None:
        parent = ctx.by_identity.get(planned.parent) if planned.parent else None
        if parent is None and planned.parent:
            changed.append("parent")  # a task this import creates
        elif (parent.id if parent else None) != existing.parent_id:
            changed.append("parent")
    return [c.removesuffix("_id") for c in changed]


def count(reports: Iterable[RowReport]) -> ImportCounts:
    counts = ImportCounts()
    for report in reports:
        setattr(counts, report.action.value, getattr(counts, report.action.value) + 1)
    return counts


READERS: dict[ImportFormat, Callable[[IO[bytes], str], SourceFile]] = {
    ImportFormat.CSV: csvfile.read,
    ImportFormat.TRELLO: trello.read,
    ImportFormat.JIRA: jira.read,
}


def parse(file: IO[bytes], format: ImportFormat) -> SourceFile:
    """The file's rows, or a 422 naming what is wrong with it. Reads the file (a few times
    over): run it in a thread."""
    return READERS[format](file, files.check(file))


async def context_for(
    session: AsyncSession,
    principal: Principal,
    project_id: UUID,
    source: SourceFile,
    rows: Sequence[SourceRow],
    identities: set[str],
) -> _Context:
    """Authorise an import into the project (as creating tasks), and what planning `rows`
    needs to know of it."""
    access = await access_project(session, principal, project_id, Action.TASK_CREATE)
    require_unarchived(access.project)
    return await _context(
        session,
        access.project,
        with_email=workspace_can(access.workspace_role, Action.MEMBER_EMAILS_READ),
        refs=_refs(source, rows),
        file_identities=identities,
        source_format=source.format,
        source_statuses=[row.cells.get("status", "") for row in source.rows],
    )


def mapping(source: SourceFile, ctx: _Context) -> list[MappingNote]:
    """What the source's statuses, people and labels become, and what else it holds."""
    notes = [MappingNote(kind=n.kind, source=n.source, target=n.target) for n in source.notes]
    if source.format == "csv":
        return notes
    statuses: dict[str, str] = {}
    people: dict[str, str] = {}
    labels: set[str] = set()
    names = {s.id: s.name for s in ctx.statuses.values()}
    for row in source.rows:
        status = row.cells.get("status", "").strip()
        if status and status.lower() not in statuses:
            exact = ctx.statuses.get(status.lower())
            mapped = exact or ctx.status_map.get(status.lower())
            statuses[status.lower()] = (
                f"{status} → {names[mapped.id]}" + ("" if exact else f" ({mapped.category})")
                if mapped
                else f"{status} → the project's first status"
            )
        for person in csvfile.text_list(row.cells.get("assignees", "")):
            if person.lower() in people:
                continue
            if ctx.people is None:
                people[person.lower()] = f"{person} → not assigned (guests assign nobody)"
            elif person.lower() in ctx.people:
                people[person.lower()] = f"{person} → a project member"
            else:
                people[person.lower()] = f"{person} → not assigned (not a project member)"
        labels |= set(csvfile.text_list(row.cells.get("labels", "")))
    for text in statuses.values():
        source_name, _, target = text.partition(" → ")
        notes.append(MappingNote(kind="status", source=source_name, target=target))
    for text in people.values():
        source_name, _, target = text.partition(" → ")
        notes.append(MappingNote(kind="person", source=source_name, target=target))
    for name in sorted(labels, key=str.lower):
        known = name.lower() in ctx.labels
        notes.append(
            MappingNote(kind="label", source=name, target="existing" if known else "new label")
        )
    return notes


def _plan_all(source: SourceFile, ctx: _Context) -> list[Planned]:
    """Plan every row, in order; a row naming the same task as an earlier one is an error."""
    seen: dict[str, int] = {}
    plans = []
    for row in source.rows:
        identity = identity_of(source, row)
        planned = plan_row(source, row, ctx)
        if identity in seen:
            planned.problems.append(
                Problem(None, f"Row {seen[identity]} already has the id {identity!r}.")
            )
            planned.action = RowAction.ERROR
        else:
            seen[identity] = row.row
        ctx.file_identities.add(identity)
        plans.append(planned)
    return plans


async def check_access(db: Database, principal: Principal, project_id: UUID) -> None:
    """Refuse early (before the file is read) a caller who may not import into the project."""
    async with db.transaction(write=False) as session:
        access = await access_project(session, principal, project_id, Action.TASK_CREATE)
        require_unarchived(access.project)


async def dry_run(
    db: Database, principal: Principal, *, project_id: UUID, source: SourceFile, filename: str
) -> ImportPreview:
    async with db.transaction(write=False) as session:
        ctx = await context_for(session, principal, project_id, source, source.rows, set())
        ctx.file_identities = {identity_of(source, row) for row in source.rows}
        plans = _plan_all(source, ctx)
        notes = mapping(source, ctx)
    reports = [p.report() for p in plans]
    return ImportPreview(
        format=ImportFormat(source.format),
        mapping=notes,
        filename=filename,
        columns=list(source.columns),
        total_rows=len(source.rows),
        counts=count(reports),
        rows=reports,
    )


async def start_run(
    db: Database,
    storage: Storage,
    principal: Principal,
    *,
    project_id: UUID,
    source: SourceFile,
    file: IO[bytes],
    filename: str,
) -> ImportRunRead:
    """Keep the file in the store and queue the job that imports it (nothing is kept when
    the run cannot be queued)."""
    run_id = new_id()
    await files.store(storage, run_id, file)
    try:
        return await _queue(
            db, principal, run_id, project_id=project_id, source=source, filename=filename
        )
    except BaseException:
        await files.discard(storage, run_id)
        raise


async def _queue(
    db: Database,
    principal: Principal,
    run_id: UUID,
    *,
    project_id: UUID,
    source: SourceFile,
    filename: str,
) -> ImportRunRead:
    async with db.transaction() as session:
        ctx = await context_for(session, principal, project_id, source, [], set())
        run = ImportRun(
            id=run_id,
            project_id=project_id,
            created_by=principal.user_id,
            format=source.format,
            mapping=[n.model_dump(mode="json") for n in mapping(source, ctx)],
            filename=filename[:200],
            status=ImportStatus.QUEUED.value,
            source=None,
            total_rows=len(source.rows),
            rows_done=0,
            counts=ImportCounts().model_dump(),
            report=[],
        )
        session.add(run)
        await session.flush()
        await enqueue(session, IMPORT_JOB, {"import_id": str(run.id)}, max_attempts=3)
        return _run_read(run)


def _run_read(run: ImportRun) -> ImportRunRead:
    return ImportRunRead(
        id=run.id,
        project_id=run.project_id,
        format=ImportFormat(run.format),
        mapping=[MappingNote.model_validate(n) for n in run.mapping or []],
        status=ImportStatus(run.status),
        filename=run.filename,
        total_rows=run.total_rows,
        rows_done=run.rows_done,
        counts=ImportCounts.model_validate(run.counts or {}),
        error=run.error,
        created_by=run.created_by,
        created_at=run.created_at,
        finished_at=run.finished_at,
        rows=[RowReport.model_validate(r) for r in run.report or []],
    )


async def get_run(session: AsyncSession, principal: Principal, *, import_id: UUID) -> ImportRunRead:
    """An import run, for whoever started it and the project's admins."""
    run = await session.get(ImportRun, import_id)
    if run is None:
        raise NotFound("No such import.")
    try:
        access = await access_project(session, principal, run.project_id, Action.PROJECT_READ)
    except NotFound:
        raise NotFound("No such import.") from None
    others = project_can(access.role, Action.IMPORTS_READ_ALL)
    if run.created_by != principal.user_id and not others:
        raise NotFound("No such import.")
    return _run_read(run)


# --- carrying out a run (the job) ----------------------------------------------------------


def _label_color(name: str) -> str:
    return LABEL_COLORS[hashlib.sha256(name.lower().encode()).digest()[0] % len(LABEL_COLORS)]


async def apply_row(
    session: AsyncSession, principal: Principal, planned: Planned, ctx: _Context
) -> str | None:
    """Write one planned row (create or update, without its parent: see `apply_parent`);
    the key of the task it created or updated."""
    if planned.action not in (RowAction.CREATE, RowAction.UPDATE):
        return planned.existing.key if planned.existing else None
    project = ctx.project
    label_ids = []
    for name in planned.label_names or []:
        label_id = ctx.labels.get(name.lower())
        if label_id is None:
            created = await projects.create_label(
                session,
                principal,
                project_id=project.id,
                data=LabelCreate(name=name, color=_label_color(name)),
            )
            label_id = ctx.labels[name.lower()] = created.id
        label_ids.append(label_id)
    values = dict(planned.values)
    if "labels" in planned.changes or planned.action == RowAction.CREATE:
        values["label_ids"] = label_ids
    if planned.action == RowAction.CREATE:
        read = await tasks.create_task(
            session, principal, project_id=project.id, data=TaskCreate(**values)
        )
        for body in planned.comments:
            await comments.create_comment(
                session, principal, ref=str(read.id), data=CommentCreate(body=body[:MAX_COMMENT])
            )
        session.add(
            ImportLink(project_id=project.id, external_id=planned.identity, task_id=read.id)
        )
        return read.key
    assert planned.existing is not None
    changed = {
        name: value
        for name, value in values.items()
        if name.removesuffix("_ids").removesuffix("_id") in planned.changes
        or (name == "assignee_ids" and "assignees" in planned.changes)
        or (name == "label_ids" and "labels" in planned.changes)
    }
    if changed:
        await tasks.update_task(
            session,
            principal,
            ref=str(planned.existing.id),
            data=TaskUpdate(**changed),
            if_match=None,
            project_id=project.id,
        )
    return planned.existing.key


async def apply_parent(
    session: AsyncSession, principal: Principal, planned: Planned, ctx: _Context
) -> None:
    """Set the row's parent once every task of the file exists."""
    task = ctx.by_identity.get(planned.identity)
    if task is None or task.deleted or planned.parent is None:
        return
    parent = ctx.by_identity.get(planned.parent) if planned.parent else None
    if planned.parent and parent is None:
        return
    parent_id = parent.id if parent else None
    if parent_id != task.parent_id:
        await tasks.update_task(
            session,
            principal,
            ref=str(task.id),
            data=TaskUpdate(parent_id=parent_id),
            if_match=None,
            project_id=ctx.project.id,
        )


def problem_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(str(e["msg"]) for e in exc.errors())
    if isinstance(exc, TasklaneError):
        if exc.errors:
            return "; ".join(e.message for e in exc.errors)
        return str(exc.detail)
    return str(exc)
