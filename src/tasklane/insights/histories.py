"""The tasks' histories of categories, read for the metrics that need them (docs/metrics.md,
"How it is computed"), each reading no more than its metric needs:
- `outlines`: of the tasks that can have finished in a period (their last transition is not
  before it: `task_flows.changed_at`), or are started now, what those metrics read (when each
  first entered started, when it last entered done), from their `task_flows` rows;
- `since`: what changed from a moment on, for every task in scope (cumulative flow,
  burndown). A task with no transition since then is in the category of its status now at
  every later moment: those are counted by one aggregate over the tasks table, and only the
  first ones of each status are read, for the ids behind the points. A task with one
  (`task_flows.changed_at` not before the moment) is read from its `task_flows.line`, from its
  last row before the moment on. The cost follows the tasks changed since the moment, not the
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
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter

from tasklane.insights import transitions
from tasklane.kit.rawsql import Dialect, compile_raw
from tasklane.kit.sqltypes import UTCDateTime
from tasklane.models import Event, Status, Task, TaskFlow, TaskTransition

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

    def status(self, status_id: UUID) -> str:
        """A status's id as `task_flows.line` spells it on both databases."""
        return status_id.hex

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
    """A condition every task in scope finished in [start, end) meets (on the tasks joined
    with their `task_flows`): it is done now, and it entered done in that time by a transition
    row of its own (so its last row is not before `start`) or by a workflow change (then every
    task done now may have)."""
    done_now = Task.status_id.in_([s[0] for s in flow.statuses if s[3] == "done"])
    first, last = clock_.raw(start), clock_.raw(end)
    if any(first <= c.at < last for c in flow.changes):
        return done_now
    f = TaskFlow
    return and_(f.project_id.in_(scope.project_ids), f.changed_at >= start, done_now)


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


def _moved(line: str, reached: Mapping[str, Any]) -> bool:
    """A row of `line` entered a status a workflow change reached, before the change."""
    for entry in line.split(";"):
        when, status, _ = entry.split(",", 2)
        last = reached.get(status)
        if last is not None and when <= last:
            return True
    return False


_INDEXED = text(
    "SELECT set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', "
    "true), set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true), "
    "set_config('max_parallel_workers_per_gather', '0', true)"
)
"""`SET LOCAL` of each, in one statement."""


async def nested_loops(session: AsyncSession, clock_: Clock) -> None:
    """PostgreSQL, for the rest of the transaction (a read): take the `task_flows` rows an
    index range gives and look each task up. Its planner would rather scan and hash every
    live task of the project (it takes the range for a large share of the table), in
    parallel workers, after compiling the statement (JIT) for longer than it runs."""
    if clock_.dialect == "postgresql":
        await session.execute(_INDEXED)


