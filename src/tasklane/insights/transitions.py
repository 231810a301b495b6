"""Task status transitions with the category at the time (docs/metrics.md).

Two sources make a task's history of categories:
- `task_transitions`, one row each time a task enters a status, written in the transaction
  of the change with the category the status had then: by `record` when a task is moved or
  its status changed (tasks/service.py), and by a database trigger when a task is made (the
  migration 20261205_b98dccff4b5b: it costs the create no statement of its own, and covers
  every way a task row is inserted; its time is the task's `created_at`);
- the workflow changes of its project, read from the event log when a metric is computed
  (`status.updated` that moved a status to another category, `status.deleted` that moved the
  status's tasks to another): they change many tasks at once and are rare.

`rebuild` writes the table again from the event log alone; it equals what `record` wrote
(tests/insights/test_transitions.py). The pure functions here are shared by both, and by the
migration's backfill.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.models import Event, Status, Task, TaskTransition

WORKFLOW_EVENTS = ("status.created", "status.updated", "status.deleted")
TASK_EVENTS = ("task.created", "task.updated", "task.moved")
DEFAULT_CATEGORIES = {
    "backlog": "backlog",
    "todo": "unstarted",
    "in progress": "started",
    "done": "done",
    "cancelled": "cancelled",
}
"""The default workflow's categories by status name: the last resort for a status deleted
before this table existed that the log never describes (the defaults are made without
events)."""
FALLBACK_CATEGORY = "unstarted"

_INSERT = insert(TaskTransition)


async def record(session: AsyncSession, event: Event, category: str) -> None:
    """The task of `event` entered the status its `status_id` change names, in `category`
    (the status's category now). Nothing when the event changes no status."""
    row = transition_of(event.type, event.task_id, event.project_id, event.created_at, event.data)
    if row is not None:
        await session.execute(_INSERT, {**row, "category": category})


def transition_of(
    type: str, task_id: UUID | None, project_id: UUID | None, at: datetime, data: Mapping[str, Any]
) -> dict[str, Any] | None:
    if type not in TASK_EVENTS or task_id is None or project_id is None:
        return None
    change = (data.get("changes") or {}).get("status_id")
    if not isinstance(change, dict) or change.get("to") is None:
        return None
    return {
        "task_id": task_id,
        "project_id": project_id,
        "status_id": UUID(str(change["to"])),
        "at": at,
    }


# --- workflow changes ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkflowChange:
    seq: int
    at: datetime
    status_id: UUID
    kind: str  # "created" | "category" | "deleted"
    category: str | None = None
    previous: str | None = None
    moved_to: UUID | None = None
    name: str | None = None


def workflow_change(
    seq: int, at: datetime, type: str, status_id: UUID | None, data: Mapping[str, Any]
) -> WorkflowChange | None:
    if status_id is None:
        return None
    changes = data.get("changes") or {}
    if type == "status.created":
        category = (changes.get("category") or {}).get("to")
        return WorkflowChange(seq, at, status_id, "created", category=category)
    if type == "status.updated":
        change = changes.get("category")
        if not isinstance(change, dict):
            return None
        return WorkflowChange(
            seq, at, status_id, "category", category=change["to"], previous=change["from"]
        )
    if type == "status.deleted" and data.get("moved_to"):
        name = (changes.get("name") or {}).get("from")
        moved_to = UUID(str(data["moved_to"]))
        return WorkflowChange(seq, at, status_id, "deleted", moved_to=moved_to, name=name)
    return None


@dataclass
class Categories:
    """What category each status had, walking forward through the workflow changes."""

    current: Mapping[UUID, str]
    """The statuses that exist, with their category now."""
    changes: Sequence[WorkflowChange]
    seen: Mapping[UUID, str] = field(default_factory=dict)
    """Categories read from transition rows: a deleted status's last resort before its name."""
    _now: dict[UUID, str] = field(default_factory=dict)
    _initial: dict[UUID, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for change in self.changes:
            if change.status_id in self._initial:
                continue
            if change.kind == "created" and change.category is not None:
                self._initial[change.status_id] = change.category
            elif change.kind == "category" and change.previous is not None:
                self._initial[change.status_id] = change.previous
            elif change.kind == "deleted" and change.status_id not in self.current:
                named = DEFAULT_CATEGORIES.get((change.name or "").lower())
                known = self.seen.get(change.status_id)
                self._initial[change.status_id] = known or named or FALLBACK_CATEGORY

    def of(self, status_id: UUID) -> str:
        if status_id not in self._now:
            self._now[status_id] = (
                self._initial.get(status_id)
                or self.current.get(status_id)
                or self.seen.get(status_id)
                or FALLBACK_CATEGORY
            )
        return self._now[status_id]

    def apply(self, change: WorkflowChange) -> None:
        if change.kind in ("created", "category") and change.category is not None:
            self._now[change.status_id] = change.category


# --- timelines -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    task_id: UUID
    status_id: UUID
    category: str
    at: datetime


Timeline = list[tuple[datetime, str]]
"""(from when, category), in time order, no two neighbours with the same category."""


def timelines(
    rows: Iterable[Row],
    changes: Sequence[WorkflowChange],
    current: Mapping[UUID, str],
    seen: Mapping[UUID, str] | None = None,
) -> dict[UUID, Timeline]:
    """Each task's categories over time: its transition rows (in time order), and the
    workflow changes that moved the status it was in to another category or deleted it
    (moving it on). `seen`: the category rows last gave each status that is gone (see
    `Categories`), when `rows` are only some of the tasks'; by default read from `rows`."""
    result: dict[UUID, Timeline] = defaultdict(list)

    def enter(task_id: UUID, at: datetime, category: str) -> None:
        line = result[task_id]
        if not line or line[-1][1] != category:
            line.append((at, category))

    rows = list(rows)
    if not any(c.kind in ("category", "deleted") for c in changes):
        for r in rows:  # in time order: nothing to merge
            enter(r.task_id, r.at, r.category)
        return dict(result)
    if seen is None:
        seen = {r.status_id: r.category for r in rows}
    categories = Categories(current, changes, seen)
    steps: list[tuple[datetime, int, int, Row | WorkflowChange]] = [
        (r.at, 0, i, r) for i, r in enumerate(rows)
    ]
    steps += [(c.at, 1, c.seq, c) for c in changes]
    steps.sort(key=lambda s: s[:3])
    where: dict[UUID, UUID] = {}
    members: dict[UUID, set[UUID]] = defaultdict(set)
    for _, _, _, step in steps:
        if isinstance(step, Row):
            old = where.get(step.task_id)
            if old is not None:
                members[old].discard(step.task_id)
            where[step.task_id] = step.status_id
            members[step.status_id].add(step.task_id)
            enter(step.task_id, step.at, step.category)
            continue
        categories.apply(step)
        if step.kind == "category" and step.category is not None:
            for task_id in members.get(step.status_id, ()):
                enter(task_id, step.at, step.category)
        elif step.kind == "deleted" and step.moved_to is not None:
            moved = members.pop(step.status_id, set())
            target = categories.of(step.moved_to)
            members[step.moved_to] |= moved
            for task_id in moved:
                where[task_id] = step.moved_to
                enter(task_id, step.at, target)
    return dict(result)


# --- rebuild ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    seq: int
    at: datetime
    type: str
    project_id: UUID | None
    task_id: UUID | None
    entity_id: UUID | None
    data: Mapping[str, Any]


def replay(
    log: Iterable[LoggedEvent], current: Mapping[UUID, str], tasks: Mapping[UUID, datetime]
) -> list[dict[str, Any]]:
    """The transition rows the event log describes, for the tasks that still exist (`tasks`:
    their `created_at`, the time the trigger gives a task's first row), with the category
    each status had when the task entered it. `log` in sequence order."""
    log = list(log)
    changes = [
        c
        for e in log
        if e.type in WORKFLOW_EVENTS
        and (c := workflow_change(e.seq, e.at, e.type, e.entity_id, e.data)) is not None
    ]
    categories = Categories(current, changes)
    by_seq = {c.seq: c for c in changes}
    rows: list[dict[str, Any]] = []
    for e in log:
        change = by_seq.get(e.seq)
        if change is not None:
            categories.apply(change)
            continue
        row = transition_of(e.type, e.task_id, e.project_id, e.at, e.data)
        if row is not None and row["task_id"] in tasks:
            if e.type == "task.created":
                row["at"] = tasks[row["task_id"]]
            rows.append({**row, "category": categories.of(row["status_id"])})
    return rows


async def rebuild(session: AsyncSession, project_ids: Sequence[UUID] | None = None) -> int:
    """Write `task_transitions` again from the event log (all projects, or these); the number
    of rows written. Run it alone (a maintenance step): writes in flight are not waited for."""
    scope = [] if project_ids is None else [Event.project_id.in_(project_ids)]
    log = [
        LoggedEvent(*row)
        for row in (
            await session.execute(
                select(
                    Event.seq,
                    Event.created_at,
                    Event.type,
                    Event.project_id,
                    Event.task_id,
                    Event.entity_id,
                    Event.data,
                )
                .where(Event.type.in_(WORKFLOW_EVENTS + TASK_EVENTS), *scope)
                .order_by(Event.seq)
            )
        ).all()
    ]
    statuses = (await session.execute(select(Status.id, Status.category))).all()
    current = {row[0]: row[1] for row in statuses}
    task_scope = [] if project_ids is None else [Task.project_id.in_(project_ids)]
    made = (await session.execute(select(Task.id, Task.created_at).where(*task_scope))).all()
    tasks = {row[0]: row[1] for row in made}
    rows = replay(log, current, tasks)
    stale = delete(TaskTransition)
    if project_ids is not None:
        stale = stale.where(TaskTransition.project_id.in_(project_ids))
    await session.execute(stale)
    for start in range(0, len(rows), 500):
        await session.execute(_INSERT, rows[start : start + 500])
    return len(rows)
