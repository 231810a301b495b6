"""Flow metrics of a project or of a workspace's projects, as docs/metrics.md defines them.

Reads only, scoped to what the caller can see: a project through `access_project`, a
workspace through the projects `visible_project_ids` gives (guests: the projects they were
given). Each metric reads only what it needs (docs/metrics.md, "How it is computed"):
- the metrics of the present (status-counts, workload, overdue) are SQL aggregates, with the
  ids behind each point read separately, at most MAX_TASK_IDS of them;
- the others load the category timelines (`transitions.timelines`) of the tasks they can
  count, with Core rows in chunks (the ORM would turn every value into an object), and count
  in a thread, so the event loop is never held for long.
"""

from __future__ import annotations

import asyncio
import bisect
import csv
import io
import math
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    func,
    or_,
    select,
    text,
    type_coerce,
)
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
from tasklane.kit.spreadsheet import safe_cell
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
    """Not read by `load` (None): `overdue` asks the database."""
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


async def _statuses(
    session: AsyncSession, project_ids: Sequence[UUID]
) -> list[tuple[UUID, UUID, str, str, int]]:
    rows = await session.execute(
        select(Status.id, Status.project_id, Status.name, Status.category, Status.position)
        .where(Status.project_id.in_(project_ids))
        .order_by(Status.project_id, Status.position)
    )
    return [(r[0], r[1], r[2], r[3], r[4]) for r in rows.all()]


async def _workflow_changes(
    session: AsyncSession, project_ids: Sequence[UUID]
) -> list[transitions.WorkflowChange]:
    rows = await session.execute(
        select(Event.seq, Event.created_at, Event.type, Event.entity_id, Event.data)
        .where(Event.project_id.in_(project_ids), _WORKFLOW_TYPES)
        .order_by(Event.seq)
    )
    return [c for r in rows.all() if (c := transitions.workflow_change(*r)) is not None]


def _in_category(
    statuses: Sequence[tuple[UUID, UUID, str, str, int]], *categories: str
) -> ColumnElement[bool]:
    """The task's status is in one of `categories` now."""
    return Task.status_id.in_([s[0] for s in statuses if s[3] in categories])


def _raw(column: Any) -> ColumnElement[Any]:
    """A UUID column read as the driver gives it (see `_uuid`): SQLAlchemy's conversion of
    each value costs more than the rest of the read at 100k tasks."""
    return type_coerce(column, String)


def _uuid(value: Any) -> UUID:
    """A `_raw` UUID: SQLite keeps 32 hex digits, asyncpg gives its own uuid.UUID."""
    return value if isinstance(value, UUID) else UUID(hex=value)


class _Ids(dict[Any, UUID]):
    """Raw UUIDs converted once each (statuses and projects repeat on every row)."""

    def __missing__(self, raw: Any) -> UUID:
        self[raw] = value = _uuid(raw)
        return value


_CHUNK = 5_000
"""Rows read and converted at a time (~20 ms of the event loop's time each)."""


async def _chunks(
    session: AsyncSession, stmt: Select[*tuple[Any, ...]]
) -> AsyncIterator[Sequence[Any]]:
    """Core rows, not the ORM's: no per-row work beyond the columns' own conversion."""
    connection = await session.connection()
    result = await connection.stream(stmt.execution_options(yield_per=_CHUNK))
    async for chunk in result.partitions():
        yield chunk


