"""SQL for tasks: list filters, sort orders and the batch loads that avoid N+1 queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVarTuple
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Date,
    Select,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.kit.keyset import SortColumn, as_date, as_datetime, as_int, as_str, as_uuid
from tasklane.models import Status, Task, TaskAssignee, TaskLabel
from tasklane.projects.workflow import StatusCategory
from tasklane.tasks.schemas import Priority, TaskSort

Ts = TypeVarTuple("Ts")
FAR_FUTURE = date(9999, 12, 31)
FAR_PAST = date(1, 1, 1)


@dataclass(frozen=True)
class TaskFilters:
    status_ids: list[UUID] = field(default_factory=list)
    status_categories: list[StatusCategory] = field(default_factory=list)
    assignees: list[UUID | None] = field(default_factory=list)
    """User ids; None stands for "no assignee"."""
    label_ids: list[UUID] = field(default_factory=list)
    priorities: list[Priority] = field(default_factory=list)
    due_before: date | None = None
    due_after: date | None = None
    parent_id: UUID | None = None
    top_level_only: bool = False
    text: str | None = None


def apply_filters(stmt: Select[*Ts], project_id: UUID, f: TaskFilters) -> Select[*Ts]:
    stmt = stmt.where(Task.project_id == project_id, Task.deleted_at.is_(None))
    if f.status_ids:
        stmt = stmt.where(Task.status_id.in_(f.status_ids))
    if f.status_categories:
        stmt = stmt.where(
            Task.status_id.in_(
                select(Status.id).where(
                    Status.project_id == project_id,
                    Status.category.in_([c.value for c in f.status_categories]),
                )
            )
        )
    if f.assignees:
        users = [u for u in f.assignees if u is not None]
        has = exists().where(TaskAssignee.task_id == Task.id)
        conditions: list[ColumnElement[bool]] = []
        if users:
            conditions.append(has.where(TaskAssignee.user_id.in_(users)))
        if None in f.assignees:
            conditions.append(~exists().where(TaskAssignee.task_id == Task.id))
        stmt = stmt.where(or_(*conditions))
    if f.label_ids:
        stmt = stmt.where(
            exists().where(TaskLabel.task_id == Task.id, TaskLabel.label_id.in_(f.label_ids))
        )
    if f.priorities:
        stmt = stmt.where(Task.priority.in_([p.rank for p in f.priorities]))
    if f.due_before is not None:
        stmt = stmt.where(Task.due_date <= f.due_before)
    if f.due_after is not None:
        stmt = stmt.where(Task.due_date >= f.due_after)
    if f.parent_id is not None:
        stmt = stmt.where(Task.parent_id == f.parent_id)
    elif f.top_level_only:
        stmt = stmt.where(Task.parent_id.is_(None))
    if f.text:
        stmt = stmt.where(
            or_(
                Task.title.icontains(f.text, autoescape=True),
                Task.description.icontains(f.text, autoescape=True),
            )
        )
    return stmt


def sort_columns(sort: TaskSort) -> list[SortColumn]:
    """The ordering for a sort, ending in the task id so every row has one place."""
    tail = SortColumn(Task.id, False, as_uuid)
    match sort:
        case TaskSort.POSITION:
            return [
                SortColumn(Status.position, False, as_int),
                SortColumn(Task.position, False, as_str),
                tail,
            ]
        case TaskSort.CREATED | TaskSort.CREATED_DESC:
            return [SortColumn(Task.created_at, sort is TaskSort.CREATED_DESC, as_datetime), tail]
        case TaskSort.UPDATED | TaskSort.UPDATED_DESC:
            return [SortColumn(Task.updated_at, sort is TaskSort.UPDATED_DESC, as_datetime), tail]
        case TaskSort.DUE:
            # Tasks without a due date come last either way.
            due = func.coalesce(Task.due_date, literal(FAR_FUTURE, Date))
            return [SortColumn(due, False, as_date), tail]
        case TaskSort.DUE_DESC:
            due = func.coalesce(Task.due_date, literal(FAR_PAST, Date))
            return [SortColumn(due, True, as_date), tail]
        case TaskSort.PRIORITY | TaskSort.PRIORITY_DESC:
            return [SortColumn(Task.priority, sort is TaskSort.PRIORITY_DESC, as_int), tail]


def sort_values(sort: TaskSort, task: Task, status_position: int) -> list[Any]:
    match sort:
        case TaskSort.POSITION:
            return [status_position, task.position, str(task.id)]
        case TaskSort.CREATED | TaskSort.CREATED_DESC:
            return [task.created_at.isoformat(), str(task.id)]
        case TaskSort.UPDATED | TaskSort.UPDATED_DESC:
            return [task.updated_at.isoformat(), str(task.id)]
        case TaskSort.DUE:
            return [(task.due_date or FAR_FUTURE).isoformat(), str(task.id)]
        case TaskSort.DUE_DESC:
            return [(task.due_date or FAR_PAST).isoformat(), str(task.id)]
        case TaskSort.PRIORITY | TaskSort.PRIORITY_DESC:
            return [task.priority, str(task.id)]


@dataclass
class Links:
    assignees: dict[UUID, list[UUID]]
    labels: dict[UUID, list[UUID]]


async def load_links(session: AsyncSession, task_ids: Sequence[UUID]) -> Links:
    """Assignees and labels of many tasks in one statement."""
    links = Links(assignees=defaultdict(list), labels=defaultdict(list))
    if not task_ids:
        return links
    ids = list(task_ids)
    stmt: CompoundSelect[UUID, UUID, str] = union_all(
        select(
            TaskAssignee.task_id,
            TaskAssignee.user_id.label("other"),
            literal_column("'a'").label("kind"),
        ).where(TaskAssignee.task_id.in_(ids)),
        select(
            TaskLabel.task_id,
            TaskLabel.label_id.label("other"),
            literal_column("'l'").label("kind"),
        ).where(TaskLabel.task_id.in_(ids)),
    )
    for task_id, other, kind in (await session.execute(stmt)).all():
        (links.assignees if kind == "a" else links.labels)[task_id].append(other)
    for group in (links.assignees, links.labels):
        for values in group.values():
            values.sort()
    return links


async def column_edge(
    session: AsyncSession, status_id: UUID, *, last: bool, exclude: UUID | None = None
) -> str | None:
    """The highest (last=True) or lowest ordering key in a status column."""
    agg = func.max(Task.position) if last else func.min(Task.position)
    stmt = select(agg).where(Task.status_id == status_id, Task.deleted_at.is_(None))
    if exclude is not None:
        stmt = stmt.where(Task.id != exclude)
    value = await session.scalar(stmt)
    return str(value) if value is not None else None


async def neighbour(
    session: AsyncSession, status_id: UUID, position: str, *, after: bool, exclude: UUID
) -> str | None:
    """The next key above (after=False) or below (after=True) `position` in a column."""
    stmt: Select[str]
    if after:
        stmt = select(func.min(Task.position)).where(Task.position > position)
    else:
        stmt = select(func.max(Task.position)).where(Task.position < position)
    stmt = stmt.where(Task.status_id == status_id, Task.deleted_at.is_(None), Task.id != exclude)
    value = await session.scalar(stmt)
    return str(value) if value is not None else None
