"""Flow metrics of a project or of a workspace's projects, as docs/metrics.md defines them.

Reads only, scoped to what the caller can see: a project through `access_project`, a
workspace through the projects `visible_project_ids` gives (guests: the projects they were
given). Each metric reads only what it needs (docs/metrics.md, "How it is computed"):
- the metrics of the present (status-counts, workload, overdue) are SQL aggregates, with the
  ids behind their points read in one more statement;
- throughput, cycle and lead time read the outlines of the tasks that can have finished in
  the period (`histories.outlines`), ageing WIP those and the tasks started now;
- cumulative flow and burndown count back from now: the tasks in each category now, less
  what changed since each moment shown (`histories.since`).
The metric functions (`throughput`, `cumulative_flow`, ...) are pure: they count a `World`,
whether read from the database or made whole in a test.
"""

from __future__ import annotations

import asyncio
import bisect
import csv
import gc
import io
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.auth.principal import Principal
from tasklane.authz.access import access_project, access_workspace, visible_project_ids
from tasklane.authz.roles import Action
from tasklane.errors import ValidationFailed
from tasklane.insights import histories
from tasklane.insights.histories import Clock, Since, StatusRow, TaskHistory, Workflow
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
from tasklane.models import Project, Task, TaskAssignee
from tasklane.query.compile import Context, task_conditions, text_terms
from tasklane.query.language import parse_query
from tasklane.search.queries import text_condition

OPEN = ("backlog", "unstarted", "started")
CATEGORIES = ("backlog", "unstarted", "started", "done", "cancelled")
DAY = timedelta(days=1)
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2999, 12, 31)
"""The days a period, or a burndown's target, may name."""


_ids_cap: ContextVar[int | None] = ContextVar("tasklane_insight_ids", default=None)


def ids_cap() -> int:
    """How many task ids a point lists: MAX_TASK_IDS, or what `listing_ids` says."""
    return _ids_cap.get() or MAX_TASK_IDS


@contextmanager
def listing_ids(cap: int) -> Iterator[None]:
    """Points list up to `cap` task ids within this block (the tasks behind one point,
    tasklane.insights.behind); threads started with `asyncio.to_thread` see it too."""
    token = _ids_cap.set(cap)
    try:
        yield
    finally:
        _ids_cap.reset(token)