async def load(
    session: AsyncSession,
    principal: Principal,
    project_ids: Sequence[UUID],
    scope: Filter,
    *,
    assignees: bool = False,
    only: Sequence[ColumnElement[bool]] = (),
    now: datetime | None = None,
    statuses: list[tuple[UUID, UUID, str, str, int]] | None = None,
    changes: Sequence[transitions.WorkflowChange] | None = None,
) -> World:
    """The live tasks in scope with their timelines. `only`: conditions a metric knows its
    tasks meet; the tasks outside them are not read (nor their transitions). `now`,
    `statuses` and `changes` are read here unless the caller has them already."""
    now = now or utcnow()
    if statuses is None:
        statuses = await _statuses(session, project_ids)
    if changes is None:
        changes = await _workflow_changes(session, project_ids)
    scoped = _task_statement(project_ids, principal, scope, now.date())
    tasks_stmt = scoped.where(*only)
    known = _Ids()
    tasks: dict[Any, TaskHistory] = {}
    # Read in chunks, each turned into objects on the event loop before the next is awaited:
    # at 100k tasks no stretch holds the loop for long.
    async for chunk in _chunks(
        session,
        tasks_stmt.with_only_columns(
            _raw(Task.id),
            _raw(Task.project_id),
            _raw(Task.status_id),
            Task.created_at,
            Task.estimate,
        ).order_by(Task.created_at, Task.id),  # the order of (created_at, str(id))
    ):
        for r in chunk:
            tasks[r[0]] = TaskHistory(_uuid(r[0]), known[r[1]], known[r[2]], r[3], None, r[4])
    if not tasks:
        return World([], statuses, now)
    ids = tasks_stmt.with_only_columns(Task.id)
    rows = select(
        TaskTransition.at,
        TaskTransition.id,
        _raw(TaskTransition.task_id),
        _raw(TaskTransition.status_id),
        TaskTransition.category,
    ).where(TaskTransition.project_id.in_(project_ids))
    if only or scope.query.strip() or scope.task_ids is not None:
        # Some of the tasks: found by (project, task), sorted here (an ORDER BY would make
        # the database walk every row of the project in time order instead).
        rows = rows.where(TaskTransition.task_id.in_(ids))
        ordered = False
    else:
        rows = rows.order_by(TaskTransition.at, TaskTransition.id)
        ordered = True
    moves: list[tuple[datetime, int, transitions.Row]] = []
    async for chunk in _chunks(session, rows):
        for r in chunk:
            task = tasks.get(r[2])  # None: a task in the trash
            if task is not None:
                moves.append((r[0], r[1], transitions.Row(task.id, known[r[3]], r[4], r[0])))
    current = {s[0]: s[3] for s in statuses}
    seen: dict[UUID, str] | None = None
    if only and any(c.kind == "deleted" for c in changes):
        # What the rows of every task in scope say of the statuses that are gone, as if
        # all had been read.
        seen = {
            known[r[0]]: r[1]
            for r in await session.execute(
                select(_raw(TaskTransition.status_id), TaskTransition.category)
                .where(
                    TaskTransition.project_id.in_(project_ids),
                    TaskTransition.task_id.in_(scoped.with_only_columns(Task.id)),
                    TaskTransition.status_id.not_in(list(current)),
                )
                .order_by(TaskTransition.at, TaskTransition.id)
            )
        }
    await asyncio.to_thread(_draw_lines, tasks.values(), moves, ordered, changes, current, seen)
    if assignees:
        for raw_id, user_id in await session.execute(
            select(_raw(TaskAssignee.task_id), TaskAssignee.user_id).where(
                TaskAssignee.task_id.in_(ids)
            )
        ):
            tasks[raw_id].assignees.append(user_id)
    return World(list(tasks.values()), statuses, now)


def _draw_lines(
    tasks: Iterable[TaskHistory],
    moves: list[tuple[datetime, int, transitions.Row]],
    ordered: bool,
    changes: Sequence[transitions.WorkflowChange],
    current: Mapping[UUID, str],
    seen: Mapping[UUID, str] | None,
) -> None:
    """Each task's timeline from its rows (`moves`: by time and id if `ordered`) (CPU for
    ~1 s at 100k tasks: run it in a thread)."""
    if not ordered:
        moves.sort(key=lambda m: m[:2])
    rows = [row for _, _, row in moves]
    lines = transitions.timelines(rows, changes, current, seen)
    for task in tasks:
        task.line = lines.get(task.id) or [(task.created_at, current.get(task.status_id, "?"))]


def _finished_in(
    period: Period,
    project_ids: Sequence[UUID],
    statuses: Sequence[tuple[UUID, UUID, str, str, int]],
    changes: Sequence[transitions.WorkflowChange],
) -> list[ColumnElement[bool]]:
    """Conditions every task finished in `period` meets: it is done now, and it entered its
    last done stretch in the period, by a transition row of its own or by a workflow change
    (then every task done now may have)."""
    start, end = datetime.combine(period.start, time.min, tzinfo=UTC), end_of(period.end)
    done_now = _in_category(statuses, "done")
    if any(c.kind in ("category", "deleted") and start <= c.at < end for c in changes):
        return [done_now]
    moved = select(TaskTransition.task_id).where(
        TaskTransition.project_id.in_(project_ids),
        TaskTransition.at >= start,
        TaskTransition.at < end,
    )
    return [done_now, Task.id.in_(moved)]


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


@dataclass(slots=True)
class Bands:
    """For each band and each sample: the tasks in it (count, sum of estimates, the first
    MAX_TASK_IDS ids in the tasks' order)."""

    counts: dict[str, list[int]]
    estimates: dict[str, list[float]]
    ids: dict[str, list[list[UUID]]]


