"""SQL for tasks: list filters, sort orders and the batch loads that avoid N+1 queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import lru_cache
from typing import Any, TypeVarTuple
from uuid import UUID

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Date,
    Integer,
    Select,
    Text,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.authz.access import StatusRow
from tasklane.kit import keyset
from tasklane.kit.keyset import SortColumn, as_date, as_datetime, as_int, as_str, as_uuid
from tasklane.kit.rawsql import Dialect, RawSQL, compile_raw
from tasklane.models import Status, Task, TaskAssignee, TaskLabel
from tasklane.projects.workflow import StatusCategory
from tasklane.query.compile import Context, task_conditions, text_terms
from tasklane.query.language import parse_query
from tasklane.search.queries import text_condition
from tasklane.tasks.schemas import PRIORITY_RANK, Priority, TaskSort

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
    """A query of the query language (tasklane.query), checked already."""
    viewer: UUID | None = None
    """Who `me` is in `text`."""
    today: date | None = None
    """What relative dates in `text` count from."""


def apply_filters(
    stmt: Select[*Ts],
    project_id: UUID | BindParameter[UUID],
    f: TaskFilters,
    *,
    in_project: bool = True,
) -> Select[*Ts]:
    """`in_project=False` leaves out the project condition, for a statement already limited to
    statuses of the project: there it is redundant, and it misleads PostgreSQL's generic plan
    into combining the project and status indexes and sorting whole columns."""
    if in_project:
        stmt = stmt.where(Task.project_id == project_id)
    stmt = stmt.where(Task.deleted_at.is_(None))
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
        conditions: list[ColumnElement[bool]] = []
        if users:
            # IN, not a correlated EXISTS: the planner can then start from these users' rows.
            conditions.append(
                Task.id.in_(select(TaskAssignee.task_id).where(TaskAssignee.user_id.in_(users)))
            )
        if None in f.assignees:
            conditions.append(~exists().where(TaskAssignee.task_id == Task.id))
        stmt = stmt.where(or_(*conditions))
    if f.label_ids:
        stmt = stmt.where(
            Task.id.in_(select(TaskLabel.task_id).where(TaskLabel.label_id.in_(f.label_ids)))
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
        query = parse_query(f.text)
        if f.viewer is None or f.today is None:
            raise ValueError("a query needs its viewer and day")
        stmt = stmt.where(*task_conditions(query, Context(f.viewer, f.today)))
        terms = text_terms(query)
        if terms is not None:
            stmt = stmt.where(text_condition(terms))
    return stmt


_NO_PRIORITY_LAST = max(PRIORITY_RANK.values()) + 1


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
        case TaskSort.PRIORITY:
            # Low to urgent, then the tasks without a priority: they come last either way.
            rank = case(
                (Task.priority == Priority.NONE.rank, _NO_PRIORITY_LAST), else_=Task.priority
            )
            return [SortColumn(rank, False, as_int), tail]
        case TaskSort.PRIORITY_DESC:
            return [SortColumn(Task.priority, True, as_int), tail]


def sort_values(sort: TaskSort, task: dict[str, Any], status_position: int) -> list[Any]:
    """The cursor values of a task as a hot read shows it (`tasks.reads.task_json`)."""
    match sort:
        case TaskSort.POSITION:
            return [status_position, task["position"], task["id"]]
        case TaskSort.CREATED | TaskSort.CREATED_DESC:
            return [_timestamp(task["created_at"]), task["id"]]
        case TaskSort.UPDATED | TaskSort.UPDATED_DESC:
            return [_timestamp(task["updated_at"]), task["id"]]
        case TaskSort.DUE:
            return [task["due_date"] or FAR_FUTURE.isoformat(), task["id"]]
        case TaskSort.DUE_DESC:
            return [task["due_date"] or FAR_PAST.isoformat(), task["id"]]
        case TaskSort.PRIORITY:
            rank = PRIORITY_RANK[Priority(task["priority"])]
            return [_NO_PRIORITY_LAST if rank == Priority.NONE.rank else rank, task["id"]]
        case TaskSort.PRIORITY_DESC:
            return [PRIORITY_RANK[Priority(task["priority"])], task["id"]]


def _timestamp(value: str | datetime) -> str:
    return value if isinstance(value, str) else value.isoformat()


@dataclass(frozen=True, slots=True)
class StatusGroup:
    """The statuses of one project at one status position (normally exactly one)."""

    position: int
    status_ids: list[UUID]


def status_groups(statuses: Sequence[StatusRow], f: TaskFilters) -> list[StatusGroup]:
    """The project's statuses (in board order) grouped by position, narrowed by the status
    filters."""
    categories = {c.value for c in f.status_categories}
    groups: dict[int, list[UUID]] = {}
    for status in statuses:
        if f.status_ids and status.id not in f.status_ids:
            continue
        if categories and status.category not in categories:
            continue
        groups.setdefault(status.position, []).append(status.id)
    return [StatusGroup(position, ids) for position, ids in groups.items()]


_NO_FILTERS = TaskFilters()


def walks_columns(sort: TaskSort, f: TaskFilters) -> bool:
    """Whether a list is read with `position_page` (board order). Not when filtering by
    assignee or label: an index finds those tasks directly and they can be few in each
    column, so sorting them reads fewer rows than walking the columns up to them. Other
    filters no index serves are checked row by row either way, and the walk stops early."""
    users = [u for u in f.assignees if u is not None]
    return sort is TaskSort.POSITION and not users and not f.label_ids


def checks_rows(f: TaskFilters) -> bool:
    """Whether a column walk checks rows against a filter no index serves (so it may read a
    whole column before it has a page): such a read goes to a thread, not the event loop."""
    return bool(
        f.text
        or f.priorities
        or f.due_before
        or f.due_after
        or f.parent_id
        or f.top_level_only
        or None in f.assignees
    )


TASK_COLUMNS = tuple(Task.__table__.c)
"""A task row as hot reads select it: these columns, then what the statement adds."""


def _id_list(other: Any, task: Any, task_id: Any, dialect: Dialect) -> Any:
    """The ids linked to a task (its assignees or labels) as one comma-separated text (order
    unspecified), a subquery of the page statement: no statement per page for links."""
    if dialect == "sqlite":
        agg = func.group_concat(other)
    else:
        agg = func.string_agg(cast(other, Text), literal_column("','"))
    return select(agg).where(task == task_id).scalar_subquery()


def link_columns(task_id: Any, dialect: Dialect) -> list[Any]:
    """Assignees, then labels (see `_id_list`), of the task with id `task_id`."""
    return [
        _id_list(TaskAssignee.user_id, TaskAssignee.task_id, task_id, dialect).label("assignees"),
        _id_list(TaskLabel.label_id, TaskLabel.task_id, task_id, dialect).label("labels"),
    ]


def position_page(
    project_id: UUID,
    f: TaskFilters,
    groups: Sequence[StatusGroup],
    after: Sequence[Any] | None,
    size: int,
    dialect: Dialect,
) -> tuple[RawSQL, dict[str, Any]] | None:
    """The statement and its parameters for `size` tasks in `sort=position` order (status
    position, task position, id), after the cursor values `after` if given; None when no
    status can match. Rows: TASK_COLUMNS, the status position, assignees, labels.

    Ordering by the joined status's position would sort the whole project on every request;
    instead each status column is read from `ix_tasks_status_id_position_id`, at most `size`
    rows each, and only those are merged. `groups` comes from `status_groups`, which
    applies the status filters (so they are left out here); see also `walks_columns`."""
    if after is not None:
        groups = [g for g in groups if g.position >= after[0]]
    if not groups:
        return None
    cursor_first = after is not None and groups[0].position == after[0]
    shape = tuple(len(g.status_ids) for g in groups)
    rest = replace(f, status_ids=[], status_categories=[])
    params: dict[str, Any] = {"project_id": project_id}
    for i, group in enumerate(groups):
        params[f"status_position_{i}"] = group.position
        for j, status_id in enumerate(group.status_ids):
            params[f"status_{i}_{j}"] = status_id
    if after is not None and cursor_first:
        params["after_position"], params["after_id"] = after[1], after[2]
    if rest == _NO_FILTERS:
        return _position_statement(shape, cursor_first, size, dialect), params
    # Filter values are part of the text (a list of values expands into one parameter
    # each), so the statement is compiled for this request, with every value bound.
    stmt = _build_position_statement(shape, cursor_first, size, rest, dialect)
    return compile_raw(stmt, dialect, params), params


@lru_cache(maxsize=256)
def _position_statement(
    shape: tuple[int, ...], cursor_first: bool, size: int, dialect: Dialect
) -> RawSQL:
    """Unfiltered pages, built once per shape: building costs more than running them."""
    return compile_raw(
        _build_position_statement(shape, cursor_first, size, _NO_FILTERS, dialect), dialect
    )


def _build_position_statement(
    shape: tuple[int, ...], cursor_first: bool, size: int, f: TaskFilters, dialect: Dialect
) -> Select[Any]:
    """One branch per status group (`shape` holds how many statuses each has), values bound
    at execution; the first branch starts after the cursor if `cursor_first`."""
    project_id = bindparam("project_id", type_=Task.__table__.c.project_id.type)
    within = sort_columns(TaskSort.POSITION)[1:]
    branches = []
    for i, count in enumerate(shape):
        position = bindparam(f"status_position_{i}", type_=Integer)
        # On SQLite the branches carry ids only (see below); on PostgreSQL whole rows.
        carried = TASK_COLUMNS if dialect == "postgresql" else (Task.id, Task.position)
        stmt = select(*carried, position.label("status_position"))
        if count == 1:
            stmt = stmt.where(Task.status_id == bindparam(f"status_{i}_0"))
        else:
            stmt = stmt.where(
                Task.status_id.in_([bindparam(f"status_{i}_{j}") for j in range(count)])
            )
        stmt = apply_filters(stmt, project_id, f, in_project=False)
        if i == 0 and cursor_first:
            stmt = stmt.where(
                keyset.after(within, [bindparam("after_position"), bindparam("after_id")])
            )
        # Wrapped, so each branch keeps its own ORDER BY and LIMIT inside the UNION (SQLite).
        branches.append(select(stmt.order_by(Task.position, Task.id).limit(size).subquery()))
    # On PostgreSQL the branches carry whole rows: joining the page back to tasks by id let
    # its generic plan (which cannot see the LIMIT) pick a hash join over a scan of all tasks.
    merged = union_all(*branches).subquery() if len(branches) > 1 else branches[0].subquery()
    order = (merged.c.status_position, merged.c.position, merged.c.id)
    if dialect == "postgresql":
        columns = [merged.c[c.name] for c in TASK_COLUMNS]
        return (
            select(*columns, merged.c.status_position, *link_columns(merged.c.id, dialect))
            .order_by(*order)
            .limit(size)
        )
    # On SQLite, whole rows through the branches' sorts and the merge (descriptions too)
    # cost 1.3 ms for a page of 51 from five columns; ids only, with the page materialised
    # and then joined back to its tasks and their links, 0.6 ms. (Not materialised, SQLite
    # flattens the page into the branches and reads every branch's links.)
    page = (
        select(merged.c.id, merged.c.position, merged.c.status_position)
        .order_by(*order)
        .limit(size)
        .cte("page")
        .prefix_with("MATERIALIZED")
    )
    return (
        select(*TASK_COLUMNS, page.c.status_position, *link_columns(Task.id, dialect))
        .select_from(page.join(Task, Task.id == page.c.id))
        .order_by(page.c.status_position, page.c.position, page.c.id)
    )


def sorted_page(
    project_id: UUID,
    f: TaskFilters,
    sort: TaskSort,
    after: Sequence[Any] | None,
    size: int,
    dialect: Dialect,
) -> RawSQL:
    """A page in any other order (or filtered by assignee or label): the same row shape as
    `position_page`, compiled for this request (its filters are part of the text)."""
    columns = sort_columns(sort)
    stmt = select(*TASK_COLUMNS, Status.position, *link_columns(Task.id, dialect)).join(
        Status, Status.id == Task.status_id
    )
    stmt = apply_filters(stmt, project_id, f)
    if after is not None:
        stmt = stmt.where(keyset.after(columns, after))
    stmt = stmt.order_by(*keyset.order_by(columns)).limit(size)
    return compile_raw(stmt, dialect)


@dataclass
class Links:
    assignees: dict[UUID, list[UUID]]
    labels: dict[UUID, list[UUID]]


# Built once per process (it runs for every task read); the ids are bound at execution.
_LINKS: CompoundSelect[UUID, UUID, str] = union_all(
    select(
        TaskAssignee.task_id,
        TaskAssignee.user_id.label("other"),
        literal_column("'a'").label("kind"),
    ).where(TaskAssignee.task_id.in_(bindparam("task_ids", expanding=True))),
    select(
        TaskLabel.task_id,
        TaskLabel.label_id.label("other"),
        literal_column("'l'").label("kind"),
    ).where(TaskLabel.task_id.in_(bindparam("task_ids", expanding=True))),
)


async def load_links(session: AsyncSession, task_ids: Sequence[UUID]) -> Links:
    """Assignees and labels of many tasks in one statement."""
    links = Links(assignees=defaultdict(list), labels=defaultdict(list))
    if not task_ids:
        return links
    rows = await session.execute(_LINKS, {"task_ids": list(task_ids)})
    for task_id, other, kind in rows.all():
        (links.assignees if kind == "a" else links.labels)[task_id].append(other)
    for group in (links.assignees, links.labels):
        for values in group.values():
            values.sort()
    return links


def column_edge_select(status_id: UUID | BindParameter[Any], *, last: bool) -> Select[str]:
    agg = func.max(Task.position) if last else func.min(Task.position)
    return select(agg).where(Task.status_id == status_id, Task.deleted_at.is_(None))


async def column_edge(
    session: AsyncSession, status_id: UUID, *, last: bool, exclude: UUID | None = None
) -> str | None:
    """The highest (last=True) or lowest ordering key in a status column."""
    stmt = column_edge_select(status_id, last=last)
    if exclude is not None:
        stmt = stmt.where(Task.id != exclude)
    value = await session.scalar(stmt)
    return str(value) if value is not None else None


async def neighbour(
    session: AsyncSession, status_id: UUID, position: str, *, after: bool, exclude: UUID | None
) -> str | None:
    """The next key above (after=False) or below (after=True) `position` in a column."""
    stmt: Select[str]
    if after:
        stmt = select(func.min(Task.position)).where(Task.position > position)
    else:
        stmt = select(func.max(Task.position)).where(Task.position < position)
    stmt = stmt.where(Task.status_id == status_id, Task.deleted_at.is_(None))
    if exclude is not None:
        stmt = stmt.where(Task.id != exclude)
    value = await session.scalar(stmt)
    return str(value) if value is not None else None
