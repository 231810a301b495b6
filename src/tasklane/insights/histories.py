"""The tasks' histories of categories, read for the metrics that need them (docs/metrics.md,
"How it is computed"), each reading no more than its metric needs:
- `outlines`: of the tasks that can have finished in a period, or are started now, what those
  metrics read (when each first entered started, when it last entered done), in one ordered
  pass over their rows;
- `since`: what changed from a moment on, for every task in scope (cumulative flow,
  burndown). A task with no transition since then is in the category of its status now at
  every later moment: those are counted by one aggregate over the tasks table, and only the
  first ones of each status are read, for the ids behind the points. A task with one is read
  from its last row before the moment on. The cost follows the rows since the moment, not the
  whole history;
- `full`: the whole history of some tasks (a burndown's named tasks; the tasks above that a
  workflow change may have moved).

Rows are fetched as the driver gives them (statements built with Core, compiled by
`kit.rawsql`, run with `exec_driver_sql`): SQLAlchemy's per-value processing would cost more
than the query. Ids and timestamps come as SQLite keeps them (32 hex digits; UTC text
`YYYY-MM-DD HH:MM:SS.ffffff`, which sorts as the time does), and PostgreSQL selects the same
text (`Clock.value`: asyncpg decodes text faster than its own types). Timelines keep those
values (`Clock.raw` turns a moment into one, `Clock.time` makes a datetime of one when a figure
needs it), and so do task ids (the API's models take the text).

A workflow change (a status moved to another category, or deleted and its tasks moved) moves
every task in that status at that moment, without a row per task. Only a task that entered a
status a change reached before that change (`Workflow.reached`) can be moved by one: only those
tasks' timelines go through `transitions.timelines`; the others' are their rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any, NamedTuple
from uuid import UUID

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    Select,
    String,
    Uuid,
    and_,
    bindparam,
    case,
    cast,
    column,
    func,
    literal_column,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import BindParameter

from tasklane.insights import transitions
from tasklane.kit.rawsql import Dialect, compile_raw
from tasklane.kit.sqltypes import UTCDateTime
from tasklane.models import Event, Status, Task, TaskTransition

StatusRow = tuple[UUID, UUID, str, str, int]
"""A status: id, project, name, category (now), position."""
AnySelect = Select[*tuple[Any, ...]]
_WORKFLOW_TYPES = text("events.type IN ('status.updated', 'status.deleted')")
"""Spelled as the partial index `ix_events_project_id_seq_workflow` is, so it is used."""


# --- driver values ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Clock:
    """How the session's database gives the values histories are made of (see the module's
    docstring): `value` selects a column as that text."""

    dialect: Dialect

    def value(self, column_: Any) -> Any:
        """A UUID or timestamp column as SQLite keeps it, on PostgreSQL too: text is what
        asyncpg decodes fastest, and the two read alike."""
        if self.dialect == "sqlite":
            return column_
        if isinstance(column_.type, UTCDateTime):
            return func.to_char(func.timezone("UTC", column_), _PG_TIMESTAMP)
        return cast(column_, String)

    def raw(self, moment: datetime) -> Any:
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def time(self, value: Any) -> datetime:
        if isinstance(value, str):
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        assert isinstance(value, datetime)
        return value.astimezone(UTC)

    def among(self, column_: Any, ids: Iterable[Any], kind: Any = Uuid) -> ColumnElement[bool]:
        """`column_` is one of `ids` (values as `value` gives them, or integers), as one
        parameter however many there are (a parameter each would meet the drivers' limits)."""
        if self.dialect == "sqlite":
            listed: BindParameter[str] = bindparam(None, json.dumps(list(ids)))
            found: ColumnElement[bool] = column_.in_(
                select(column("value")).select_from(func.json_each(listed))
            )
        elif kind is Uuid:
            texts = bindparam(None, list(ids), type_=ARRAY(String()))
            found = column_ == func.any(cast(texts, ARRAY(Uuid())))
        else:
            found = column_ == func.any(bindparam(None, list(ids), type_=ARRAY(kind())))
        return found


_PG_TIMESTAMP = "YYYY-MM-DD HH24:MI:SS.US"
"""SQLite's text of a timestamp (`UTCDateTime`), in PostgreSQL's `to_char`."""


async def clock(session: AsyncSession) -> Clock:
    connection = await session.connection()
    return Clock("sqlite" if connection.dialect.name == "sqlite" else "postgresql")


async def fetch(session: AsyncSession, stmt: AnySelect) -> list[Sequence[Any]]:
    """The rows of `stmt` as the driver gives them (its own tuples or records: SQLAlchemy's
    rows would cost as much again as the read), in the session's transaction."""
    connection = await session.connection()
    dialect: Dialect = "sqlite" if connection.dialect.name == "sqlite" else "postgresql"
    raw = compile_raw(stmt, dialect)
    params = raw.params({})
    result = await connection.exec_driver_sql(
        raw.text, params if isinstance(params, dict) else tuple(params)
    )
    try:
        rows = list(result.cursor.fetchall())
    finally:
        result.close()
    return rows


class Ids(dict[Any, UUID]):
    """Driver values of ids converted once each (statuses and projects repeat on every row)."""

    def __missing__(self, raw: Any) -> UUID:
        self[raw] = value = raw if isinstance(raw, UUID) else UUID(hex=raw)
        return value


# --- the scope and the workflow --------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The live tasks of `project_ids` that meet `filters` (conditions on Task)."""

    project_ids: Sequence[UUID]
    filters: Sequence[ColumnElement[bool]] = ()

    def tasks(self, *only: ColumnElement[bool]) -> AnySelect:
        """A SELECT of the tasks table (its columns are replaced where it is used)."""
        return select(Task.id).where(
            Task.project_id.in_(self.project_ids), Task.deleted_at.is_(None), *self.filters, *only
        )

    def listed(self, chosen: ColumnElement[bool]) -> AnySelect:
        """Those of the tasks that `chosen` names by id or status (ids read from these
        projects' rows, statuses of these projects): without the condition on the project,
        which would lead SQLite to walk the project's tasks instead of looking up each."""
        return select(Task.id).where(Task.deleted_at.is_(None), *self.filters, chosen)


@dataclass
class Workflow:
    """The statuses of the projects and their workflow changes, in `Clock`'s values."""

    statuses: list[StatusRow]
    changes: list[transitions.WorkflowChange]
    """Category changes and deletions (the moves of many tasks at once), by sequence."""

    @cached_property
    def current(self) -> dict[UUID, str]:
        return {s[0]: s[3] for s in self.statuses}

    @cached_property
    def reach(self) -> list[tuple[transitions.WorkflowChange, frozenset[UUID]]]:
        """Each change with the statuses whose tasks it moves: its own, and those deleted
        into it before (a task entered one of those and was moved on to it)."""
        alias: dict[UUID, UUID] = {}

        def resolve(status: UUID) -> UUID:
            while status in alias:
                status = alias[status]
            return status

        out = []
        for change in sorted(self.changes, key=lambda c: (c.at, c.seq)):
            members = {change.status_id} | {s for s in alias if resolve(s) == change.status_id}
            out.append((change, frozenset(members)))
            if change.kind == "deleted" and change.moved_to is not None:
                alias[change.status_id] = change.moved_to
        return out

    @cached_property
    def reached(self) -> dict[UUID, Any]:
        """The statuses whose tasks a change moved, each with the last such change's time: a
        task that entered one after that was moved by none."""
        last: dict[UUID, Any] = {}
        for change, members in self.reach:
            for status in members:
                last[status] = max(last.get(status, change.at), change.at)
        return last

    def final(self, status: UUID) -> UUID:
        """Where the tasks of `status` are now (deletions moved them on)."""
        moved = {c.status_id: c.moved_to for c in self.changes if c.kind == "deleted"}
        passed: set[UUID] = set()
        while (target := moved.get(status)) is not None and status not in passed:
            passed.add(status)
            status = target
        return status

    def needs_seen(self) -> list[UUID]:
        """Statuses whose category only the rows can tell (`transitions.Categories`): gone,
        and a deletion moved tasks into them."""
        targets = {c.moved_to for c in self.changes if c.kind == "deleted"}
        return sorted(t for t in targets if t is not None and t not in self.current)


async def statuses(session: AsyncSession, project_ids: Sequence[UUID]) -> list[StatusRow]:
    rows = await session.execute(
        select(Status.id, Status.project_id, Status.name, Status.category, Status.position)
        .where(Status.project_id.in_(project_ids))
        .order_by(Status.project_id, Status.position)
    )
    return [(r[0], r[1], r[2], r[3], r[4]) for r in rows.all()]


async def workflow(session: AsyncSession, project_ids: Sequence[UUID], clock_: Clock) -> Workflow:
    events = await session.execute(
        select(Event.seq, Event.created_at, Event.type, Event.entity_id, Event.data)
        .where(Event.project_id.in_(project_ids), _WORKFLOW_TYPES)
        .order_by(Event.seq)
    )
    changes = [
        replace(c, at=clock_.raw(c.at))
        for r in events.all()
        if (c := transitions.workflow_change(*r)) is not None
    ]
    return Workflow(await statuses(session, project_ids), changes)


async def seen_categories(session: AsyncSession, flow: Workflow, scope: Scope) -> dict[UUID, str]:
    """The category the last row of each status in `Workflow.needs_seen` gave it (rows of
    tasks in scope, as if all were read); usually there is none to ask for."""
    seen: dict[UUID, str] = {}
    for status_id in flow.needs_seen():
        found = await session.scalar(
            select(TaskTransition.category)
            .where(
                TaskTransition.project_id.in_(scope.project_ids),
                TaskTransition.status_id == status_id,
                TaskTransition.task_id.in_(scope.tasks()),
            )
            .order_by(TaskTransition.at.desc(), TaskTransition.id.desc())
            .limit(1)
        )
        if found is not None:
            seen[status_id] = found
    return seen


# --- histories -------------------------------------------------------------------------------


@dataclass(slots=True)
class TaskHistory:
    id: Any
    """A UUID, or the driver's value of one."""
    project_id: UUID
    status_id: UUID
    created_at: Any
    """A datetime, or the driver's value of one (see `Clock`), as every moment of `line`."""
    due_date: date | None
    """Not read (None): `overdue` asks the database."""
    estimate: float | None
    line: list[tuple[Any, str]] = field(default_factory=list)
    """(from when, category), in time order, no two neighbours with the same category."""
    order: Any = None
    """The task's place in (created_at, id) order."""

    @property
    def current(self) -> str:
        return self.line[-1][1]

    def category_at(self, moment: Any) -> str | None:
        """The category just before `moment`; None before the line begins."""
        found = None
        for at, category in self.line:
            if at >= moment:
                break
            found = category
        return found

    @property
    def first_start(self) -> Any:
        return next((at for at, category in self.line if category == "started"), None)

    @property
    def finished_at(self) -> Any:
        """When the task entered done for the last time, if it is done now."""
        if self.current != "done":
            return None
        return self.line[-1][0]


_Row = Sequence[Any]
"""A transition row as read: task, at, status, category."""


def _rows(clock_: Clock, project_ids: Sequence[UUID], *where: ColumnElement[bool]) -> AnySelect:
    """Transition rows (of these projects, if any are named)."""
    t = TaskTransition
    v = clock_.value
    stmt = select(v(t.task_id), v(t.at), v(t.status_id), t.category).where(*where)
    return stmt.where(t.project_id.in_(project_ids)) if project_ids else stmt


def draw(
    tasks: Mapping[Any, TaskHistory],
    rows: Sequence[_Row],
    flow: Workflow,
    seen: Mapping[UUID, str],
) -> None:
    """Each task's line from its rows (in (at, id) order) and the workflow changes; a task
    without rows is in the category of its status since it was made."""
    moves: dict[Any, list[_Row]] = {}
    for row in rows:
        moves.setdefault(row[0], []).append(row)
    known = Ids()
    # When the last change that could move a task out of each status (by driver value) was.
    reached = {
        raw: at for raw in {r[2] for r in rows} if (at := flow.reached.get(known[raw])) is not None
    }
    flagged: list[transitions.Row] = []
    for raw_id, task in tasks.items():
        own = moves.get(raw_id)
        if not own:
            task.line = [(task.created_at, flow.current.get(task.status_id, "?"))]
            continue
        if reached and any(r[2] in reached and r[1] <= reached[r[2]] for r in own):
            flagged += (transitions.Row(raw_id, known[r[2]], r[3], r[1]) for r in own)
            continue
        line = task.line = []
        for _, at, _, category in own:
            if not line or line[-1][1] != category:
                line.append((at, category))
    if flagged:
        flagged.sort(key=lambda r: r.at)  # stable: each task's rows stay in (at, id) order
        for raw_id, line in transitions.timelines(
            flagged, flow.changes, flow.current, seen
        ).items():
            tasks[raw_id].line = line


def _info(clock_: Clock) -> tuple[Any, ...]:
    v = clock_.value
    return (v(Task.id), v(Task.project_id), v(Task.status_id), v(Task.created_at), Task.estimate)


def _history(row: Sequence[Any], known: Ids) -> TaskHistory:
    return TaskHistory(
        row[0], known[row[1]], known[row[2]], row[3], None, row[4], order=(row[3], row[0])
    )


async def full(
    session: AsyncSession,
    clock_: Clock,
    flow: Workflow,
    scope: Scope,
    only: Sequence[ColumnElement[bool]],
    seen: Mapping[UUID, str],
) -> list[TaskHistory]:
    """The tasks in scope that meet `only`, with their whole histories, in (created_at, id)
    order."""
    known = Ids()
    infos = await fetch(
        session,
        scope.tasks(*only).with_only_columns(*_info(clock_)).order_by(Task.created_at, Task.id),
    )
    found = {row[0]: _history(row, known) for row in infos}
    if not found:
        return []
    t = TaskTransition
    # By task alone (its index), not with the project's (PostgreSQL would filter that).
    rows = await fetch(
        session, _rows(clock_, (), clock_.among(t.task_id, found)).order_by(t.task_id, t.at, t.id)
    )
    draw(found, rows, flow, seen)
    return list(found.values())


async def finished_between(
    session: AsyncSession,
    clock_: Clock,
    flow: Workflow,
    scope: Scope,
    start: datetime,
    end: datetime,
) -> ColumnElement[bool]:
    """A condition every task in scope finished in [start, end) meets: it is done now, and it
    entered done in that time, by a transition row of its own (the tasks with one are read
    first, so the statement that uses this looks each up) or by a workflow change (then every
    task done now may have)."""
    done_now = Task.status_id.in_([s[0] for s in flow.statuses if s[3] == "done"])
    first, last = clock_.raw(start), clock_.raw(end)
    if any(first <= c.at < last for c in flow.changes):
        return done_now
    t = TaskTransition
    entered = await fetch(
        session,
        select(clock_.value(t.task_id)).where(
            t.project_id.in_(scope.project_ids),
            t.at >= start,
            t.at < end,
            t.category == "done",
        ),
    )
    return and_(clock_.among(Task.id, dict.fromkeys(r[0] for r in entered)), done_now)


class Outline(NamedTuple):
    """What the metrics of finished and started work read of a task's history: when it first
    entered started, and when it last entered done if it is done now (driver values)."""

    id: Any
    project_id: Any
    status_id: Any
    created_at: Any
    estimate: float | None
    first_start: Any
    finished_at: Any
    current: str


def _outline(task: TaskHistory) -> Outline:
    return Outline(
        task.id,
        task.project_id,
        task.status_id,
        task.created_at,
        task.estimate,
        task.first_start,
        task.finished_at,
        task.current,
    )


async def outlines(
    session: AsyncSession,
    clock_: Clock,
    flow: Workflow,
    scope: Scope,
    chosen: ColumnElement[bool],
    seen: Mapping[UUID, str],
) -> list[Outline]:
    """The tasks in scope that `chosen` names (by id or status), with their outlines: one
    pass over their rows, in order; a task a workflow change may have moved (or whose rows
    disagree with its status now) is drawn whole instead (`draw`)."""
    known = Ids()
    infos = await fetch(session, scope.listed(chosen).with_only_columns(*_info(clock_)))
    if not infos:
        return []
    category = {raw: flow.current.get(known[raw], "?") for raw in {row[2] for row in infos}}
    info = {row[0]: row for row in infos}
    t = TaskTransition
    limits = [(s, clock_.time(at)) for s, at in flow.reached.items()]
    moved = (
        case((or_(*(and_(t.status_id == s, t.at <= at) for s, at in limits)), 1), else_=0)
        if limits
        else literal_column("0")
    )
    rows = await fetch(
        session,
        select(clock_.value(t.task_id), clock_.value(t.at), t.category, moved)
        .where(clock_.among(t.task_id, info))
        .order_by(t.task_id, t.at, t.id),
    )
    out: list[Outline] = []
    whole: dict[Any, TaskHistory] = {}
    seen_ids: set[Any] = set()
    current: Any = None
    started_at: Any = None
    done_at: Any = None
    flagged = False

    def outline() -> None:
        row = info[current]
        now = category[row[2]]
        if flagged or {"done": done_at, "started": started_at}.get(now) is None:
            whole[current] = _history(row, known)  # or its rows disagree with its status now
            return
        finished = done_at if now == "done" else None
        out.append(Outline(current, row[1], row[2], row[3], row[4], started_at, finished, now))

    for task_id, at, kind, move in rows:
        if task_id != current:
            if current is not None:
                outline()
            seen_ids.add(task_id)
            current, started_at, done_at, flagged = task_id, None, None, False
        if kind == "done":
            if done_at is None:
                done_at = at  # the first of the done rows since the last other one
        else:
            done_at = None
            if started_at is None and kind == "started":
                started_at = at
        flagged = flagged or bool(move)
    if current is not None:
        outline()
    for raw, row in info.items():
        if raw not in seen_ids:  # no row at all: in its status since it was made
            now = category[row[2]]
            started = row[3] if now == "started" else None
            finished = row[3] if now == "done" else None
            out.append(Outline(raw, row[1], row[2], row[3], row[4], started, finished, now))
    if whole:
        rows = await fetch(
            session,
            _rows(clock_, (), clock_.among(t.task_id, whole)).order_by(t.task_id, t.at, t.id),
        )
        draw(whole, rows, flow, seen)
        out += (_outline(task) for task in whole.values())
    out.sort(key=lambda o: (o.created_at, o.id))
    return out


@dataclass
class Since:
    """The tasks in scope from `moment` on, as cumulative flow and burndown count them:
    - `end`: per category of each task's status now, the tasks and the sum of their
      estimates (`total`: all of them);
    - `steps`: each change of a task's category since the moment, in time order: (when, the
      category it entered, the one it left (None: it was made then), its estimate);
    - `listed`: the tasks whose ids a point can list, with their lines from their last row
      before the moment on, in (created_at, id) order: the first ones of each band that did
      not change since (they are in it at every moment), and the changed ones that can come
      before them."""

    moment: Any
    end: dict[str, tuple[int, float]]
    total: int
    steps: list[tuple[Any, str, str | None, float]]
    listed: list[TaskHistory]


async def since(
    session: AsyncSession,
    clock_: Clock,
    flow: Workflow,
    scope: Scope,
    moment: datetime,
    seen: Mapping[UUID, str],
    band: Mapping[str, str],
    first: int,
) -> Since:
    """What `Since` holds for the tasks in scope; `band`: the bands categories count in,
    `first`: how many ids a point lists."""
    at = clock_.raw(moment)
    t = TaskTransition
    later = [c for c, _ in flow.reach if c.at >= at]
    v = clock_.value
    columns = (v(t.task_id), v(t.at), t.category, *((v(t.status_id),) if later else ()))
    rows = await fetch(
        session,
        select(*columns)
        .where(t.project_id.in_(scope.project_ids), t.at >= moment)
        .order_by(t.at, t.id),
    )
    changed_ids = dict.fromkeys(r[0] for r in rows)
    chosen = clock_.among(Task.id, changed_ids)
    # A workflow change since the moment moves tasks without a row since: those in its
    # statuses then, who are in the status its tasks are in now (or have a row since).
    moved_into = {flow.final(c.status_id) for c in later}
    if moved_into:
        chosen = or_(chosen, Task.status_id.in_(moved_into))
    # Each one's last row before the moment (a task made since has none: its first row is its
    # making, at `created_at`).
    q = aliased(TaskTransition)
    before = (
        select(q.id)
        .where(q.project_id == Task.project_id, q.task_id == Task.id, q.at < moment)
        .order_by(q.at.desc(), q.id.desc())
        .limit(1)
        .correlate(Task)
        .scalar_subquery()
    )
    infos = await fetch(
        session,
        scope.listed(chosen).with_only_columns(
            *_info(clock_), case((Task.created_at < moment, before))
        ),
    )
    infos.sort(key=lambda row: (row[3], row[0]))
    known = Ids()
    changed = {row[0]: _history(row, known) for row in infos}
    earlier = [row[5] for row in infos if row[5] is not None]
    pre = (
        await fetch(session, _rows(clock_, (), clock_.among(t.id, earlier, BigInteger)))
        if earlier
        else []
    )
    end, total = await _end(session, clock_, flow, scope, known)
    listed = await _firsts(session, clock_, flow, scope, changed, first, known) if first else []
    # The changed tasks whose ids a point can list: those made before the first unchanged
    # ones of a band they were in (all those of a band with fewer than `first` of them).
    per_band: dict[str, list[TaskHistory]] = {}
    for task in listed:
        per_band.setdefault(band.get(task.current, "?"), []).append(task)
    cutoffs: dict[str, Any] = {}
    for name in set(band.values()):
        tasks = per_band.get(name, [])
        cutoffs[name] = tasks[first - 1].order if first and len(tasks) >= first else None
    known_cutoffs = [c for c in cutoffs.values() if c is not None]
    if not first:
        drawn: set[Any] = set()
    elif len(known_cutoffs) == len(cutoffs):
        latest = max(known_cutoffs, default=None)
        drawn = {raw for raw, task in changed.items() if latest is not None and task.order < latest}
    else:
        drawn = set(changed)
    steps, lines = _steps(flow, seen, at, later, changed, pre, rows, drawn, known)
    kept = []
    for raw in drawn:
        task = changed[raw]
        task.line = lines.get(raw) or [(task.created_at, flow.current.get(task.status_id, "?"))]
        bands = {band.get(category) for _, category in task.line}
        if any(
            name in cutoffs and (cutoffs[name] is None or task.order < cutoffs[name])
            for name in bands
        ):
            kept.append(task)
    listed = sorted((*listed, *kept), key=lambda h: h.order)
    return Since(at, end, total, steps, listed)


def _steps(
    flow: Workflow,
    seen: Mapping[UUID, str],
    at: Any,
    later: Sequence[transitions.WorkflowChange],
    changed: Mapping[Any, TaskHistory],
    pre: Sequence[_Row],
    rows: Sequence[Sequence[Any]],
    drawn: set[Any],
    known: Ids,
) -> tuple[list[tuple[Any, str, str | None, float]], dict[Any, list[tuple[Any, str]]]]:
    """The changed tasks' steps since `at` (see `Since`), and the lines of those in `drawn`
    from their last row before `at` on. `pre`: those rows (task, at, status, category);
    `rows`: the rows since (task, at, category, and the status when changes came `later`)."""
    state: dict[Any, str | None] = {row[0]: row[3] for row in pre}
    lines: dict[Any, list[tuple[Any, str]]] = {
        row[0]: [(row[1], row[3])] for row in pre if row[0] in drawn
    }
    # The tasks a workflow change may have moved: in a status one reached, before its last
    # change (a task moved by a change since `at` without a row since has its last row
    # before `at` in such a status).
    reached = flow.reached
    flagged = {r[0] for r in pre if (last := reached.get(known[r[2]])) is not None and r[1] <= last}
    if later:
        flagged |= {
            r[0] for r in rows if (last := reached.get(known[r[3]])) is not None and r[1] <= last
        }
    flagged &= changed.keys()
    counted: set[Any] = set()
    steps: list[tuple[Any, str, str | None, float]] = []
    if flagged:
        own = [transitions.Row(r[0], known[r[2]], r[3], r[1]) for r in pre if r[0] in flagged]
        if later:  # their rows since too: a change since may move them again
            own += (transitions.Row(r[0], known[r[3]], r[2], r[1]) for r in rows if r[0] in flagged)
            counted = flagged
        for raw, line in transitions.timelines(own, flow.changes, flow.current, seen).items():
            earlier = [entry for entry in line if entry[0] < at]
            state[raw] = earlier[-1][1] if earlier else None
            if raw in drawn:
                lines[raw] = earlier[-1:]
            if not later:
                continue
            prev, estimate = state[raw], changed[raw].estimate or 0.0
            for when, category in line[len(earlier) :]:
                steps.append((when, category, prev, estimate))
                prev = category
                if raw in drawn:
                    lines[raw].append((when, category))
    for row in rows:
        raw, when, category = row[0], row[1], row[2]
        task = changed.get(raw)
        if task is None or raw in counted:
            continue
        prev = state.get(raw)
        if prev == category:
            continue
        steps.append((when, category, prev, task.estimate or 0.0))
        state[raw] = category
        if raw in drawn:
            lines.setdefault(raw, []).append((when, category))
    return steps, lines


async def _end(
    session: AsyncSession, clock_: Clock, flow: Workflow, scope: Scope, known: Ids
) -> tuple[dict[str, tuple[int, float]], int]:
    """Per category of their status now: the tasks in scope and the sum of their estimates."""
    grouped = await fetch(
        session,
        scope.tasks()
        .with_only_columns(
            clock_.value(Task.status_id), func.count(), func.sum(func.coalesce(Task.estimate, 0.0))
        )
        .group_by(Task.status_id),
    )
    end: dict[str, tuple[int, float]] = {}
    total = 0
    for status, count, estimate in grouped:
        category = flow.current.get(known[status], "?")
        old = end.get(category, (0, 0.0))
        end[category] = (old[0] + count, old[1] + float(estimate or 0))
        total += count
    return end, total


async def _firsts(
    session: AsyncSession,
    clock_: Clock,
    flow: Workflow,
    scope: Scope,
    changed: Mapping[Any, TaskHistory],
    first: int,
    known: Ids,
) -> list[TaskHistory]:
    """The first `first` unchanged tasks of each status, as histories of one stretch, in
    (created_at, id) order. Most statuses' first tasks are old ones that did not change: the
    first `first` of each are read, and for a status where changed ones took places, as many
    more as it has changed ones."""
    in_status: dict[UUID, int] = {}
    for task in changed.values():
        in_status[task.status_id] = in_status.get(task.status_id, 0) + 1
    found: dict[UUID, list[TaskHistory]] = {}

    async def read(limits: Sequence[tuple[UUID, int]]) -> None:
        for start in range(0, len(limits), _PARTS):
            parts = [
                scope.tasks(Task.status_id == status)
                .with_only_columns(*_info(clock_))
                .order_by(Task.created_at, Task.id)
                .limit(limit)
                .subquery()
                for status, limit in limits[start : start + _PARTS]
            ]
            listed = union_all(*(select(part) for part in parts)).subquery()
            for row in await fetch(session, select(listed)):
                task = _history(row, known)
                if task.id not in changed:
                    task.line = [(task.created_at, flow.current.get(task.status_id, "?"))]
                    found.setdefault(task.status_id, []).append(task)

    await read([(s[0], first) for s in flow.statuses])
    short = [
        (s[0], first + in_status[s[0]])
        for s in flow.statuses
        if in_status.get(s[0]) and len(found.get(s[0], ())) < first
    ]
    for status, _ in short:
        found.pop(status, None)
    if short:
        await read(short)
    out = [task for tasks in found.values() for task in tasks]
    out.sort(key=lambda h: h.order)
    return out


_PARTS = 200
"""LIMITed parts in one statement (SQLite allows 500 in a compound SELECT)."""