def _bands(
    tasks: Sequence[TaskHistory], moments: Sequence[datetime], band: Mapping[str, str]
) -> Bands:
    """Each task in the band of its category (`band`; other categories in none) just before
    each of `moments`, as `TaskHistory.category_at` tells. Each stretch a task spent in a band
    covers the moments after its start up to its end included: counts by difference arrays,
    and ids into the first moments of the stretch that are not full yet ("next free slot"
    links), so the cost grows with the stretches and the ids listed, not with tasks times
    moments."""
    size = len(moments)
    names = set(band.values())
    counts = {c: [0] * (size + 1) for c in names}
    estimates = {c: [0.0] * (size + 1) for c in names}
    ids: dict[str, list[list[UUID]]] = {c: [[] for _ in range(size)] for c in names}
    free = {c: list(range(size + 1)) for c in names}

    def next_free(links: list[int], i: int) -> int:
        while links[i] != i:
            links[i] = links[links[i]]
            i = links[i]
        return i

    for task in tasks:
        stretches: list[tuple[datetime, str | None]] = []
        for start, category in task.line:
            name = band.get(category)
            if not stretches or stretches[-1][1] != name:
                stretches.append((start, name))
        for k, (start, name) in enumerate(stretches):
            if name is None:
                continue
            first = bisect.bisect_right(moments, start)
            last = (
                size
                if k + 1 == len(stretches)
                else bisect.bisect_right(moments, stretches[k + 1][0])
            )
            if first >= last:
                continue
            counts[name][first] += 1
            counts[name][last] -= 1
            estimates[name][first] += task.estimate or 0
            estimates[name][last] -= task.estimate or 0
            links, lists = free[name], ids[name]
            i = next_free(links, first)
            while i < last:
                lists[i].append(task.id)
                if len(lists[i]) >= MAX_TASK_IDS:
                    links[i] = i + 1
                i = next_free(links, i + 1)
    for name in names:  # running sums: the difference arrays become the figures
        for i in range(1, size + 1):
            counts[name][i] += counts[name][i - 1]
            estimates[name][i] += estimates[name][i - 1]
    return Bands(counts, estimates, ids)


def cumulative_flow(world: World, period: Period) -> Answer:
    samples = _sample_days(period)
    bands = _bands(world.tasks, [end_of(day) for _, day in samples], {c: c for c in CATEGORIES})
    points: list[InsightPoint] = []
    for index, (label, _) in enumerate(samples):
        for c in CATEGORIES:
            count = bands.counts[c][index]
            points.append(
                InsightPoint(
                    date=label,
                    category=c,
                    count=count,
                    estimate=round(bands.estimates[c][index], 4),
                    task_ids=bands.ids[c][index],
                    task_ids_truncated=count > len(bands.ids[c][index]),
                )
            )
    return Answer(points, {"count": float(len(world.tasks))})


_BURNDOWN_BANDS = {
    **dict.fromkeys(OPEN, "remaining"),
    "done": "done",
    "cancelled": "cancelled",
}
"""A task in any other category (a status of unknown category) is in scope, in no band."""


def burndown(world: World, period: Period, target: date) -> Answer:
    today = world.now.date()
    days = [period.start + timedelta(days=i) for i in range((target - period.start).days + 1)]
    moments = [end_of(day) for day in days]
    bands = _bands(world.tasks, moments, _BURNDOWN_BANDS)
    made = sorted(t.line[0][0] for t in world.tasks)
    start_remaining = bands.counts["remaining"][0]
    span = max(1, (target - period.start).days)
    points: list[InsightPoint] = []
    for index, day in enumerate(days):
        ideal = round(start_remaining * max(0, (target - day).days) / span, 4)
        if day > today:
            points.append(InsightPoint(date=day, ideal=ideal))
            continue
        remaining = bands.counts["remaining"][index]
        ids = bands.ids["remaining"][index]
        points.append(
            InsightPoint(
                date=day,
                ideal=ideal,
                count=remaining,
                estimate=round(bands.estimates["remaining"][index], 4),
                task_ids=ids,
                task_ids_truncated=remaining > len(ids),
                scope=bisect.bisect_left(made, moments[index]) - bands.counts["cancelled"][index],
                done=bands.counts["done"][index],
                remaining=remaining,
            )
        )
    summary: dict[str, float | None] = {
        "scope": float(sum(1 for t in world.tasks if t.current != "cancelled")),
        "remaining": float(sum(1 for t in world.tasks if t.current in OPEN)),
        "done": float(sum(1 for t in world.tasks if t.current == "done")),
    }
    return Answer(points, summary)


