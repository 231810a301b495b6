"""The hot task reads (one task, a page of a project's tasks) on raw rows, encoded once.

The pattern every hot read follows (docs/architecture.md, "Hot reads"): the caller's session
check, then one statement that authorises and reads (access columns first, see
`authz.access.*_read_statement`), then at most one more for the rows, with their links folded
in; rows become JSON values in `kit.rawsql` and the body is encoded once with orjson. The
response models (`TaskRead`, `Page[TaskRead]`) still describe the routes, and a test checks
that the bytes are what those models would write.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any
from uuid import UUID

from fastapi import Request

from tasklane.auth.principal import Principal
from tasklane.authz.access import (
    StatusRow,
    WorkspaceScope,
    ambiguous_key,
    project_lookup,
    project_read_statement,
    read_role,
    task_lookup,
    task_read_statement,
)
from tasklane.authz.roles import Action
from tasklane.errors import NotFound
from tasklane.kit import keyset
from tasklane.kit.pagination import decode_cursor, encode_cursor
from tasklane.kit.rawsql import Dialect, RawConnection, RawSQL, compile_raw
from tasklane.models import Project, Status, Task
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


def _task_json(
    project_key: str, dialect: Dialect, *, links_at: int
) -> Callable[[Sequence[Any]], dict[str, Any]]:
    """Row → the JSON object of `TaskRead`, field for field in its order. A row is
    TASK_COLUMNS (as JSON values), and at `links_at` assignees and labels."""
    c = _COLUMN
    assignees, labels = links_at, links_at + 1

    def build(row: Sequence[Any]) -> dict[str, Any]:
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
    lookup = task_lookup(principal, ref)
    if lookup is None:
        raise NotFound("No such task.")
    sql = _get_statement(lookup.by_key, lookup.scope, raw.dialect)
    rows = await raw.fetch(sql, lookup.params)
    if len(rows) > 1:
        async with request.app.state.runtime.db.transaction(write=False) as session:
            raise await ambiguous_key(session, principal, ref, lookup.params)
    if not rows:
        raise NotFound("No such task.")
    row = rows[0]
    read_role(row, Action.PROJECT_READ, missing="No such task.")
    task = _task_json(row[2], raw.dialect, links_at=_N)(row[3:])
    return task, int(task["version"])


# --- a page of a project's tasks ---------------------------------------------------------------


@cache
def _project_statement(with_statuses: bool, dialect: Dialect) -> RawSQL:
    """Access and the project's key; with its statuses in board order (one row each) when
    the page walks the board's columns."""
    if not with_statuses:
        return compile_raw(project_read_statement([Project.key]), dialect)
    stmt = (
        project_read_statement([Project.key, Status.id, Status.position, Status.category])
        .outerjoin(Status, Status.project_id == Project.id)
        .order_by(Status.position, Status.id)
    )
    return compile_raw(stmt, dialect)


async def list_tasks(
    raw: RawConnection,
    principal: Principal,
    *,
    project_id: UUID,
    filters: TaskFilters,
    sort: TaskSort,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """A page of a project's tasks as `Page[TaskRead]` JSON: see `queries.position_page`
    and `queries.sorted_page` for how each order is read."""
    walk = queries.walks_columns(sort, filters)
    dialect = raw.dialect
    rows = await raw.fetch(_project_statement(walk, dialect), project_lookup(principal, project_id))
    if not rows:
        raise NotFound("No such project.")
    read_role(rows[0], Action.PROJECT_READ, missing="No such project.")
    project_key = rows[0][2]
    columns = queries.sort_columns(sort)
    values = None
    if cursor is not None:
        values = keyset.parse_values(
            columns, decode_cursor(cursor, scope=f"tasks:{sort.value}", size=len(columns))
        )
    if walk:
        statuses = [StatusRow(UUID(r[3]), r[4], r[5]) for r in rows if r[3] is not None]
        groups = queries.status_groups(statuses, filters)
        found = queries.position_page(project_id, filters, groups, values, limit + 1, dialect)
        # Unfiltered, each column is an index walk of at most a page; a text filter may
        # read a whole column.
        page = [] if found is None else await raw.fetch(*found, slow=bool(filters.text))
    else:
        sql = queries.sorted_page(project_id, filters, sort, values, limit + 1, dialect)
        page = await raw.fetch(sql, {}, slow=True)  # a sort of the matching tasks
    build = _task_json(project_key, dialect, links_at=_STATUS_POSITION + 1)
    items = [build(row) for row in page[:limit]]
    next_cursor = None
    if len(page) > limit:
        last = queries.sort_values(sort, items[-1], page[limit - 1][_STATUS_POSITION])
        next_cursor = encode_cursor(last, scope=f"tasks:{sort.value}")
    return {"items": items, "next_cursor": next_cursor}
