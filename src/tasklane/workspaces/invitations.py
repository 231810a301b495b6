"""Pending invitations to workspaces: the invitee accepts or declines; admins list and cancel.

An invitation grants nothing until accepted: it lives in its own table, which no
authorisation read looks at, so a pending invitee sees nothing of the workspace.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from tasklane.auth.principal import Principal
from tasklane.authz.access import access_workspace
from tasklane.authz.roles import Action
from tasklane.errors import NotFound
from tasklane.events import service as events
from tasklane.events.types import EventType
from tasklane.models import User, Workspace, WorkspaceInvitation, WorkspaceMember
from tasklane.workspaces.schemas import InvitationRead, MemberRead
from tasklane.workspaces.service import _lock_members, _member_read, invitation_read

_Inviter = aliased(User)


def _with_names() -> Select[WorkspaceInvitation, Workspace, User]:
    return (
        select(WorkspaceInvitation, Workspace, _Inviter)
        .join(Workspace, Workspace.id == WorkspaceInvitation.workspace_id)
        .outerjoin(_Inviter, _Inviter.id == WorkspaceInvitation.invited_by)
    )


async def _my_email(session: AsyncSession, principal: Principal) -> str:
    return (await session.get_one(User, principal.user_id)).email


async def list_my_invitations(session: AsyncSession, principal: Principal) -> list[InvitationRead]:
    email = await _my_email(session, principal)
    rows = (
        await session.execute(
            _with_names()
            .where(WorkspaceInvitation.email == email)
            .order_by(WorkspaceInvitation.created_at, WorkspaceInvitation.id)
        )
    ).all()
    return [invitation_read(i, w, u) for i, w, u in rows]


async def _my_invitation(
    session: AsyncSession, principal: Principal, invitation_id: UUID
) -> tuple[WorkspaceInvitation, Workspace, User | None]:
    """Only the account with the invited address sees an invitation; to anyone else it is
    404, like anything they cannot see."""
    email = await _my_email(session, principal)
    row = (
        await session.execute(
            _with_names().where(
                WorkspaceInvitation.id == invitation_id, WorkspaceInvitation.email == email
            )
        )
    ).one_or_none()
    if row is None:
        raise NotFound("No such invitation.")
    return row[0], row[1], row[2]


async def accept_invitation(
    session: AsyncSession, principal: Principal, *, invitation_id: UUID
) -> MemberRead:
    """Join with the invited role. Already a member (added some other way): the invitation
    just goes, the membership stays as it is."""
    invitation, workspace, inviter = await _my_invitation(session, principal, invitation_id)
    await _lock_members(session, workspace.id)
    user = await session.get_one(User, principal.user_id)
    member = await session.get(WorkspaceMember, (workspace.id, user.id))
    if member is None:
        member = WorkspaceMember(workspace_id=workspace.id, user_id=user.id, role=invitation.role)
        session.add(member)
        events.record(
            session,
            EventType.MEMBER_ADDED,
            actor_id=principal.user_id,
            workspace_id=workspace.id,
            entity_id=user.id,
            changes=events.created({"user_id": user.id, "role": invitation.role}),
            invited_by=inviter.id if inviter else None,
        )
    await session.delete(invitation)
    await session.flush()
    return _member_read(member, user)


async def decline_invitation(
    session: AsyncSession, principal: Principal, *, invitation_id: UUID
) -> None:
    invitation, _, _ = await _my_invitation(session, principal, invitation_id)
    await session.delete(invitation)


async def list_invitations(
    session: AsyncSession, principal: Principal, *, workspace_id: UUID
) -> list[InvitationRead]:
    """A workspace's pending invitations, for its admins."""
    await access_workspace(session, principal, workspace_id, Action.MEMBERS_MANAGE)
    rows = (
        await session.execute(
            _with_names()
            .where(WorkspaceInvitation.workspace_id == workspace_id)
            .order_by(WorkspaceInvitation.created_at, WorkspaceInvitation.id)
        )
    ).all()
    return [invitation_read(i, w, u) for i, w, u in rows]


async def cancel_invitation(
    session: AsyncSession, principal: Principal, *, workspace_id: UUID, invitation_id: UUID
) -> None:
    await access_workspace(session, principal, workspace_id, Action.MEMBERS_MANAGE)
    invitation = await session.scalar(
        select(WorkspaceInvitation).where(
            WorkspaceInvitation.id == invitation_id,
            WorkspaceInvitation.workspace_id == workspace_id,
        )
    )
    if invitation is None:
        raise NotFound("No such invitation.")
    await session.delete(invitation)
