from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, status

from tasklane.api import Idempotent, new_router, problem_doc
from tasklane.auth.principal import CurrentPrincipal
from tasklane.db import DbSession
from tasklane.kit.pagination import Page, PageParams, page_params
from tasklane.workspaces import invitations, service
from tasklane.workspaces.schemas import (
    InvitationRead,
    MemberAdd,
    MemberRead,
    MemberUpdate,
    WorkspaceCreate,
    WorkspaceRead,
    WorkspaceUpdate,
)

router = new_router(prefix="/workspaces", tags=["workspaces"])
invitations_router = new_router(tags=["workspaces"])
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
    response_model=InvitationRead,
    responses={409: problem_doc("`already_member`, or `already_invited` (pending already).")},
)
async def add_member(
    workspace_id: UUID, data: MemberAdd, session: DbSession, principal: CurrentPrincipal
) -> InvitationRead:
    """Invite someone by e-mail with a role (admins; only owners invite owners). Nobody joins
    without accepting: this makes a pending invitation, which the person accepts signed in
    with that address (`POST /invitations/{id}/accept`); until then they see nothing of the
    workspace. No e-mail is sent yet: share the sign-up link with someone new."""
    return await service.add_member(session, principal, workspace_id=workspace_id, data=data)


@router.get("/{workspace_id}/invitations")
async def list_invitations(
    workspace_id: UUID, session: DbSession, principal: CurrentPrincipal
) -> list[InvitationRead]:
    """The workspace's pending invitations (admins)."""
    return await invitations.list_invitations(session, principal, workspace_id=workspace_id)


@router.delete(
    "/{workspace_id}/invitations/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT
)
async def cancel_invitation(
    workspace_id: UUID, invitation_id: UUID, session: DbSession, principal: CurrentPrincipal
) -> None:
    """Cancel a pending invitation (admins)."""
    await invitations.cancel_invitation(
        session, principal, workspace_id=workspace_id, invitation_id=invitation_id
    )


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


@invitations_router.get("/users/me/invitations")
async def list_my_invitations(
    session: DbSession, principal: CurrentPrincipal
) -> list[InvitationRead]:
    """Pending invitations for the signed-in user's e-mail address, oldest first."""
    return await invitations.list_my_invitations(session, principal)


@invitations_router.post("/invitations/{invitation_id}/accept")
async def accept_invitation(
    invitation_id: UUID, session: DbSession, principal: CurrentPrincipal
) -> MemberRead:
    """Join the workspace with the invited role. Only the account with the invited address
    can (to anyone else the invitation is 404)."""
    return await invitations.accept_invitation(session, principal, invitation_id=invitation_id)


@invitations_router.post(
    "/invitations/{invitation_id}/decline", status_code=status.HTTP_204_NO_CONTENT
)
async def decline_invitation(
    invitation_id: UUID, session: DbSession, principal: CurrentPrincipal
) -> None:
    """Decline an invitation; it goes away."""
    await invitations.decline_invitation(session, principal, invitation_id=invitation_id)