def aging_wip(world: World, period: Period) -> Answer:
    """Oldest first; points are made for the first MAX_POINTS only."""
    usual = cycle_time(world, period).summary["p85_days"]
    aged: list[tuple[float, str, datetime, TaskHistory]] = []
    for task in world.tasks:
        start = task.first_start
        if task.current != "started" or start is None:
            continue
        aged.append((-_days(world.now - start), str(task.id), start, task))
    aged.sort(key=lambda a: a[:2])
    points = [
        InsightPoint(
            date=start.date(),
            project_id=task.project_id,
            status_id=task.status_id,
            count=1,
            estimate=task.estimate,
            days=-age,
            over_usual=None if usual is None else -age > usual,
            task_ids=[task.id],
        )
        for age, _, start, task in aged[:MAX_POINTS]
    ]
    summary: dict[str, float | None] = {
        "count": float(len(aged)),
        "usual_days": usual,
        "over_usual": float(0 if usual is None else sum(1 for a in aged if -a[0] > usual)),
    }
    return Answer(points, summary, truncated=len(aged) > MAX_POINTS)


_METRICS = {
    InsightMetric.THROUGHPUT: throughput,
    InsightMetric.CYCLE_TIME: cycle_time,
    InsightMetric.LEAD_TIME: lead_time,
    InsightMetric.CUMULATIVE_FLOW: cumulative_flow,
    InsightMetric.AGING_WIP: aging_wip,
}
"""The metrics computed from the tasks' timelines (in a thread: CPU for ~1 s at 100k tasks)."""


# --- the metrics of the present, in SQL ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Present:
    """What the metrics of the present need: the scope's tasks (`tasks`, a SELECT of the
    tasks table whose columns are replaced), the statuses, and today."""

    tasks: Select[*tuple[Any, ...]]
    statuses: list[tuple[UUID, UUID, str, str, int]]
    today: date


async def _first_ids(
    session: AsyncSession, tasks: Select[*tuple[Any, ...]], key: Any, values: Iterable[Any]
) -> dict[Any, list[UUID]]:
    """For each of `values` of `key`, the ids of its first MAX_TASK_IDS tasks in the order of
    (created_at, id). A query each: with an index on (key, created_at, id) each reads just
    the ids it lists; a window function over all the tasks would rank every one of them."""
    ids: dict[Any, list[UUID]] = {}
    for value in values:
        matching = key.is_(None) if value is None else key == value
        ids[value] = list(
            await session.scalars(
                tasks.with_only_columns(Task.id)
                .where(matching)
                .order_by(Task.created_at, Task.id)
                .limit(MAX_TASK_IDS)
            )
        )
    return ids


def _counted(count: int, estimate: float | None, ids: list[UUID], **fields: Any) -> InsightPoint:
    return InsightPoint(
        count=count,
        estimate=round(estimate or 0, 4),
        task_ids=ids,
        task_ids_truncated=count > len(ids),
        **fields,
    )


async def status_counts(session: AsyncSession, present: Present) -> Answer:
    tasks = present.tasks
    grouped = await session.execute(
        tasks.with_only_columns(
            Task.status_id, func.count(), func.sum(func.coalesce(Task.estimate, 0.0))
        ).group_by(Task.status_id)
    )
    totals = {r[0]: (r[1], r[2]) for r in grouped.all()}
    ids = await _first_ids(session, tasks, Task.status_id, totals)
    points = [
        _counted(
            *totals.get(sid, (0, 0.0)),
            ids.get(sid, []),
            project_id=pid,
            status_id=sid,
            status_name=name,
            category=category,
        )
        for sid, pid, name, category, _ in present.statuses
    ]
    summary: dict[str, float | None] = {"count": float(sum(c for c, _ in totals.values()))}
    for category in CATEGORIES:
        summary[category] = float(
            sum(totals.get(s[0], (0, 0.0))[0] for s in present.statuses if s[3] == category)
        )
    return Answer(points, summary)


