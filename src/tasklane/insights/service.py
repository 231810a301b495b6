"""Flow metrics of a project or of a workspace's projects, as docs/metrics.md defines them.

Reads only, scoped to what the caller can see: a project through `access_project`, a
workspace through the projects `visible_project_ids` gives (guests: the projects they were
given). Each metric loads the live tasks in scope and their category timelines
(`transitions.timelines`), and counts in Python.
"""

from __future__ import annotations

import bisect
import csv
import io
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.auth.principal import Principal
from tasklane.authz.access import access_project, access_workspace, visible_project_ids
from tasklane.authz.roles import Action
from tasklane.errors import ValidationFailed
from tasklane.insights import transitions
from tasklane.insights.schemas import (
    MAX_DAYS,
    MAX_POINTS,
    MAX_TASK_IDS,
    InsightInterval,
    InsightMetric,
    InsightPoint,
    InsightRead,
)
from tasklane.kit.clock import utcnow
from tasklane.models import Event, Project, Status, Task, TaskAssignee, TaskTransition
from tasklane.query.compile import Context, task_conditions, text_terms
from tasklane.query.language import parse_query
from tasklane.search.queries import text_condition

OPEN = ("backlog", "unstarted", "started")
CATEGORIES = ("backlog", "unstarted", "started", "done", "cancelled")
DAY = timedelta(days=1)
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2999, 12, 31)
"""The days a period, or a burndown's target, may name."""
_WORKFLOW_TYPES = text("events.type IN ('status.updated', 'status.deleted')")
"""Spelled as the partial index `ix_events_project_id_seq_workflow` is, so it is used."""


# --- the period and the scope ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date
    interval: InsightInterval

    @classmethod
    def of(
        cls, start: date | None, end: date | None, interval: InsightInterval, today: date
    ) -> Period:
        for name, day in (("to", end), ("from", start)):
            if day is not None and not FIRST_DAY <= day <= LAST_DAY:
                raise ValidationFailed.for_field(
                    name, f"Choose a day from {FIRST_DAY} to {LAST_DAY}."
                )
        end = end or today
        start = start or end - timedelta(days=83)
        if start > end:
            raise ValidationFailed.for_field("from", "`from` must not be after `to`.")
        if (end - start).days + 1 > MAX_DAYS:
            raise ValidationFailed.for_field(
                "from", f"A period covers at most {MAX_DAYS} days; choose a later `from`."
            )
        return cls(start, end, interval)

    def bucket(self, day: date) -> date:
        if self.interval is InsightInterval.DAY:
            return day
        return day - timedelta(days=day.weekday())

    def buckets(self) -> list[date]:
        out: list[date] = []
        day = self.bucket(self.start)
        step = DAY if self.interval is InsightInterval.DAY else 7 * DAY
        while day <= self.end:
            out.append(day)
            day += step
        return out

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def covers(self, moment: datetime) -> bool:
        return self.start <= moment.date() <= self.end


@dataclass(frozen=True, slots=True)
class Filter:
    query: str = ""
    task_ids: Sequence[UUID] | None = None


def end_of(day: date) -> datetime:
    """The first instant after `day` (UTC): the state "at the end of the day" is the state
    just before it."""
    return datetime.combine(day + DAY, time.min, tzinfo=UTC)


# --- loading ---------------------------------------------------------------------------------


@dataclass(slots=True)
class TaskHistory:
    id: UUID
    project_id: UUID
    status_id: UUID
    created_at: datetime
    due_date: date | None
    estimate: float | None
    line: transitions.Timeline = field(default_factory=list)
    assignees: list[UUID] = field(default_factory=list)

    @property
    def current(self) -> str:
        return self.line[-1][1]

    def category_at(self, moment: datetime) -> str | None:
        """The category just before `moment`; None before the task existed."""
        found = None
        for at, category in self.line:
            if at >= moment:
                break
            found = category
        return found

    @property
    def first_start(self) -> datetime | None:
        return next((at for at, category in self.line if category == "started"), None)

    @property
    def finished_at(self) -> datetime | None:
        """When the task entered done for the last time, if it is done now."""
        if self.current != "done":
            return None
        return self.line[-1][0]


@dataclass(slots=True)
class World:
    tasks: list[TaskHistory]
    statuses: list[tuple[UUID, UUID, str, str, int]]  # id, project, name, category, position
    now: datetime


