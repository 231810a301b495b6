"""The tasks of every project of a workspace that the caller can see, in one list: filtered
by the query language (`assignee:me is:open label:bug login`), sorted and paged like a
project's list. "My tasks" is this list with `assignee:me`.

A hot read (docs/architecture.md, "Hot reads"): the caller's workspace role, then one
statement that starts from the projects the caller can see, so a query can only narrow them."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any
from uuid import UUID

from fastapi import Query, Response
from sqlalchemy import Select, select

from tasklane.api import json_response, new_router
from tasklane.auth.principal import BEARER_DOC, HotReadDep, Principal
from tasklane.authz.access import (
    read_workspace_role,
    workspace_lookup,
    workspace_projects_read_statement,
    workspace_read_statement,
)
from tasklane.authz.roles import Action
from tasklane.errors import NotFound
from tasklane.kit import keyset
from tasklane.kit.clock import utcnow
from tasklane.kit.pagination import Page, decode_cursor, encode_cursor
from tasklane.kit.rawsql import Dialect, RawConnection, RawSQL, compile_raw
from tasklane.models import Project, Status, Task
from tasklane.query.compile import Context, task_conditions, text_terms
from tasklane.query.language import MAX_QUERY_LENGTH, parse_query
from tasklane.search.queries import text_condition
from tasklane.tasks import queries
from tasklane.tasks.queries import TASK_COLUMNS
from tasklane.tasks.reads import task_json
from tasklane.tasks.schemas import TaskRead, TaskSort

router = new_router(tags=["tasks"])

MAX_LIMIT = 100
DEFAULT_LIMIT = 50
_POSITION = 1 + len(TASK_COLUMNS)
"""Where a row has the status position (after the project's key and TASK_COLUMNS)."""


@cache
def workspace_statement(dialect: Dialect) -> RawSQL:
    return compile_raw(workspace_read_statement([]), dialect)


def _page_statement(
    principal: Principal,
    q: str | None,
    sort: TaskSort,
    after: list[Any] | None,
    size: int,
    dialect: Dialect,
    project_id: UUID | None,
) -> Select[Any]:
    visible = workspace_projects_read_statement([Project.id, Project.key]).subquery("visible")
    columns = queries.sort_columns(sort)
    stmt = (
        select(
            visible.c.key, *TASK_COLUMNS, Status.position, *queries.link_columns(Task.id, dialect)
        )
        .select_from(Task)
        .join(visible, visible.c.id == Task.project_id)
        .join(Status, Status.id == Task.status_id)
        .where(Task.deleted_at.is_(None))
    )
    if project_id is not None:
        stmt = stmt.where(Task.project_id == project_id)
    if q:
        query = parse_query(q)
        stmt = stmt.where(*task_conditions(query, Context(principal.user_id, utcnow().date())))
        terms = text_terms(query)
        if terms is not None:
            stmt = stmt.where(text_condition(terms))
    if after is not None:
        stmt = stmt.where(keyset.after(columns, after))
    return stmt.order_by(*keyset.order_by(columns)).limit(size)


async def list_workspace_tasks(
    raw: RawConnection,
    principal: Principal,
    *,
    workspace_id: UUID,
    q: str | None,
    sort: TaskSort,
    limit: int,
    cursor: str | None,
    project_id: UUID | None = None,
) -> dict[str, Any]:
    """`Page[TaskRead]` JSON of the live tasks of the workspace's projects the caller can see
    (of project `project_id` only, if given) that `q` selects, in `sort` order."""
    params = workspace_lookup(principal, workspace_id)
    rows = await raw.fetch(workspace_statement(raw.dialect), params)
    if not rows:
        raise NotFound("No such workspace.")
    read_workspace_role(rows[0], Action.WORKSPACE_READ)
    scope = f"workspace-tasks:{sort.value}"
    columns = queries.sort_columns(sort)
    after = None
    if cursor is not None:
        after = keyset.parse_values(columns, decode_cursor(cursor, scope=scope, size=len(columns)))
    stmt = _page_statement(principal, q, sort, after, limit + 1, raw.dialect, project_id)
    sql = compile_raw(stmt, raw.dialect)
    page = await raw.fetch(sql, params, slow=True)  # a sort of the matching tasks
    build = task_json(raw.dialect, links_at=len(TASK_COLUMNS) + 1)  # after the position
    items = [build(row[1:], row[0]) for row in page[:limit]]
    next_cursor = None
    if len(page) > limit:
        last = queries.sort_values(sort, items[-1], page[limit - 1][_POSITION])
        next_cursor = encode_cursor(last, scope=scope)
    return {"items": items, "next_cursor": next_cursor}


@router.get(
    "/workspaces/{workspace_id}/tasks", response_model=Page[TaskRead], openapi_extra=BEARER_DOC
)
async def workspace_tasks(
    workspace_id: UUID,
    read: HotReadDep,
    q: Annotated[
        str | None,
        Query(
            max_length=MAX_QUERY_LENGTH,
            description='A query (README, "Query language"): `assignee:me is:open`, '
            "`label:bug status:started project:ENG`, `due<2026-12-15`, words matched in titles, "
            "descriptions and comments. Empty or absent: every task.",
            examples=["assignee:me is:open"],
        ),
    ] = None,
    sort: TaskSort = TaskSort.UPDATED_DESC,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The tasks of every project of the workspace that you can see (guests: their projects),
    selected by `q`, in `sort` order (by default the most recently updated first), at most
    `limit` per page. Tasks in the trash are left out. A query that does not parse is a 422
    whose message says what and at which character."""
    found = await list_workspace_tasks(
        read.raw,
        read.principal,
        workspace_id=workspace_id,
        q=(q or "").strip() or None,
        sort=sort,
        limit=limit,
        cursor=cursor,
    )
    return json_response(found)