async def workload(session: AsyncSession, present: Present) -> Answer:
    """Open tasks per assignee: a task with two assignees is a row for each (an outer join:
    unassigned is the NULL assignee)."""
    open_tasks = present.tasks.where(_in_category(present.statuses, *OPEN))
    assigned = open_tasks.outerjoin(TaskAssignee, TaskAssignee.task_id == Task.id)
    started = case((_in_category(present.statuses, "started"), 1), else_=0)
    grouped = await session.execute(
        assigned.with_only_columns(
            TaskAssignee.user_id,
            func.count(),
            func.sum(func.coalesce(Task.estimate, 0.0)),
            func.sum(started),
        ).group_by(TaskAssignee.user_id)
    )
    rows = sorted(grouped.all(), key=lambda r: (r[0] is None, -r[1], str(r[0])))
    ids = await _first_ids(session, assigned, TaskAssignee.user_id, [r[0] for r in rows])
    points = []
    for person, count, estimate, in_progress in rows:
        point = _counted(count, estimate, ids.get(person, []), assignee_id=person)
        point.scope = int(in_progress)
        points.append(point)
    total = await session.scalar(select(func.count()).select_from(open_tasks.subquery()))
    return Answer(points, {"count": float(total or 0)})


async def overdue(session: AsyncSession, present: Present) -> Answer:
    """Most overdue first: by due date, then id; only the points shown are read."""
    today = present.today
    late = present.tasks.where(
        _in_category(present.statuses, *OPEN), Task.due_date.is_not(None), Task.due_date < today
    )
    total = await session.scalar(select(func.count()).select_from(late.subquery())) or 0
    rows = await session.execute(
        late.with_only_columns(
            Task.id, Task.project_id, Task.status_id, Task.due_date, Task.estimate
        )
        .order_by(Task.due_date, Task.id)
        .limit(MAX_POINTS)
    )
    points = [
        InsightPoint(
            date=due,
            project_id=project_id,
            status_id=status_id,
            count=1,
            estimate=estimate,
            days=float((today - due).days) if due else None,
            task_ids=[task_id],
        )
        for task_id, project_id, status_id, due, estimate in rows.all()
    ]
    return Answer(points, {"count": float(total)}, truncated=total > MAX_POINTS)


_PRESENT = {
    InsightMetric.STATUS_COUNTS: status_counts,
    InsightMetric.WORKLOAD: workload,
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


async def _answer(
    session: AsyncSession,
    principal: Principal,
    project_ids: Sequence[UUID],
    params: Params,
    period: Period,
    target: date | None,
    now: datetime,
) -> Answer:
    """The metric's figures, reading only what it needs: the metrics of the present as SQL
    aggregates; the others from the timelines of the tasks they can count (those finished in
    the period for throughput, cycle and lead time; those and the tasks started now for
    aging-wip; every task in scope for cumulative flow and burndown)."""
    scope = Filter(params.query, params.task_ids)
    statuses = await _statuses(session, project_ids)
    present = _PRESENT.get(params.metric)
    if present is not None:
        tasks = _task_statement(project_ids, principal, scope, now.date())
        return await present(session, Present(tasks, statuses, now.date()))
    changes = await _workflow_changes(session, project_ids)
    only: list[ColumnElement[bool]] = []
    if params.metric in (
        InsightMetric.THROUGHPUT,
        InsightMetric.CYCLE_TIME,
        InsightMetric.LEAD_TIME,
    ):
        only = _finished_in(period, project_ids, statuses, changes)
    elif params.metric is InsightMetric.AGING_WIP:
        finished = and_(*_finished_in(period, project_ids, statuses, changes))
        only = [or_(_in_category(statuses, "started"), finished)]
    world = await load(
        session,
        principal,
        project_ids,
        scope,
        only=only,
        now=now,
        statuses=statuses,
        changes=changes,
    )
    if params.metric is InsightMetric.BURNDOWN:
        assert target is not None
        return await asyncio.to_thread(burndown, world, period, target)
    return await asyncio.to_thread(_METRICS[params.metric], world, period)


async def _compute(
    session: AsyncSession,
    principal: Principal,
    project_ids: Sequence[UUID],
    params: Params,
    *,
    project_id: UUID | None,
    workspace_id: UUID | None,
) -> InsightRead:
    now = utcnow()
    period = Period.of(params.start, params.end, params.interval, now.date())
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
    answer = await _answer(session, principal, project_ids, params, period, target, now)
    return InsightRead(
        metric=params.metric,
        project_id=project_id,
        workspace_id=workspace_id,
        from_=period.start,
        to=period.end,
        interval=period.interval,
        query=params.query,
        target=target,
        generated_at=now.isoformat(),
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
        writer.writerow([safe_cell(values[c]) for c in CSV_COLUMNS])
    return out.getvalue()
