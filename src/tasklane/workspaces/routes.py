from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Path, status

from tasklane.api import Idempotent, new_router, problem_doc
from tasklane.audit.address import ClientAddress
from tasklane.auth.principal import CurrentPrincipal
from tasklane.db import DbSession
from tasklane.kit.pagination import Page, PageParams, page_params
from tasklane.runtime import CurrentRuntime
from tasklane.workspaces import invitations, service
from tasklane.workspaces.schemas import (
    InvitationCreate,
    InvitationCreated,
    InvitationPreview,
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
InvitationToken = Annotated[
    str, Path(max_length=128, description="The token of the invitation link `/invite/<token>`.")
]


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
    workspace_id: UUID,
    data: WorkspaceUpdate,
    session: DbSession,
    principal: CurrentPrincipal,
    address: ClientAddress,
    rt: CurrentRuntime,
) -> WorkspaceRead:
    """Rename a workspace, change its slug, or require two-factor sign-in or single sign-on of
    its members (admins and owners). Changes are recorded in the audit log."""
    return await service.update_workspace(
        session,
        principal,
        workspace_id=workspace_id,
        data=data,
        sso_configured=rt.settings.oidc_enabled,
        signed_in=rt.signed_in,
        address=address,
    )


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
    workspace_id: UUID,
    data: MemberAdd,
    session: DbSession,
    principal: CurrentPrincipal,
    address: ClientAddress,
) -> InvitationRead:
    """Invite someone by e-mail with a role (admins; only owners invite owners). Nobody joins
    without accepting: this makes a pending invitation, which the person accepts signed in
    with that address (`POST /invitations/{id}/accept`); until then they see nothing of the
    workspace. It expires in 7 days. No e-mail is sent yet, and this answer has no link:
    `POST /workspaces/{id}/invitations` makes the same invitation with a link to share."""
    return await invitations.add_member(
        session, principal, workspace_id=workspace_id, data=data, address=address
    )


@router.post(
    "/{workspace_id}/invitations",
    status_code=status.HTTP_201_CREATED,
    responses={
        403: problem_doc("Not an admin, or a role above your own (only owners invite owners)."),
        409: problem_doc(
            "`already_member`, or `too_many_invitations` (200 pending: cancel some first)."
        ),
    },
)
async def create_invitation(
    workspace_id: UUID,
    data: InvitationCreate,
    session: DbSession,
    principal: CurrentPrincipal,
    address: ClientAddress,
) -> InvitationCreated:
    """Invite someone by e-mail with a role (admins; nobody invites with a role above their
    own, so only owners invite owners), and get the invitation's link: `link` is a path
    (`/invite/<token>`) to open on this Tasklane's address, shown in this answer only. Whoever
    opens it sees the workspace's name, who invited whom and with what role; the invited
    person accepts it signed in with the invited address, or signs up with it first. The
    link works once and for 7 days. Inviting a pending address again makes a new link (the
    old one stops working) and starts the 7 days again. A workspace has at most 200 pending
    invitations (409 `too_many_invitations`); expired ones are deleted. No e-mail is sent
    yet: share the link."""
    return await invitations.create_invitation(
        session, principal, workspace_id=workspace_id, data=data, address=address
    )


@router.get("/{workspace_id}/invitations")
async def list_invitations(
    workspace_id: UUID, session: DbSession, principal: CurrentPrincipal
) -> list[InvitationRead]:
    """The workspace's pending invitations (admins), oldest first: at most 200, as no more
    can be pending. Expired ones are not listed; their links are never shown again."""
    return await invitations.list_invitations(session, principal, workspace_id=workspace_id)


@router.delete(
    "/{workspace_id}/invitations/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT
)
async def cancel_invitation(
    workspace_id: UUID,
    invitation_id: UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    address: ClientAddress,
) -> None:
    """Cancel a pending invitation (admins)."""
    await invitations.cancel_invitation(
        session,
        principal,
        workspace_id=workspace_id,
        invitation_id=invitation_id,
        address=address,
    )


@router.patch("/{workspace_id}/members/{user_id}")
async def update_member(
    workspace_id: UUID,
    user_id: UUID,
    data: MemberUpdate,
    session: DbSession,
    principal: CurrentPrincipal,
    address: ClientAddress,
) -> MemberRead:
    """Change a member's role. Only owners grant or take away ownership; the last owner stays."""
    return await service.update_member(
        session, principal, workspace_id=workspace_id, user_id=user_id, data=data, address=address
    )


@router.delete("/{workspace_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_member(
    workspace_id: UUID,
    user_id: UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    address: ClientAddress,
) -> None:
    """Remove a member (admins), or leave (anyone, with their own id). Their project roles go
    with them; their tasks and comments stay."""
    await service.remove_member(
        session, principal, workspace_id=workspace_id, user_id=user_id, address=address
    )


@invitations_router.get("/users/me/invitations")
async def list_my_invitations(
    session: DbSession, principal: CurrentPrincipal
) -> list[InvitationRead]:
    """Pending invitations for the signed-in user's e-mail address, oldest first. At most 100
    are listed; expired ones are not."""
    return await invitations.list_my_invitations(session, principal)


@invitations_router.get(
    "/invitations/by-token/{token}",
    responses={404: problem_doc("Unknown, used, replaced or expired link.")},
)
async def preview_invitation(token: InvitationToken, session: DbSession) -> InvitationPreview:
    """What an invitation link invites to: the workspace's name, who invited which address,
    the role and the expiry. No sign-in needed: the link's token is the secret. 404 once the
    invitation is accepted, declined, cancelled, sent again (a new link) or expired."""
    return await invitations.preview_invitation(session, token=token)


@invitations_router.post(
    "/invitations/by-token/{token}/accept",
    responses={
        403: problem_doc("`invitation_email_mismatch`: you are signed in with another address."),
        404: problem_doc("Unknown, used, replaced or expired link."),
    },
)
async def accept_invitation_by_token(
    token: InvitationToken, session: DbSession, principal: CurrentPrincipal, address: ClientAddress
) -> WorkspaceRead:
    """Accept an invitation through its link and join the workspace with the invited role;
    answers the workspace. Only the account with the invited address can (sign up with it
    first if need be); the link then stops working. Not open to API tokens."""
    return await invitations.accept_invitation_by_token(
        session, principal, token=token, address=address
    )


@invitations_router.post("/invitations/{invitation_id}/accept")
async def accept_invitation(
    invitation_id: UUID, session: DbSession, principal: CurrentPrincipal, address: ClientAddress
) -> MemberRead:
    """Join the workspace with the invited role. Only the account with the invited address
    can (to anyone else the invitation is 404)."""
    return await invitations.accept_invitation(
        session, principal, invitation_id=invitation_id, address=address
    )


@invitations_router.post(
    "/invitations/{invitation_id}/decline", status_code=status.HTTP_204_NO_CONTENT
)
async def decline_invitation(
    invitation_id: UUID, session: DbSession, principal: CurrentPrincipal
) -> None:
    """Decline an invitation; it goes away."""
    await invitations.decline_invitation(session, principal, invitation_id=invitation_id)