def _task_statement(
    project_ids: Sequence[UUID], principal: Principal, scope: Filter, today: date
) -> Select[UUID, UUID, UUID, datetime, date | None, float | None]:
    stmt = select(
        Task.id, Task.project_id, Task.status_id, Task.created_at, Task.due_date, Task.estimate
    ).where(Task.project_id.in_(project_ids), Task.deleted_at.is_(None))
    conditions: list[ColumnElement[bool]] = []
    if scope.query.strip():
        query = parse_query(scope.query, field_name="q")
        conditions += task_conditions(query, Context(principal.user_id, today))
        terms = text_terms(query)
        if terms is not None:
            conditions.append(text_condition(terms))
    if scope.task_ids is not None:
        conditions.append(Task.id.in_(list(scope.task_ids)))
    return stmt.where(*conditions)


async def load(
    session: AsyncSession,
    principal: Principal,
    project_ids: Sequence[UUID],
    scope: Filter,
    *,
    assignees: bool = False,
) -> World:
    now = utcnow()
    tasks_stmt = _task_statement(project_ids, principal, scope, now.date())
    rows = (await session.execute(tasks_stmt)).all()
    tasks = {r[0]: TaskHistory(*r) for r in rows}
    statuses = [
        (r[0], r[1], r[2], r[3], r[4])
        for r in (
            await session.execute(
                select(Status.id, Status.project_id, Status.name, Status.category, Status.position)
                .where(Status.project_id.in_(project_ids))
                .order_by(Status.project_id, Status.position)
            )
        ).all()
    ]
    if not tasks:
        return World([], statuses, now)
    ids = tasks_stmt.with_only_columns(Task.id)
    moves = [
        transitions.Row(*r)
        for r in (
            await session.execute(
                select(
                    TaskTransition.task_id,
                    TaskTransition.status_id,
                    TaskTransition.category,
                    TaskTransition.at,
                )
                .where(TaskTransition.project_id.in_(project_ids), TaskTransition.task_id.in_(ids))
                .order_by(TaskTransition.at, TaskTransition.id)
            )
        ).all()
    ]
    changes = [
        change
        for r in (
            await session.execute(
                select(Event.seq, Event.created_at, Event.type, Event.entity_id, Event.data)
                .where(Event.project_id.in_(project_ids), _WORKFLOW_TYPES)
                .order_by(Event.seq)
            )
        ).all()
        if (change := transitions.workflow_change(*r)) is not None
    ]
    current = {s[0]: s[3] for s in statuses}
    lines = transitions.timelines(moves, changes, current)
    for task in tasks.values():
        task.line = lines.get(task.id) or [(task.created_at, current.get(task.status_id, "?"))]
    if assignees:
        for task_id, user_id in (
            await session.execute(
                select(TaskAssignee.task_id, TaskAssignee.user_id).where(
                    TaskAssignee.task_id.in_(ids)
                )
            )
        ).all():
            tasks[task_id].assignees.append(user_id)
    ordered = sorted(tasks.values(), key=lambda t: (t.created_at, str(t.id)))
    return World(ordered, statuses, now)


# --- statistics ------------------------------------------------------------------------------


