"""Finding a task anywhere in a workspace by key or title: what the command palette and the
task pickers ask while someone types. Not the full-text search (that one reads descriptions
and comments too); this is a short list, answered from the tasks table alone.

A hot read (docs/architecture.md, "Hot reads"): the session check, the caller's workspace
role, then one statement for the tasks with their links."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any
from uuid import UUID

from fastapi import Query, Response
from sqlalchemy import Integer, Select, bindparam, literal_column, select, union_all

from tasklane.api import json_response, new_router
from tasklane.auth.principal import BEARER_DOC, HotReadDep, Principal
from tasklane.authz.access import (
    read_workspace_role,
    workspace_lookup,
    workspace_projects_read_statement,
    workspace_read_statement,
)
from tasklane.authz.roles import Action
from tasklane.errors import NotFound, ValidationFailed
from tasklane.kit.pagination import Page
from tasklane.kit.rawsql import Dialect, RawConnection, RawSQL, compile_raw
from tasklane.kit.refs import HumanKey, parse_ref
from tasklane.models import Project, Task
from tasklane.tasks import queries
from tasklane.tasks.queries import TASK_COLUMNS
from tasklane.tasks.reads import task_json
from tasklane.tasks.schemas import TaskRead

router = new_router(tags=["tasks"])

MAX_QUERY_LENGTH = 200
MAX_RESULTS = 50
DEFAULT_RESULTS = 20
_ESCAPE = "/"
_ID = 1 + [c.name for c in TASK_COLUMNS].index("id")
"""Where a row of `_search_statement` has the task's id."""


@cache
def workspace_statement(dialect: Dialect) -> RawSQL:
    return compile_raw(workspace_read_statement([]), dialect)


def _matching(rank: int) -> Select[Any]:
    """Live tasks of the workspace's projects the caller can see, as the project's key,
    TASK_COLUMNS and `rank` (which branch found them)."""
    columns = [Project.key, *TASK_COLUMNS, literal_column(str(rank), Integer).label("rank")]
    return (
        workspace_projects_read_statement(columns)
        .join(Task, Task.project_id == Project.id)
        .where(Task.deleted_at.is_(None))
    )


@cache
def _search_statement(keyed: bool, dialect: Dialect) -> RawSQL:
    """Rows: the project's key, TASK_COLUMNS, the rank, assignees, labels. With `keyed`, the
    task with key `key`-`number` first (keys are unique within a workspace: one at most);
    then up to `limit` tasks whose title contains `pattern`, most recently updated first."""
    titled = (
        _matching(1)
        .where(Task.title.icontains(bindparam("pattern"), escape=_ESCAPE))
        .order_by(Task.updated_at.desc(), Task.id.desc())
        .limit(bindparam("limit", type_=Integer))
    )
    # Wrapped, so each branch keeps its own ORDER BY and LIMIT inside the UNION (SQLite).
    branches = [select(titled.subquery())]
    if keyed:
        key = _matching(0).where(
            Project.key == bindparam("key"), Task.number == bindparam("number")
        )
        branches.insert(0, select(key.subquery()))
    merged = union_all(*branches).subquery() if keyed else branches[0].subquery()
    columns = [merged.c.key, *(merged.c[c.name] for c in TASK_COLUMNS)]
    stmt = select(*columns, *queries.link_columns(merged.c.id, dialect)).order_by(
        merged.c.rank, merged.c.updated_at.desc(), merged.c.id.desc()
    )
    return compile_raw(stmt, dialect)


def _like_pattern(text: str) -> str:
    """`text` with LIKE's wildcards taken literally (as SQLAlchemy's `autoescape` does)."""
    escaped = text.replace(_ESCAPE, _ESCAPE + _ESCAPE)
    return escaped.replace("%", _ESCAPE + "%").replace("_", _ESCAPE + "_")


async def search_tasks(
    raw: RawConnection, principal: Principal, *, workspace_id: UUID, text: str, limit: int
) -> dict[str, Any]:
    """`Page[TaskRead]` JSON: the task whose key is `text` first (when it looks like one),
    then the tasks whose title contains it, most recently updated first. Trashed tasks are
    left out."""
    params = workspace_lookup(principal, workspace_id)
    rows = await raw.fetch(workspace_statement(raw.dialect), params)
    if not rows:
        raise NotFound("No such workspace.")
    read_workspace_role(rows[0], Action.WORKSPACE_READ)
    ref = parse_ref(text)
    keyed = isinstance(ref, HumanKey)
    params = {**params, "pattern": _like_pattern(text), "limit": limit}
    if isinstance(ref, HumanKey):
        params["key"], params["number"] = ref.prefix, ref.number
    # A substring of every visible title: a scan.
    found = await raw.fetch(_search_statement(keyed, raw.dialect), params, slow=True)
    build = task_json(raw.dialect, links_at=len(TASK_COLUMNS))
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for row in found:
        task_id = row[_ID]
        if task_id not in seen and len(items) < limit:
            seen.add(task_id)
            items.append(build(row[1:], row[0]))
    return {"items": items, "next_cursor": None}


@router.get(
    "/workspaces/{workspace_id}/tasks", response_model=Page[TaskRead], openapi_extra=BEARER_DOC
)
async def find_tasks(
    workspace_id: UUID,
    read: HotReadDep,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_QUERY_LENGTH,
            description="A task key (`ENG-42`) or words of a title, case-insensitive.",
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=MAX_RESULTS)] = DEFAULT_RESULTS,
) -> Response:
    """Tasks of every project of the workspace that you can see, by key or title: the task
    with key `q` first, then those whose title contains `q`, most recently updated first.
    Tasks in the trash are left out. One page only (at most `limit`); `next_cursor` is null."""
    text = q.strip()
    if not text:
        raise ValidationFailed.for_field("q", "Type something to search for.")
    found = await search_tasks(
        read.raw, read.principal, workspace_id=workspace_id, text=text, limit=limit
    )
    return json_response(found)
