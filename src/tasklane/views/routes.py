from __future__ import annotations

from functools import cache
from typing import Annotated
from uuid import UUID

from fastapi import Path, Query, Response, status
from sqlalchemy import bindparam, select

from tasklane.api import json_response, new_router
from tasklane.auth.principal import BEARER_DOC, CurrentPrincipal, HotReadDep
from tasklane.db import DbSession
from tasklane.errors import NotFound
from tasklane.kit.pagination import Page
from tasklane.kit.rawsql import Dialect, RawSQL, compile_raw
from tasklane.models import SavedView
from tasklane.tasks.schemas import TaskRead, TaskSort
from tasklane.tasks.search import DEFAULT_LIMIT, MAX_LIMIT, list_workspace_tasks
from tasklane.views import service
from tasklane.views.schemas import ViewCreate, ViewRead, ViewUpdate

router = new_router(tags=["views"])
WorkspaceId = Annotated[UUID, Path()]
ViewId = Annotated[UUID, Path()]


@router.post("/workspaces/{workspace_id}/views", status_code=status.HTTP_201_CREATED)
async def create_view(
    session: DbSession, principal: CurrentPrincipal, workspace_id: WorkspaceId, body: ViewCreate
) -> ViewRead:
    """Save a query as a view, yours alone or `shared` with everyone in the workspace (not
    for guests). The query must parse (422 saying what and where). You keep at most 100 views
    in a workspace (409 beyond)."""
    return await service.create_view(session, principal, workspace_id=workspace_id, data=body)


@router.get("/workspaces/{workspace_id}/views")
async def list_views(
    session: DbSession, principal: CurrentPrincipal, workspace_id: WorkspaceId
) -> list[ViewRead]:
    """Your views and the workspace's shared ones, by name. At most 200 are listed."""
    return await service.list_views(session, principal, workspace_id=workspace_id)


@router.get("/views/{view_id}")
async def get_view(session: DbSession, principal: CurrentPrincipal, view_id: ViewId) -> ViewRead:
    """One view: yours, or a shared one of a workspace you are in."""
    return await service.get_view(session, principal, view_id=view_id)


@router.patch("/views/{view_id}")
async def update_view(
    session: DbSession, principal: CurrentPrincipal, view_id: ViewId, body: ViewUpdate
) -> ViewRead:
    """Change a view: its owner, or for a shared one a workspace owner or admin."""
    return await service.update_view(session, principal, view_id=view_id, data=body)


@router.delete("/views/{view_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_view(session: DbSession, principal: CurrentPrincipal, view_id: ViewId) -> None:
    """Delete a view: its owner, or for a shared one a workspace owner or admin."""
    await service.delete_view(session, principal, view_id=view_id)


@cache
def _view_statement(dialect: Dialect) -> RawSQL:
    stmt = select(
        SavedView.workspace_id,
        SavedView.owner_id,
        SavedView.shared,
        SavedView.query,
        SavedView.sort,
        SavedView.project_id,
    ).where(SavedView.id == bindparam("view_id"))
    return compile_raw(stmt, dialect)


@router.get("/views/{view_id}/tasks", response_model=Page[TaskRead], openapi_extra=BEARER_DOC)
async def view_tasks(
    view_id: ViewId,
    read: HotReadDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Run a view: the tasks its query selects among those you can see (in its project, if it
    has one), in its sort order, at most `limit` per page."""
    rows = await read.raw.fetch(_view_statement(read.raw.dialect), {"view_id": view_id})
    if not rows:
        raise NotFound("No such view.")
    workspace_id, owner_id, shared, q, sort, project_id = rows[0]
    if owner_id != str(read.principal.user_id) and not shared:
        raise NotFound("No such view.")
    try:
        found = await list_workspace_tasks(
            read.raw,
            read.principal,
            workspace_id=UUID(workspace_id),
            q=q or None,
            sort=TaskSort(sort),
            limit=limit,
            cursor=cursor,
            project_id=UUID(project_id) if project_id else None,
        )
    except NotFound:
        raise NotFound("No such view.") from None
    return json_response(found)