async def outlines(
    session: AsyncSession,
    clock_: Clock,
    flow: Workflow,
    scope: Scope,
    chosen: Sequence[ColumnElement[bool]],
    seen: Mapping[UUID, str],
) -> list[Outline]:
    """The tasks in scope that any of `chosen` names (conditions on the tasks joined with
    their `task_flows`, a statement each), with their outlines read from `task_flows`; a task
    a workflow change may have moved (or whose rows disagree with its status now) is drawn
    whole from its rows instead (`draw`)."""
    known = Ids()
    f, t = TaskFlow, TaskTransition
    v = clock_.value
    # A workflow change can have moved a task that entered a status it reached before it: its
    # line tells. Only a task made before the last change can have: only theirs are read.
    reached = {clock_.status(s): at for s, at in flow.reached.items()}
    line: Any = literal_column("NULL")
    if reached:
        last_change = clock_.time(max(flow.reached.values()))
        line = case((Task.created_at <= last_change, f.line), else_=None)
    columns = (*_info(clock_), v(f.first_start), v(f.finished_at), f.category, line)
    infos: dict[Any, Sequence[Any]] = {}
    await nested_loops(session, clock_)
    for condition in chosen:
        stmt = (
            select(*columns)
            .select_from(Task)
            .outerjoin(f, f.task_id == Task.id)
            .where(Task.deleted_at.is_(None), *scope.filters, condition)
        )
        for row in await fetch(session, stmt):
            infos[row[0]] = row
    if not infos:
        return []
    category = {
        raw: flow.current.get(known[raw], "?") for raw in {row[2] for row in infos.values()}
    }
    out: list[Outline] = []
    whole: dict[Any, TaskHistory] = {}
    for raw, row in infos.items():
        now = category[row[2]]
        started_at, done_at, last = row[5], row[6], row[7]
        flagged = row[8] is not None and _moved(row[8], reached)
        if last is None:  # no row at all: in its status since it was made
            started = row[3] if now == "started" else None
            finished = row[3] if now == "done" else None
            out.append(Outline(raw, row[1], row[2], row[3], row[4], started, finished, now))
        elif flagged or {"done": done_at, "started": started_at}.get(now) is None:
            whole[raw] = _history(row, known)  # or its rows disagree with its status now
        else:
            finished = done_at if now == "done" else None
            out.append(Outline(raw, row[1], row[2], row[3], row[4], started_at, finished, now))
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
    later = [c for c, _ in flow.reach if c.at >= at]
    f = TaskFlow
    # The tasks with a row since the moment: their last row is not before it.
    chosen = [and_(f.project_id.in_(scope.project_ids), f.changed_at >= moment)]
    # A workflow change since the moment moves tasks without a row since: those in its
    # statuses then, who are in the status its tasks are in now (or have a row since).
    moved_into = {flow.final(c.status_id) for c in later}
    if moved_into:
        chosen.append(and_(Task.project_id.in_(scope.project_ids), Task.status_id.in_(moved_into)))
    found: dict[Any, Sequence[Any]] = {}
    await nested_loops(session, clock_)
    for condition in chosen:
        stmt = (
            select(*_info(clock_), f.line)
            .select_from(Task)
            .outerjoin(f, f.task_id == Task.id)
            .where(Task.deleted_at.is_(None), *scope.filters, condition)
        )
        for row in await fetch(session, stmt):
            found[row[0]] = row
    # Each one's rows since the moment (task, at, category, status), and its last row before
    # it (task, at, status, category; a task made since has none: its first row is its
    # making, at `created_at`), from its line.
    rows: list[tuple[Any, list[Sequence[Any]]]] = []
    pre: list[tuple[Any, ...]] = []
    width = len(at)
    for raw, row in found.items():
        entries = row[5].split(";") if row[5] else []
        k = len(entries)
        while k and entries[k - 1][:width] >= at:  # a line's time leads each of its rows
            k -= 1
        if k:
            when, status, category = entries[k - 1].split(",")
            pre.append((raw, when, status, category))
        if k < len(entries):
            rows.append((raw, [tuple(entry.split(",")) for entry in entries[k:]]))
    known = Ids()
    changed = found  # as read: a history is made only of those whose ids a point can list
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
        drawn = {
            raw for raw, row in changed.items() if latest is not None and (row[3], raw) < latest
        }
    else:
        drawn = set(changed)
    steps, lines = _steps(flow, seen, at, later, changed, pre, rows, drawn, known)
    kept = []
    for raw in drawn:
        task = _history(changed[raw], known)
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
    changed: Mapping[Any, Sequence[Any]],
    pre: Sequence[_Row],
    rows: Sequence[tuple[Any, Sequence[Sequence[Any]]]],
    drawn: set[Any],
    known: Ids,
) -> tuple[list[tuple[Any, str, str | None, float]], dict[Any, list[tuple[Any, str]]]]:
    """The changed tasks' steps since `at` (see `Since`), and the lines of those in `drawn`
    from their last row before `at` on. `pre`: those rows (task, at, status, category);
    `rows`: each task's rows since, in order (at, status, category)."""
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
            raw
            for raw, entries in rows
            for when, status, _ in entries
            if (last := reached.get(known[status])) is not None and when <= last
        }
    flagged &= changed.keys()
    counted: set[Any] = set()
    steps: list[tuple[Any, str, str | None, float]] = []
    if flagged:
        own = [transitions.Row(r[0], known[r[2]], r[3], r[1]) for r in pre if r[0] in flagged]
        if later:  # their rows since too: a change since may move them again
            own += (
                transitions.Row(raw, known[status], category, when)
                for raw, entries in rows
                if raw in flagged
                for when, status, category in entries
            )
            own.sort(key=lambda r: r.at)  # stable: each task's rows stay in (at, id) order
            counted = flagged
        for raw, line in transitions.timelines(own, flow.changes, flow.current, seen).items():
            earlier = [entry for entry in line if entry[0] < at]
            state[raw] = earlier[-1][1] if earlier else None
            if raw in drawn:
                lines[raw] = earlier[-1:]
            if not later:
                continue
            prev, estimate = state[raw], changed[raw][4] or 0.0
            for when, category in line[len(earlier) :]:
                steps.append((when, category, prev, estimate))
                prev = category
                if raw in drawn:
                    lines[raw].append((when, category))
    for raw, entries in rows:
        task = changed.get(raw)
        if task is None or raw in counted:
            continue
        prev, estimate = state.get(raw), task[4] or 0.0
        drawing = lines.setdefault(raw, []) if raw in drawn else None
        for when, _, category in entries:
            if prev == category:
                continue
            steps.append((when, category, prev, estimate))
            prev = category
            if drawing is not None:
                drawing.append((when, category))
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
    changed: Mapping[Any, Sequence[Any]],
    first: int,
    known: Ids,
) -> list[TaskHistory]:
    """The first `first` unchanged tasks of each status, as histories of one stretch, in
    (created_at, id) order. Most statuses' first tasks are old ones that did not change: the
    first `first` of each are read, and for a status where changed ones took places, as many
    more as it has changed ones."""
    in_status: dict[UUID, int] = {}
    for row in changed.values():
        status = known[row[2]]
        in_status[status] = in_status.get(status, 0) + 1
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
