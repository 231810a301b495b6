from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, status

from tasklane.api import Idempotent, new_router
from tasklane.auth.principal import CurrentPrincipal
from tasklane.db import DbSession
from tasklane.kit.pagination import Page, PageParams, page_params
from tasklane.workspaces import service
from tasklane.workspaces.schemas import (
    MemberAdd,
    MemberRead,
    MemberUpdate,
    WorkspaceCreate,
    WorkspaceRead,
    WorkspaceUpdate,
)

router = new_router(prefix="/workspaces", tags=["workspaces"])
Paging = Annotated[PageParams, Depends(page_params)]


@router.post(
    "", status_code=status.HTTP_201_CREATED, dependencies=[Idempotent], response_model=WorkspaceRead
)
async def create_workspace(
    data: WorkspaceCreate, session: DbSession, principal: CurrentPrincipal
) -> WorkspaceRead:
    """Create a workspace. The caller becomes its owner."""
    return await service.create_workspace(session, principal, data=data)


@router.get("")
async def list_workspaces(
    session: DbSession, principal: CurrentPrincipal, page: Paging
) -> Page[WorkspaceRead]:
    """The workspaces the caller belongs to, with the caller's role in each."""
    return await service.list_workspaces(session, principal, limit=page.limit, cursor=page.cursor)


@router.get("/{workspace_id}")
async def get_workspace(
    workspace_id: UUID, session: DbSession, principal: CurrentPrincipal
) -> WorkspaceRead:
    """One workspace the caller belongs to."""
    return await service.get_workspace(session, principal, workspace_id=workspace_id)


@router.patch("/{workspace_id}")
async def update_workspace(
    workspace_id: UUID, data: WorkspaceUpdate, session: DbSession, principal: CurrentPrincipal
) -> WorkspaceRead:
    """Rename a workspace or change its slug (admins and owners)."""
    return await service.update_workspace(session, principal, workspace_id=workspace_id, data=data)


@router.delete("/{workspace_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_workspace(
    workspace_id: UUID, session: DbSession, principal: CurrentPrincipal
) -> None:
    """Delete a workspace with all its projects, tasks and comments (owners only)."""
    await service.delete_workspace(session, principal, workspace_id=workspace_id)


@router.get("/{workspace_id}/members")
async def list_members(
    workspace_id: UUID, session: DbSession, principal: CurrentPrincipal, page: Paging
) -> Page[MemberRead]:
    """Members and their roles (not visible to guests)."""
    return await service.list_members(
        session, principal, workspace_id=workspace_id, limit=page.limit, cursor=page.cursor
    )


@router.post(
    "/{workspace_id}/members",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    response_model=MemberRead,
)
async def add_member(
    workspace_id: UUID, data: MemberAdd, session: DbSession, principal: CurrentPrincipal
) -> MemberRead:
    """Add a registered user by e-mail with a role. Only owners can add owners."""
    return await service.add_member(session, principal, workspace_id=workspace_id, data=data)


@router.patch("/{workspace_id}/members/{user_id}")
async def update_member(
    workspace_id: UUID,
    user_id: UUID,
    data: MemberUpdate,
    session: DbSession,
    principal: CurrentPrincipal,
) -> MemberRead:
    """Change a member's role. Only owners grant or take away ownership; the last owner stays."""
    return await service.update_member(
        session, principal, workspace_id=workspace_id, user_id=user_id, data=data
    )


@router.delete("/{workspace_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_member(
    workspace_id: UUID, user_id: UUID, session: DbSession, principal: CurrentPrincipal
) -> None:
    """Remove a member (admins), or leave (anyone, with their own id). Their project roles go
    with them; their tasks and comments stay."""
    await service.remove_member(session, principal, workspace_id=workspace_id, user_id=user_id)