_pausing = 0
"""Answers being computed with the cyclic garbage collector paused (`_collector_paused`)."""


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector waits while an answer is computed: the tens of thousands
    of rows and tuples an answer makes set off collections that walk the whole process's
    objects (a quarter of a cumulative flow's time at 100,000 tasks, bench/insights.py).
    Reference counting still frees them; cycles wait for the next collection. Left alone
    when something else paused it."""
    global _pausing  # noqa: PLW0603 - the collector is process-wide
    if not _pausing and not gc.isenabled():
        yield
        return
    _pausing += 1
    gc.disable()
    try:
        yield
    finally:
        _pausing -= 1
        if not _pausing:
            gc.enable()


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

    @property
    def first_moment(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Filter:
    query: str = ""
    task_ids: Sequence[UUID] | None = None


def end_of(day: date) -> datetime:
    """The first instant after `day` (UTC): the state "at the end of the day" is the state
    just before it."""
    return datetime.combine(day + DAY, time.min, tzinfo=UTC)


def scope_of(
    project_ids: Sequence[UUID], principal: Principal, scope: Filter, today: date
) -> histories.Scope:
    """The live tasks in scope: in `project_ids`, not in the trash, matching the filter."""
    filters: list[ColumnElement[bool]] = []
    if scope.query.strip():
        query = parse_query(scope.query, field_name="q")
        filters += task_conditions(query, Context(principal.user_id, today))
        terms = text_terms(query)
        if terms is not None:
            filters.append(text_condition(terms))
    if scope.task_ids is not None:
        filters.append(Task.id.in_(list(scope.task_ids)))
    return histories.Scope(project_ids, filters)


def tasks_in_scope(
    project_ids: Sequence[UUID], principal: Principal, scope: Filter, today: date
) -> Select[*tuple[Any, ...]]:
    """The live tasks in scope (a SELECT of the tasks table whose columns are replaced)."""
    return scope_of(project_ids, principal, scope, today).tasks()


def _in_category(statuses: Sequence[StatusRow], *categories: str) -> ColumnElement[bool]:
    """The task's status is in one of `categories` now."""
    return Task.status_id.in_([s[0] for s in statuses if s[3] in categories])


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


def _point(tasks: Sequence[Outlined], **fields: Any) -> InsightPoint:
    ids = [t.id for t in tasks]
    estimate = round(sum(t.estimate or 0 for t in tasks), 4)
    return InsightPoint(
        count=len(ids),
        estimate=estimate,
        task_ids=ids[: ids_cap()],
        task_ids_truncated=len(ids) > ids_cap(),
        **fields,
    )


# --- the metrics of the tasks' histories -----------------------------------------------------


class Outlined(Protocol):
    """What the metrics of finished and started work read of a task (`histories.Outline`,
    or a whole `TaskHistory`)."""

    @property
    def id(self) -> Any: ...
    @property
    def project_id(self) -> Any: ...
    @property
    def status_id(self) -> Any: ...
    @property
    def created_at(self) -> Any: ...
    @property
    def estimate(self) -> float | None: ...
    @property
    def first_start(self) -> Any: ...
    @property
    def finished_at(self) -> Any: ...
    @property
    def current(self) -> str: ...


@dataclass(slots=True)
class World:
    """Tasks with their histories, and now. `clock` turns the driver's moments into datetimes
    (a world made of datetimes needs none)."""

    tasks: Sequence[Any]
    """`TaskHistory`s (the bands read their lines), or `Outlined` ones."""
    statuses: list[StatusRow]
    now: datetime
    clock: Clock | None = None

    def time(self, value: Any) -> datetime:
        return value if self.clock is None else self.clock.time(value)


@dataclass
class Answer:
    points: list[InsightPoint]
    summary: dict[str, float | None]
    truncated: bool = False
    """More points than MAX_POINTS: `points` holds the first of them."""


def _finished(world: World, period: Period) -> list[tuple[Outlined, datetime]]:
    out = []
    for task in world.tasks:
        done = task.finished_at
        if done is not None and period.covers(moment := world.time(done)):
            out.append((task, moment))
    return out


def throughput(world: World, period: Period) -> Answer:
    buckets: dict[date, list[Outlined]] = {b: [] for b in period.buckets()}
    finished = _finished(world, period)
    for task, done in finished:
        buckets[period.bucket(done.date())].append(task)
    points = [_point(tasks, date=b) for b, tasks in buckets.items()]
    counts = [float(p.count) for p in points]
    summary: dict[str, float | None] = {
        "count": float(len(finished)),
        "mean_per_interval": round(sum(counts) / len(counts), 4) if counts else None,
        "median_per_interval": percentile(counts, 50),
    }
    return Answer(points, summary)


def _timed(
    world: World, period: Period, *, lead: bool
) -> tuple[list[tuple[date, float, Any]], int]:
    """The tasks finished in the period with their cycle (or lead) time in days, and how many
    were left out (never started, or started after they finished)."""
    found: list[tuple[date, float, Any]] = []
    excluded = 0
    for task, done in _finished(world, period):
        begun = task.created_at if lead else task.first_start
        start = None if begun is None else world.time(begun)
        if start is None or start > done:
            excluded += 1
            continue
        found.append((done.date(), _days(done - start), task))
    return found, excluded


def _durations(world: World, period: Period, *, lead: bool) -> Answer:
    found, excluded = _timed(world, period, lead=lead)
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


def aging_wip(world: World, period: Period) -> Answer:
    """Oldest first; points are made for the first MAX_POINTS only."""
    usual = percentile([days for _, days, _ in _timed(world, period, lead=False)[0]], 85)
    aged: list[tuple[float, str, datetime, Outlined]] = []
    for task in world.tasks:
        begun = task.first_start
        if task.current != "started" or begun is None:
            continue
        start = world.time(begun)
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


# --- bands: cumulative flow and burndown -----------------------------------------------------


def _sample_days(period: Period) -> list[tuple[date, date]]:
    """(label, the day whose end is sampled): every day, or the last day of each week in the
    period."""
    if period.interval is InsightInterval.DAY:
        return [(d, d) for d in period.days()]
    return [(b, min(b + 6 * DAY, period.end)) for b in period.buckets()]


@dataclass(slots=True)
class Bands:
    """For each band and each sample: the tasks in it (count, sum of estimates, the first
    MAX_TASK_IDS ids in the tasks' (created_at, id) order)."""

    counts: dict[str, list[int]]
    estimates: dict[str, list[float]]
    ids: dict[str, list[list[Any]]]
    made: list[int]


def split(world: World, moment: Any) -> Since:
    """`world` as `histories.since` reads it from `moment` on, every task listed (the
    reference for the tests, and the counting of a burndown of named tasks)."""
    end: dict[str, tuple[int, float]] = {}
    steps: list[tuple[Any, str, str | None, float]] = []
    listed: list[TaskHistory] = []
    for index, task in enumerate(world.tasks):
        estimate = task.estimate or 0.0
        count, total = end.get(task.current, (0, 0.0))
        end[task.current] = (count + 1, total + estimate)
        prev = None
        for when, category in task.line:
            if when >= moment:
                steps.append((when, category, prev, estimate))
            prev = category
        listed.append(replace(task, order=(index,)))
    return Since(moment, end, len(world.tasks), steps, listed)


def _bands(since: Since, moments: Sequence[Any], band: Mapping[str, str]) -> Bands:
    """Each task in the band of its category (`band`; other categories in none) just before
    each of `moments` (none before `since.moment`). Counts go back from now: the tasks in
    each band now, less each step since a moment (difference arrays over the moments). Ids
    come from the tasks `since` lists, in their order: each stretch a task spent in a band
    covers the moments after its start up to its end included, and fills the first moments
    of it that are not full yet ("next free slot" links), so the cost grows with the
    stretches and the ids listed, not with tasks times moments. `made`: the tasks made by
    each moment."""
    size = len(moments)
    names = set(band.values())
    counts = {c: [0] * (size + 1) for c in names}
    estimates = {c: [0.0] * (size + 1) for c in names}
    made = [since.total] + [0] * size
    for category, (count, estimate) in since.end.items():
        name = band.get(category)
        if name is not None:
            counts[name][0] += count
            estimates[name][0] += estimate
    for when, category, prev, estimate in since.steps:
        k = bisect.bisect_right(moments, when)  # the moments this step is not before
        if not k:
            continue
        name = band.get(category)
        if name is not None:
            counts[name][0] -= 1
            counts[name][k] += 1
            estimates[name][0] -= estimate
            estimates[name][k] += estimate
        if prev is None:
            made[0] -= 1
            made[k] += 1
        elif (left := band.get(prev)) is not None:
            counts[left][0] += 1
            counts[left][k] -= 1
            estimates[left][0] += estimate
            estimates[left][k] -= estimate
    for i in range(1, size + 1):  # running sums: the difference arrays become the figures
        made[i] += made[i - 1]
        for name in names:
            counts[name][i] += counts[name][i - 1]
            estimates[name][i] += estimates[name][i - 1]
    ids: dict[str, list[list[Any]]] = {c: [[] for _ in range(size)] for c in names}
    free = {c: list(range(size + 1)) for c in names}
    cap = ids_cap()

    def next_free(links: list[int], i: int) -> int:
        while links[i] != i:
            links[i] = links[links[i]]
            i = links[i]
        return i

    for task in since.listed:
        stretches: list[tuple[Any, str | None]] = []
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
            links, lists = free[name], ids[name]
            i = next_free(links, first)
            while i < last:
                lists[i].append(task.id)
                if len(lists[i]) >= cap:
                    links[i] = i + 1
                i = next_free(links, i + 1)
    return Bands(counts, estimates, ids, made)


_FLOW_BANDS = {c: c for c in CATEGORIES}


def _flow(since: Since, period: Period, clock: Clock | None) -> Answer:
    samples = _sample_days(period)
    moments = [_raw(clock, end_of(day)) for _, day in samples]
    bands = _bands(since, moments, _FLOW_BANDS)
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
    return Answer(points, {"count": float(since.total)})


def cumulative_flow(world: World, period: Period) -> Answer:
    first = end_of(_sample_days(period)[0][1])
    return _flow(split(world, _raw(world.clock, first)), period, world.clock)


_BURNDOWN_BANDS = {
    **dict.fromkeys(OPEN, "remaining"),
    "done": "done",
    "cancelled": "cancelled",
}
"""A task in any other category (a status of unknown category) is in scope, in no band."""


def _burndown_days(period: Period, target: date) -> list[date]:
    return [period.start + timedelta(days=i) for i in range((target - period.start).days + 1)]


def _burn(since: Since, period: Period, target: date, today: date, clock: Clock | None) -> Answer:
    days = _burndown_days(period, target)
    moments = [_raw(clock, end_of(day)) for day in days]
    bands = _bands(since, moments, _BURNDOWN_BANDS)
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
        scope = bands.made[index]
        points.append(
            InsightPoint(
                date=day,
                ideal=ideal,
                count=remaining,
                estimate=round(bands.estimates["remaining"][index], 4),
                task_ids=ids,
                task_ids_truncated=remaining > len(ids),
                scope=scope - bands.counts["cancelled"][index],
                done=bands.counts["done"][index],
                remaining=remaining,
            )
        )
    now = {c: n for c, (n, _) in since.end.items()}
    summary: dict[str, float | None] = {
        "scope": float(sum(n for c, n in now.items() if c != "cancelled")),
        "remaining": float(sum(now.get(c, 0) for c in OPEN)),
        "done": float(now.get("done", 0)),
    }
    return Answer(points, summary)


def burndown(world: World, period: Period, target: date) -> Answer:
    first = _raw(world.clock, end_of(period.start))
    today = world.now.date()
    return _burn(split(world, first), period, target, today, world.clock)


def _raw(clock: Clock | None, moment: datetime) -> Any:
    return moment if clock is None else clock.raw(moment)


# --- the metrics of the present, in SQL ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Present:
    """What the metrics of the present need: the scope's tasks (`tasks`, a SELECT of the
    tasks table whose columns are replaced), the statuses, and today."""

    tasks: Select[*tuple[Any, ...]]
    statuses: list[StatusRow]
    today: date


_PARTS = 200
"""LIMITed parts per statement (SQLite allows 500 in one compound SELECT)."""


async def _first_ids(
    session: AsyncSession, parts: Sequence[tuple[Any, Select[*tuple[Any, ...]]]]
) -> dict[Any, list[Any]]:
    """For each (key, tasks) of `parts`, the ids of the first MAX_TASK_IDS of those tasks (a
    SELECT of the tasks table whose columns are replaced) in (created_at, id) order; parts
    with the same key are merged. A LIMITed query each, MAX_PARTS to a statement: with an
    index on (project, status, created_at, id) each reads just the ids it lists (a window
    function over all the tasks would rank every one of them)."""
    found: dict[Any, list[tuple[Any, Any]]] = {key: [] for key, _ in parts}
    for start in range(0, len(parts), _PARTS):
        chunk = parts[start : start + _PARTS]
        limited = [
            tasks.with_only_columns(
                literal_column(str(n)).label("n"), Task.created_at.label("at"), Task.id.label("id")
            )
            .order_by(Task.created_at, Task.id)
            .limit(ids_cap())
            .subquery()
            for n, (_, tasks) in enumerate(chunk)
        ]
        listed = union_all(*(select(part.c.n, part.c.at, part.c.id) for part in limited))
        rows = await session.execute(select(listed.subquery()))
        for n, at, task_id in rows:
            found[chunk[n][0]].append((at, task_id))
    ids: dict[Any, list[Any]] = {}
    for key, listed_ids in found.items():
        listed_ids.sort()
        ids[key] = [task_id for _, task_id in listed_ids[: ids_cap()]]
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
    ids = await _first_ids(session, [(s, tasks.where(Task.status_id == s)) for s in totals])
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
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        # One window over the open tasks' assignments: PostgreSQL would join each person's
        # assignments for each part below.
        ranked = assigned.with_only_columns(
            TaskAssignee.user_id.label("person"),
            Task.id.label("id"),
            func.row_number()
            .over(partition_by=TaskAssignee.user_id, order_by=(Task.created_at, Task.id))
            .label("n"),
        ).subquery()
        listed = await session.execute(
            select(ranked.c.person, ranked.c.id)
            .where(ranked.c.n <= ids_cap())
            .order_by(ranked.c.person, ranked.c.n)
        )
        ids: dict[Any, list[Any]] = {}
        for person, task_id in listed:
            ids.setdefault(person, []).append(task_id)
    else:
        # Per person and open status: each part walks one status's tasks in their order.
        opened = [s[0] for s in present.statuses if s[3] in OPEN]
        ids = await _first_ids(
            session,
            [
                (
                    person,
                    assigned.where(
                        Task.status_id == status,
                        TaskAssignee.user_id.is_(None)
                        if person is None
                        else TaskAssignee.user_id == person,
                    ),
                )
                for person, *_ in rows
                for status in opened
            ],
        )
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


# --- reading the histories -------------------------------------------------------------------


@dataclass
class Reading:
    """What a metric of the tasks' histories reads with: the scope and the workflow."""

    session: AsyncSession
    clock: Clock
    scope: histories.Scope
    flow: Workflow
    now: datetime
    seen: Mapping[UUID, str]

    @classmethod
    async def of(
        cls,
        session: AsyncSession,
        principal: Principal,
        project_ids: Sequence[UUID],
        scope: Filter,
        now: datetime,
    ) -> Reading:
        clock = await histories.clock(session)
        flow = await histories.workflow(session, project_ids, clock)
        tasks = scope_of(project_ids, principal, scope, now.date())
        seen = await histories.seen_categories(session, flow, tasks)
        return cls(session, clock, tasks, flow, now, seen)

    async def world(self, *only: ColumnElement[bool]) -> World:
        """The tasks in scope that meet `only`, with their whole histories."""
        found = await histories.full(
            self.session, self.clock, self.flow, self.scope, only, self.seen
        )
        return World(found, self.flow.statuses, self.now, self.clock)

    async def since(self, moment: datetime, band: Mapping[str, str]) -> Since:
        return await histories.since(
            self.session, self.clock, self.flow, self.scope, moment, self.seen, band,
            ids_cap(),
        )  # fmt: skip

    async def outlines(self, *chosen: ColumnElement[bool]) -> World:
        """The tasks in scope that any of `chosen` names, with the outlines of their
        histories."""
        found = await histories.outlines(
            self.session, self.clock, self.flow, self.scope, chosen, self.seen
        )
        return World(found, self.flow.statuses, self.now, self.clock)

    async def finished_in(self, start: datetime, end: datetime) -> ColumnElement[bool]:
        """A condition every task in scope finished in [start, end) meets."""
        return await histories.finished_between(
            self.session, self.clock, self.flow, self.scope, start, end
        )


async def _answer(
    session: AsyncSession,
    principal: Principal,
    project_ids: Sequence[UUID],
    params: Params,
    period: Period,
    target: date | None,
    now: datetime,
) -> Answer:
    """The metric's figures, reading only what it needs (see the module's docstring)."""
    scope = Filter(params.query, params.task_ids)
    present = _PRESENT.get(params.metric)
    if present is not None:
        statuses = await histories.statuses(session, project_ids)
        tasks = tasks_in_scope(project_ids, principal, scope, now.date())
        return await present(session, Present(tasks, statuses, now.date()))
    reading = await Reading.of(session, principal, project_ids, scope, now)
    metric = params.metric
    if metric in (InsightMetric.THROUGHPUT, InsightMetric.CYCLE_TIME, InsightMetric.LEAD_TIME):
        finished = await reading.finished_in(period.first_moment, end_of(period.end))
        world = await reading.outlines(finished)
        compute = {
            InsightMetric.THROUGHPUT: throughput,
            InsightMetric.CYCLE_TIME: cycle_time,
            InsightMetric.LEAD_TIME: lead_time,
        }[metric]
        return compute(world, period)
    if metric is InsightMetric.AGING_WIP:
        finished = await reading.finished_in(period.first_moment, end_of(period.end))
        started = and_(
            Task.project_id.in_(project_ids), _in_category(reading.flow.statuses, "started")
        )
        world = await reading.outlines(started, finished)
        return aging_wip(world, period)
    if scope.task_ids is not None:  # a few named tasks: their whole histories
        world = await reading.world()
        if metric is InsightMetric.BURNDOWN:
            assert target is not None
            return burndown(world, period, target)
        return cumulative_flow(world, period)
    if metric is InsightMetric.BURNDOWN:
        assert target is not None
        since = await reading.since(end_of(period.start), _BURNDOWN_BANDS)
        return await asyncio.to_thread(_burn, since, period, target, now.date(), reading.clock)
    since = await reading.since(end_of(_sample_days(period)[0][1]), _FLOW_BANDS)
    return await asyncio.to_thread(_flow, since, period, reading.clock)


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
    with _collector_paused():
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
