"""The hot task reads (one task, a page of a project's tasks, the counts per status column,
a task's history) on raw rows, encoded once.

The pattern every hot read follows (docs/architecture.md, "Hot reads"): the caller's session
check, then one statement that authorises and reads (access columns first, see
`authz.access.*_read_statement`), then at most one more for the rows, with their links folded
in; rows become JSON values in `kit.rawsql` and the body is encoded once with orjson. The
response models (`TaskRead`, `Page[TaskRead]`) still describe the routes, and a test checks
that the bytes are what those models would write.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cache
from typing import Any
from uuid import UUID

import orjson
from fastapi import Request
from sqlalchemy import Integer, Select, bindparam, func, select

from tasklane.api import encode_json
from tasklane.auth.principal import Principal
from tasklane.authz.access import (
    StatusRow,
    WorkspaceScope,
    project_lookup,
    project_read_statement,
    read_role,
    read_task_row,
    task_read_statement,
    visible_project_ids,
)
from tasklane.authz.roles import Action
from tasklane.errors import NotFound
from tasklane.kit import keyset
from tasklane.kit.pagecache import PageCache
from tasklane.kit.pagination import decode_cursor, encode_cursor
from tasklane.kit.rawsql import Dialect, RawConnection, RawSQL, compile_raw
from tasklane.models import Event, Project, Status, Task
from tasklane.tasks import queries
from tasklane.tasks.queries import TASK_COLUMNS, TaskFilters
from tasklane.tasks.schemas import Priority, TaskSort

_COLUMN = {c.name: i for i, c in enumerate(TASK_COLUMNS)}
_PRIORITY = {p.rank: p.value for p in Priority}
_N = len(TASK_COLUMNS)
_STATUS_POSITION = _N
"""Where a page row has its status position (then its links)."""


def _ids(value: str | None, dialect: Dialect) -> list[str]:
    """A `queries.link_columns` value as the sorted list of ids the API shows."""
    if not value:
        return []
    if dialect == "sqlite":
        return sorted(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}" for h in value.split(","))
    return sorted(value.split(","))


def task_json(dialect: Dialect, *, links_at: int) -> Callable[[Sequence[Any], str], dict[str, Any]]:
    """(row, its project's key) → the JSON object of `TaskRead`, field for field in its
    order. A row is TASK_COLUMNS (as JSON values), and at `links_at` assignees and labels."""
    c = _COLUMN
    assignees, labels = links_at, links_at + 1

    def build(row: Sequence[Any], project_key: str) -> dict[str, Any]:
        return {
            "id": row[c["id"]],
            "key": f"{project_key}-{row[c['number']]}",
            "number": row[c["number"]],
            "project_id": row[c["project_id"]],
            "title": row[c["title"]],
            "description": row[c["description"]],
            "status_id": row[c["status_id"]],
            "priority": _PRIORITY[row[c["priority"]]],
            "assignee_ids": _ids(row[assignees], dialect),
            "label_ids": _ids(row[labels], dialect),
            "start_date": row[c["start_date"]],
            "due_date": row[c["due_date"]],
            "estimate": row[c["estimate"]],
            "parent_id": row[c["parent_id"]],
            "position": row[c["position"]],
            "version": row[c["version"]],
            "created_by": row[c["created_by"]],
            "created_at": row[c["created_at"]],
            "updated_at": row[c["updated_at"]],
            "completed_at": row[c["completed_at"]],
            "deleted_at": row[c["deleted_at"]],
        }

    return build


# --- one task ----------------------------------------------------------------------------------


@cache
def _get_statement(by_key: bool, scope: WorkspaceScope | None, dialect: Dialect) -> RawSQL:
    """Access, the project's key, the task and its links: one statement."""
    columns = [Project.key, *TASK_COLUMNS, *queries.link_columns(Task.id, dialect)]
    return compile_raw(task_read_statement(columns, by_key=by_key, scope=scope), dialect)


async def get_task(
    raw: RawConnection, request: Request, principal: Principal, ref: str
) -> tuple[dict[str, Any], int]:
    """One visible task as `TaskRead` JSON, and its version."""
    row = await read_task_row(raw, request, principal, ref, _get_statement)
    task = task_json(raw.dialect, links_at=_N)(row[3:], row[2])
    return task, int(task["version"])


# --- a page of a project's tasks ---------------------------------------------------------------


def _newest_events() -> list[Any]:
    """A page's validator (`kit.pagecache`): the newest event of the project, and the newest
    of its workspace's events that name no project. One index probe each."""
    of_project = select(func.max(Event.seq)).where(Event.project_id == Project.id)
    of_workspace = select(func.max(Event.seq)).where(
        Event.workspace_id == Project.workspace_id, Event.project_id.is_(None)
    )
    return [of_project.scalar_subquery(), of_workspace.scalar_subquery()]


_KEY, _PROJECT_SEQ, _WORKSPACE_SEQ, _STATUS = 2, 3, 4, 5
"""Where a project row has the project's key, the page's validator and the status columns."""


@cache
def _project_statement(with_statuses: bool, dialect: Dialect) -> RawSQL:
    """Access, the project's key and the page's validator; with its statuses in board order
    (one row each) when the page walks the board's columns."""
    columns = [Project.key, *_newest_events()]
    if not with_statuses:
        return compile_raw(project_read_statement(columns), dialect)
    stmt = (
        project_read_statement([*columns, Status.id, Status.position, Status.category])
        .outerjoin(Status, Status.project_id == Project.id)
        .order_by(Status.position, Status.id)
    )
    return compile_raw(stmt, dialect)


async def list_tasks(
    raw: RawConnection,
    principal: Principal,
    pages: PageCache,
    *,
    project_id: UUID,
    filters: TaskFilters,
    sort: TaskSort,
    limit: int,
    cursor: str | None,
    fresh: bool = False,
) -> bytes:
    """A page of a project's tasks as the JSON of `Page[TaskRead]`: from `pages` when the
    project and its workspace have no newer event than when it was kept (unless `fresh`),
    else read (see `queries.position_page` and `queries.sorted_page` for how each order is)
    and kept."""
    walk = queries.walks_columns(sort, filters)
    statement = _project_statement(walk, raw.dialect)
    rows = await raw.fetch(statement, project_lookup(principal, project_id))
    if not rows:
        raise NotFound("No such project.")
    read_role(rows[0], Action.PROJECT_READ, missing="No such project.")
    # The filters are a frozen dataclass of lists: their repr names every value.
    key = ("tasks", project_id, sort, repr(filters), limit, cursor)
    validator = (rows[0][_PROJECT_SEQ], rows[0][_WORKSPACE_SEQ])
    if not fresh and (body := pages.get(key, validator)) is not None:
        return body
    # Read after the validator, so the page is at least as new as it says.
    body = encode_json(
        await _task_page(raw, rows, project_id, filters, sort, limit, cursor, walk=walk)
    )
    pages.put(key, validator, body)
    return body


async def _task_page(
    raw: RawConnection,
    rows: Sequence[Sequence[Any]],
    project_id: UUID,
    filters: TaskFilters,
    sort: TaskSort,
    limit: int,
    cursor: str | None,
    *,
    walk: bool,
) -> dict[str, Any]:
    dialect = raw.dialect
    project_key = rows[0][_KEY]
    columns = queries.sort_columns(sort)
    values = None
    if cursor is not None:
        values = keyset.parse_values(
            columns, decode_cursor(cursor, scope=f"tasks:{sort.value}", size=len(columns))
        )
    if walk:
        statuses = [StatusRow(UUID(r[_STATUS]), *r[_STATUS + 1 :]) for r in rows if r[_STATUS]]
        groups = queries.status_groups(statuses, filters)
        found = queries.position_page(project_id, filters, groups, values, limit + 1, dialect)
        # Unfiltered, each column is an index walk of at most a page; a filter checked row
        # by row may read a whole column.
        slow = queries.checks_rows(filters)
        page = [] if found is None else await raw.fetch(*found, slow=slow)
    else:
        sql = queries.sorted_page(project_id, filters, sort, values, limit + 1, dialect)
        page = await raw.fetch(sql, {}, slow=True)  # a sort of the matching tasks
    build = task_json(dialect, links_at=_STATUS_POSITION + 1)
    items = [build(row, project_key) for row in page[:limit]]
    next_cursor = None
    if len(page) > limit:
        last = queries.sort_values(sort, items[-1], page[limit - 1][_STATUS_POSITION])
        next_cursor = encode_cursor(last, scope=f"tasks:{sort.value}")
    return {"items": items, "next_cursor": next_cursor}


# --- how many tasks each status column holds ---------------------------------------------------


def _build_counts_statement(f: TaskFilters) -> Select[Any]:
    """Access, then one row per status of the project in board order: its id and how many
    of the project's live tasks in it match `f`. The count is a subquery of the status row,
    so it runs only for a caller who may read the project, one index range per column."""
    count = select(func.count()).select_from(Task).where(Task.status_id == Status.id)
    if f.status_ids:
        count = count.where(Status.id.in_(f.status_ids))
    if f.status_categories:
        count = count.where(Status.category.in_([c.value for c in f.status_categories]))
    rest = replace(f, status_ids=[], status_categories=[])
    # The statuses are the project's, so the project condition is left out (see
    # `queries.apply_filters`).
    count = queries.apply_filters(count, bindparam("project_id"), rest, in_project=False)
    return (
        project_read_statement([Status.id, count.scalar_subquery().label("count")])
        .outerjoin(Status, Status.project_id == Project.id)
        .order_by(Status.position, Status.id)
    )


@cache
def _counts_statement(dialect: Dialect) -> RawSQL:
    """Unfiltered counts, built once."""
    return compile_raw(_build_counts_statement(TaskFilters()), dialect)


async def count_tasks(
    raw: RawConnection, principal: Principal, *, project_id: UUID, filters: TaskFilters
) -> dict[str, Any]:
    """`TaskCounts` JSON: the tasks (not the trashed ones) matching `filters` per status of
    the project, in board order, and their total."""
    dialect = raw.dialect
    if filters == TaskFilters():
        sql = _counts_statement(dialect)
    else:
        # Filter values are part of the text (lists expand into one parameter each).
        sql = compile_raw(_build_counts_statement(filters), dialect)
    # Counting reads every matching task of the project.
    rows = await raw.fetch(sql, project_lookup(principal, project_id), slow=True)
    if not rows:
        raise NotFound("No such project.")
    read_role(rows[0], Action.PROJECT_READ, missing="No such project.")
    by_status = [{"status_id": row[2], "count": row[3]} for row in rows if row[2] is not None]
    return {"total": sum(c["count"] for c in by_status), "by_status": by_status}


# --- a task's history --------------------------------------------------------------------------

_SEQ = keyset.SortColumn(Event.seq, False, keyset.as_int)


@cache
def _history_task_statement(by_key: bool, scope: WorkspaceScope | None, dialect: Dialect) -> RawSQL:
    """Access and the task's id; a trashed task keeps its history."""
    stmt = task_read_statement([Task.id], by_key=by_key, scope=scope, include_deleted=True)
    return compile_raw(stmt, dialect)


@cache
def _history_page_statement(after: bool, dialect: Dialect) -> RawSQL:
    """Rows: seq, type, actor_id, created_at, data (JSON text), oldest first."""
    stmt = select(Event.seq, Event.type, Event.actor_id, Event.created_at, Event.data).where(
        Event.task_id == bindparam("task_id")
    )
    if after:
        stmt = stmt.where(Event.seq > bindparam("after_seq", type_=Event.seq.type))
    limit = bindparam("limit", type_=Integer)
    return compile_raw(stmt.order_by(Event.seq).limit(limit), dialect)


async def list_activity(
    raw: RawConnection,
    request: Request,
    principal: Principal,
    *,
    ref: str,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """A page of a visible task's history (trashed or not) as `Page[ActivityItem]` JSON,
    oldest first, including its comments' events."""
    row = await read_task_row(
        raw, request, principal, ref, _history_task_statement, include_deleted=True
    )
    params: dict[str, Any] = {"task_id": UUID(row[2]), "limit": limit + 1}
    if cursor is not None:
        (after,) = decode_cursor(cursor, scope="activity", size=1)
        params["after_seq"] = keyset.parse_values([_SEQ], [after])[0]
    page = await raw.fetch(_history_page_statement(cursor is not None, raw.dialect), params)
    events = [(row, orjson.loads(row[4])) for row in page[:limit]]
    refs = {r for _, data in events for r in _task_refs(data)}
    shown = await _visible_tasks(raw, principal, refs) if refs else set()
    items = [
        {
            "seq": row[0],
            "type": row[1],
            "actor_id": row[2],
            "created_at": row[3],
            "changes": _hide_tasks(data.get("changes", {}), shown),
        }
        for row, data in events
    ]
    next_cursor = None
    if len(page) > limit:
        next_cursor = encode_cursor([items[-1]["seq"]], scope="activity")
    return {"items": items, "next_cursor": next_cursor}


# Where an activity entry's changes name another task: a relation's other end, a parent.
_TASK_FIELDS = ("parent_id",)


def _task_refs(data: dict[str, Any]) -> set[str]:
    refs: set[str] = set()
    for name, change in (data.get("changes") or {}).items():
        for side in ("from", "to"):
            value = change.get(side) if isinstance(change, dict) else None
            if name == "relation" and isinstance(value, dict) and value.get("task_id"):
                refs.add(str(value["task_id"]))
            elif name in _TASK_FIELDS and value:
                refs.add(str(value))
    return refs


async def _visible_tasks(raw: RawConnection, principal: Principal, refs: set[str]) -> set[str]:
    """Of these task ids, those in projects the caller can see (trashed or not). A statement
    of its own, compiled for these ids: only pages that name other tasks need it."""
    ids = sorted(uid for uid in (_activity_uuid(r) for r in refs) if uid is not None)
    if not ids:
        return set()
    stmt = select(Task.id).where(
        Task.id.in_(ids), Task.project_id.in_(visible_project_ids(principal.user_id))
    )
    return {row[0] for row in await raw.fetch(compile_raw(stmt, raw.dialect), {})}


def _activity_uuid(ref: str) -> UUID | None:
    try:
        return UUID(ref)
    except ValueError:
        return None


def _hide_tasks(changes: dict[str, Any], shown: set[str]) -> dict[str, Any]:
    """The changes, with the ids of tasks the reader cannot see replaced by null: the entry
    stays (something was related or re-parented), the hidden task is not named."""
    out: dict[str, Any] = {}
    for name, change in changes.items():
        if not (isinstance(change, dict) and (name == "relation" or name in _TASK_FIELDS)):
            out[name] = change
            continue
        kept = dict(change)
        for side in ("from", "to"):
            value = kept.get(side)
            if name == "relation" and isinstance(value, dict) and value.get("task_id"):
                if str(value["task_id"]) not in shown:
                    kept[side] = {**value, "task_id": None}
            elif name in _TASK_FIELDS and value and str(value) not in shown:
                kept[side] = None
        out[name] = kept
    return out