def percentile(values: Sequence[float], percent: float) -> float | None:
    """Nearest rank: the smallest value with at least `percent`% of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def _days(delta: timedelta) -> float:
    return round(delta.total_seconds() / 86400, 4)


def _ids(tasks: Iterable[TaskHistory]) -> tuple[list[UUID], bool, int]:
    ids = [t.id for t in tasks]
    return ids[:MAX_TASK_IDS], len(ids) > MAX_TASK_IDS, len(ids)


def _point(tasks: Sequence[TaskHistory], **fields: Any) -> InsightPoint:
    ids, truncated, count = _ids(tasks)
    estimate = round(sum(t.estimate or 0 for t in tasks), 4)
    return InsightPoint(
        count=count, estimate=estimate, task_ids=ids, task_ids_truncated=truncated, **fields
    )


# --- the metrics -----------------------------------------------------------------------------


@dataclass
class Answer:
    points: list[InsightPoint]
    summary: dict[str, float | None]
    truncated: bool = False
    """More points than MAX_POINTS: `points` holds the first of them."""


def status_counts(world: World, period: Period) -> Answer:
    by_status: dict[UUID, list[TaskHistory]] = defaultdict(list)
    for task in world.tasks:
        by_status[task.status_id].append(task)
    points = [
        _point(
            by_status.get(sid, []),
            project_id=pid,
            status_id=sid,
            status_name=name,
            category=category,
        )
        for sid, pid, name, category, _ in world.statuses
    ]
    summary: dict[str, float | None] = {"count": float(len(world.tasks))}
    for category in CATEGORIES:
        summary[category] = float(sum(1 for t in world.tasks if t.current == category))
    return Answer(points, summary)


def _finished(world: World, period: Period) -> list[TaskHistory]:
    return [t for t in world.tasks if (done := t.finished_at) is not None and period.covers(done)]


def throughput(world: World, period: Period) -> Answer:
    buckets: dict[date, list[TaskHistory]] = {b: [] for b in period.buckets()}
    finished = _finished(world, period)
    for task in finished:
        assert task.finished_at is not None
        buckets[period.bucket(task.finished_at.date())].append(task)
    points = [_point(tasks, date=b) for b, tasks in buckets.items()]
    counts = [float(p.count) for p in points]
    summary: dict[str, float | None] = {
        "count": float(len(finished)),
        "mean_per_interval": round(sum(counts) / len(counts), 4) if counts else None,
        "median_per_interval": percentile(counts, 50),
    }
    return Answer(points, summary)


def _durations(world: World, period: Period, *, lead: bool) -> Answer:
    found: list[tuple[date, float, TaskHistory]] = []
    excluded = 0
    for task in _finished(world, period):
        assert task.finished_at is not None
        start = task.created_at if lead else task.first_start
        if start is None or start > task.finished_at:
            excluded += 1
            continue
        found.append((task.finished_at.date(), _days(task.finished_at - start), task))
    found.sort(key=lambda f: (f[0], f[1], str(f[2].id)))
    points = [
        InsightPoint(
            date=day,
            project_id=task.project_id,
            count=1,
            estimate=task.estimate,
            days=days,
            task_ids=[task.id],
        )
        for day, days, task in found[:MAX_POINTS]
    ]
    values = [days for _, days, _ in found]
    summary: dict[str, float | None] = {
        "count": float(len(values)),
        "excluded": float(excluded),
        "mean_days": round(sum(values) / len(values), 4) if values else None,
        "median_days": percentile(values, 50),
        "p85_days": percentile(values, 85),
        "p95_days": percentile(values, 95),
    }
    return Answer(points, summary, truncated=len(found) > MAX_POINTS)


def cycle_time(world: World, period: Period) -> Answer:
    return _durations(world, period, lead=False)


def lead_time(world: World, period: Period) -> Answer:
    return _durations(world, period, lead=True)


def _sample_days(period: Period) -> list[tuple[date, date]]:
    """(label, the day whose end is sampled): every day, or the last day of each week in the
    period."""
    if period.interval is InsightInterval.DAY:
        return [(d, d) for d in period.days()]
    return [(b, min(b + 6 * DAY, period.end)) for b in period.buckets()]


def cumulative_flow(world: World, period: Period) -> Answer:
    """Each stretch a task spent in a category covers the samples from its start (excluded)
    to its end (included): counts by difference arrays, and ids into the first points of
    the stretch that are not full yet ("next free slot" links), so the cost grows with the
    stretches and the ids listed, not with tasks times days."""
    samples = _sample_days(period)
    moments = [end_of(day) for _, day in samples]
    size = len(moments)
    counts = {c: [0] * (size + 1) for c in CATEGORIES}
    estimates = {c: [0.0] * (size + 1) for c in CATEGORIES}
    ids: dict[str, list[list[UUID]]] = {c: [[] for _ in range(size)] for c in CATEGORIES}
    free = {c: list(range(size + 1)) for c in CATEGORIES}

    def next_free(links: list[int], i: int) -> int:
        while links[i] != i:
            links[i] = links[links[i]]
            i = links[i]
        return i

    for task in world.tasks:
        line = task.line
        for k, (start, category) in enumerate(line):
            if category not in counts:
                continue
            first = bisect.bisect_right(moments, start)
            last = size if k + 1 == len(line) else bisect.bisect_right(moments, line[k + 1][0])
            if first >= last:
                continue
            counts[category][first] += 1
            counts[category][last] -= 1
            estimates[category][first] += task.estimate or 0
            estimates[category][last] -= task.estimate or 0
            links, lists = free[category], ids[category]
            i = next_free(links, first)
            while i < last:
                lists[i].append(task.id)
                if len(lists[i]) >= MAX_TASK_IDS:
                    links[i] = i + 1
                i = next_free(links, i + 1)
    points: list[InsightPoint] = []
    running = dict.fromkeys(CATEGORIES, 0)
    running_estimate = dict.fromkeys(CATEGORIES, 0.0)
    for index, (label, _) in enumerate(samples):
        for c in CATEGORIES:
            running[c] += counts[c][index]
            running_estimate[c] += estimates[c][index]
            points.append(
                InsightPoint(
                    date=label,
                    category=c,
                    count=running[c],
                    estimate=round(running_estimate[c], 4),
                    task_ids=ids[c][index],
                    task_ids_truncated=running[c] > len(ids[c][index]),
                )
            )
    return Answer(points, {"count": float(len(world.tasks))})


def burndown(world: World, period: Period, target: date) -> Answer:
    today = world.now.date()
    days = [period.start + timedelta(days=i) for i in range((target - period.start).days + 1)]
    first = end_of(period.start)
    start_remaining = sum(1 for t in world.tasks if t.category_at(first) in OPEN)
    span = max(1, (target - period.start).days)
    points: list[InsightPoint] = []
    for day in days:
        ideal = round(start_remaining * max(0, (target - day).days) / span, 4)
        if day > today:
            points.append(InsightPoint(date=day, ideal=ideal))
            continue
        moment = end_of(day)
        states = [(t, t.category_at(moment)) for t in world.tasks]
        scope = [t for t, c in states if c is not None and c != "cancelled"]
        remaining = [t for t, c in states if c in OPEN]
        done = [t for t, c in states if c == "done"]
        point = _point(remaining, date=day, ideal=ideal)
        point.scope, point.done, point.remaining = len(scope), len(done), len(remaining)
        points.append(point)
    summary: dict[str, float | None] = {
        "scope": float(sum(1 for t in world.tasks if t.current != "cancelled")),
        "remaining": float(sum(1 for t in world.tasks if t.current in OPEN)),
        "done": float(sum(1 for t in world.tasks if t.current == "done")),
    }
    return Answer(points, summary)


def workload(world: World, period: Period) -> Answer:
    by_person: dict[UUID | None, list[TaskHistory]] = defaultdict(list)
    open_tasks = [t for t in world.tasks if t.current in OPEN]
    for task in open_tasks:
        people: list[UUID | None] = [*task.assignees] or [None]
        for person in people:
            by_person[person].append(task)
    points = [
        _point(tasks, assignee_id=person)
        for person, tasks in sorted(
            by_person.items(), key=lambda kv: (kv[0] is None, -len(kv[1]), str(kv[0]))
        )
    ]
    for point, tasks in zip(points, [by_person[p.assignee_id] for p in points], strict=True):
        point.scope = sum(1 for t in tasks if t.current == "started")
    return Answer(points, {"count": float(len(open_tasks))})


def aging_wip(world: World, period: Period) -> Answer:
    usual = cycle_time(world, period).summary["p85_days"]
    points: list[InsightPoint] = []
    for task in world.tasks:
        start = task.first_start
        if task.current != "started" or start is None:
            continue
        age = _days(world.now - start)
        points.append(
            InsightPoint(
                date=start.date(),
                project_id=task.project_id,
                status_id=task.status_id,
                count=1,
                estimate=task.estimate,
                days=age,
                over_usual=None if usual is None else age > usual,
                task_ids=[task.id],
            )
        )
    points.sort(key=lambda p: (-(p.days or 0), str(p.task_ids[0])))
    summary: dict[str, float | None] = {
        "count": float(len(points)),
        "usual_days": usual,
        "over_usual": float(sum(1 for p in points if p.over_usual)),
    }
    return Answer(points, summary)


def overdue(world: World, period: Period) -> Answer:
    today = world.now.date()
    late = [t for t in world.tasks if t.current in OPEN and t.due_date and t.due_date < today]
    points = [
        InsightPoint(
            date=t.due_date,
            project_id=t.project_id,
            status_id=t.status_id,
            count=1,
            estimate=t.estimate,
            days=float((today - t.due_date).days) if t.due_date else None,
            task_ids=[t.id],
        )
        for t in late
    ]
    points.sort(key=lambda p: (-(p.days or 0), str(p.task_ids[0])))
    return Answer(points, {"count": float(len(points))})


_METRICS = {
    InsightMetric.STATUS_COUNTS: status_counts,
    InsightMetric.THROUGHPUT: throughput,
    InsightMetric.CYCLE_TIME: cycle_time,
    InsightMetric.LEAD_TIME: lead_time,
    InsightMetric.CUMULATIVE_FLOW: cumulative_flow,
    InsightMetric.WORKLOAD: workload,
    InsightMetric.AGING_WIP: aging_wip,
    InsightMetric.OVERDUE: overdue,
}


# --- entry points ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Params:
    metric: InsightMetric
    start: date | None
    end: date | None
    interval: InsightInterval
    query: str
    task_ids: Sequence[UUID] | None = None
    target: date | None = None


async def _compute(
    session: AsyncSession,
    principal: Principal,
    project_ids: Sequence[UUID],
    params: Params,
    *,
    project_id: UUID | None,
    workspace_id: UUID | None,
) -> InsightRead:
    today = utcnow().date()
    period = Period.of(params.start, params.end, params.interval, today)
    target: date | None = None
    if params.metric is InsightMetric.BURNDOWN:
        target = params.target or period.end
        if target > LAST_DAY:
            raise ValidationFailed.for_field("target", f"Choose a day until {LAST_DAY}.")
        if target < period.start:
            raise ValidationFailed.for_field("target", "`target` must not be before `from`.")
        if (target - period.start).days + 1 > MAX_DAYS:
            raise ValidationFailed.for_field(
                "target", f"A burndown covers at most {MAX_DAYS} days from `from`."
            )
    world = await load(
        session,
        principal,
        project_ids,
        Filter(params.query, params.task_ids),
        assignees=params.metric is InsightMetric.WORKLOAD,
    )
    if params.metric is InsightMetric.BURNDOWN:
        assert target is not None
        answer = burndown(world, period, target)
    else:
        answer = _METRICS[params.metric](world, period)
    return InsightRead(
        metric=params.metric,
        project_id=project_id,
        workspace_id=workspace_id,
        from_=period.start,
        to=period.end,
        interval=period.interval,
        query=params.query,
        target=target,
        generated_at=world.now.isoformat(),
        summary=answer.summary,
        points=answer.points[:MAX_POINTS],
        points_truncated=answer.truncated or len(answer.points) > MAX_POINTS,
    )


async def project_insight(
    session: AsyncSession, principal: Principal, *, project_id: UUID, params: Params
) -> InsightRead:
    await access_project(session, principal, project_id, Action.PROJECT_READ)
    return await _compute(
        session, principal, [project_id], params, project_id=project_id, workspace_id=None
    )


async def workspace_insight(
    session: AsyncSession, principal: Principal, *, workspace_id: UUID, params: Params
) -> InsightRead:
    await access_workspace(session, principal, workspace_id, Action.WORKSPACE_READ)
    if params.metric is InsightMetric.BURNDOWN:
        raise ValidationFailed.for_field(
            "metric", "A burndown is per project: ask the project's insights."
        )
    project_ids = list(
        (
            await session.scalars(
                select(Project.id).where(
                    Project.workspace_id == workspace_id,
                    Project.id.in_(visible_project_ids(principal.user_id)),
                )
            )
        ).all()
    )
    return await _compute(
        session, principal, project_ids, params, project_id=None, workspace_id=workspace_id
    )


CSV_COLUMNS = (
    "date",
    "project_id",
    "status_id",
    "status_name",
    "category",
    "assignee_id",
    "count",
    "estimate",
    "days",
    "scope",
    "done",
    "remaining",
    "ideal",
    "over_usual",
    "task_ids",
)


def as_csv(insight: InsightRead) -> str:
    """The points as CSV, one row each; `task_ids` separated by spaces (at most
    MAX_TASK_IDS, as in JSON)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for point in insight.points:
        values = point.model_dump(mode="json")
        values["task_ids"] = " ".join(values["task_ids"])
        writer.writerow([_cell(values[c]) for c in CSV_COLUMNS])
    return out.getvalue()


def _cell(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula (a status named `=...`)."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
