"""Project CSV export: every task of a project, read in keyset-paged batches (by number), each
in its own short read transaction, and streamed as CSV with readable names (statuses, labels,
people) and cells a spreadsheet will not run as formulas (kit.spreadsheet). E-mail addresses
are written for those who may see them (workspace members); guests get names."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from tasklane.auth.principal import Principal
from tasklane.authz.access import access_project
from tasklane.authz.roles import Action, workspace_can
from tasklane.db import Database
from tasklane.imports import csvfile
from tasklane.kit.clock import utcnow
from tasklane.kit.spreadsheet import safe_cell
from tasklane.models import Label, Status, Task, TaskAssignee, TaskLabel, User
from tasklane.tasks.schemas import Priority

EXPORT_BATCH = 500


@dataclass(frozen=True, slots=True)
class _Names:
    project_key: str
    statuses: dict[UUID, tuple[str, str]]
    labels: dict[UUID, str]
    with_email: bool


async def start_export(
    db: Database, principal: Principal, *, project_id: UUID, trashed: bool
) -> tuple[str, AsyncIterator[str]]:
    """Authorise (as reading the project's tasks), then the file's name and its lines."""
    async with db.transaction(write=False) as session:
        access = await access_project(session, principal, project_id, Action.PROJECT_READ)
        project = access.project
        statuses = {
            s.id: (s.name, s.category)
            for s in await session.scalars(select(Status).where(Status.project_id == project_id))
        }
        labels = {
            lb.id: lb.name
            for lb in await session.scalars(select(Label).where(Label.project_id == project_id))
        }
    names = _Names(
        project_key=project.key,
        statuses=statuses,
        labels=labels,
        with_email=workspace_can(access.workspace_role, Action.MEMBER_EMAILS_READ),
    )
    filename = f"{project.key.lower()}-tasks-{utcnow():%Y-%m-%d}.csv"
    return filename, _export_lines(db, project_id, names, trashed=trashed)


def _csv_line(values: Sequence[Any]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([safe_cell(v) for v in values])
    return out.getvalue()


async def _export_lines(
    db: Database, project_id: UUID, names: _Names, *, trashed: bool
) -> AsyncIterator[str]:
    yield _csv_line(csvfile.EXPORT_COLUMNS)
    after = 0
    parent = aliased(Task)
    creator = aliased(User)
    while True:
        stmt = (
            select(Task, parent.number, creator.email, creator.name)
            .outerjoin(parent, parent.id == Task.parent_id)
            .outerjoin(creator, creator.id == Task.created_by)
            .where(Task.project_id == project_id, Task.number > after)
            .order_by(Task.number)
            .limit(EXPORT_BATCH)
        )
        if not trashed:
            stmt = stmt.where(Task.deleted_at.is_(None))
        async with db.transaction(write=False) as session:
            rows = (await session.execute(stmt)).all()
            ids = [r[0].id for r in rows]
            people = await _assignees(session, ids, with_email=names.with_email)
            labels = await _label_ids(session, ids)
        if not rows:
            return
        yield "".join(
            _csv_line(
                csvfile.export_row(
                    _export_values(
                        task,
                        names,
                        parent_number=parent_number,
                        creator=email if names.with_email else creator_name,
                        assignees=people.get(task.id, []),
                        labels=labels.get(task.id, []),
                    )
                )
            )
            for task, parent_number, email, creator_name in rows
        )
        if len(rows) < EXPORT_BATCH:
            return
        after = rows[-1][0].number


async def _assignees(
    session: AsyncSession, task_ids: list[UUID], *, with_email: bool
) -> dict[UUID, list[str]]:
    found: dict[UUID, list[str]] = {}
    if not task_ids:
        return found
    rows = await session.execute(
        select(TaskAssignee.task_id, User.email, User.name)
        .join(User, User.id == TaskAssignee.user_id)
        .where(TaskAssignee.task_id.in_(task_ids))
        .order_by(User.email)
    )
    for task_id, email, name in rows.all():
        found.setdefault(task_id, []).append(email if with_email else name)
    return found


async def _label_ids(session: AsyncSession, task_ids: list[UUID]) -> dict[UUID, list[UUID]]:
    found: dict[UUID, list[UUID]] = {}
    if not task_ids:
        return found
    rows = await session.execute(
        select(TaskLabel.task_id, TaskLabel.label_id).where(TaskLabel.task_id.in_(task_ids))
    )
    for task_id, label_id in rows.all():
        found.setdefault(task_id, []).append(label_id)
    return found


def _export_values(
    task: Task,
    names: _Names,
    *,
    parent_number: int | None,
    creator: str | None,
    assignees: list[str],
    labels: list[UUID],
) -> dict[str, Any]:
    status, category = names.statuses.get(task.status_id, ("", ""))
    return {
        "key": f"{names.project_key}-{task.number}",
        "number": task.number,
        "title": task.title,
        "description": task.description,
        "status": status,
        "status_category": category,
        "priority": Priority.from_rank(task.priority).value,
        "assignees": ", ".join(assignees),
        "labels": ", ".join(sorted(names.labels[lb] for lb in labels if lb in names.labels)),
        "start_date": task.start_date.isoformat() if task.start_date else "",
        "due_date": task.due_date.isoformat() if task.due_date else "",
        "estimate": _number(task.estimate),
        "parent": f"{names.project_key}-{parent_number}" if parent_number is not None else "",
        "created_at": _moment(task.created_at),
        "updated_at": _moment(task.updated_at),
        "completed_at": _moment(task.completed_at),
        "created_by": creator or "",
        "trashed": "yes" if task.deleted_at is not None else "no",
    }


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if value == int(value) else str(value)


def _moment(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z") if value is not None else ""
