"""Invitations to workspaces: admins invite by e-mail; the invitee accepts or declines.

An invitation grants nothing until accepted: it lives in its own table, which no
authorisation read looks at, so a pending invitee sees nothing of the workspace.

Each invitation carries a link (`/invite/<token>`) whose token is shown once, to the admin who
invites, and stored only as its SHA-256. The link lets the invited person land on a page that
says what they are invited to (without signing in) and accept once signed in with the invited
address. An invitation expires `LIFETIME` after it was last sent; an expired one is no longer
pending: it cannot be accepted, is not listed, and the next invitation to the workspace deletes
it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from uuid import UUID

from sqlalchemy import ColumnElement, Select, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from tasklane import audit
from tasklane.auth.principal import Principal
from tasklane.authz.access import access_workspace
from tasklane.authz.roles import Action, WorkspaceRole
from tasklane.errors import Conflict, NotFound, PermissionDenied
from tasklane.events import service as events
from tasklane.events.types import EventType
from tasklane.kit.clock import utcnow
from tasklane.models import User, Workspace, WorkspaceInvitation, WorkspaceMember
from tasklane.workspaces.schemas import (
    InvitationCreate,
    InvitationCreated,
    InvitationPreview,
    InvitationRead,
    MemberAdd,
    MemberRead,
    WorkspaceRead,
)
from tasklane.workspaces.service import (
    _check_role_change,
    _lock_members,
    _member_read,
    _read,
)

LIFETIME = timedelta(days=7)
MAX_PENDING = 200
"""Pending invitations per workspace: its admins' list is answered whole."""
MAX_MINE = 100
"""Invitations listed to one person, the oldest first (any workspace can invite an address)."""
LINK_PREFIX = "/invite/"

_Inviter = aliased(User)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _pending() -> ColumnElement[bool]:
    return WorkspaceInvitation.expires_at > utcnow()


def invitation_read(
    invitation: WorkspaceInvitation, workspace: Workspace, inviter: User | None
) -> InvitationRead:
    return InvitationRead(
        id=invitation.id,
        workspace_id=workspace.id,
        workspace_name=workspace.name,
        workspace_slug=workspace.slug,
        email=invitation.email,
        role=WorkspaceRole(invitation.role),
        invited_by=inviter.id if inviter else None,
        invited_by_name=inviter.name if inviter else None,
        created_at=invitation.created_at,
        expires_at=invitation.expires_at,
    )


def _with_names() -> Select[WorkspaceInvitation, Workspace, User]:
    """Pending invitations with their workspace and inviter."""
    return (
        select(WorkspaceInvitation, Workspace, _Inviter)
        .join(Workspace, Workspace.id == WorkspaceInvitation.workspace_id)
        .outerjoin(_Inviter, _Inviter.id == WorkspaceInvitation.invited_by)
        .where(_pending())
    )


# --- inviting --------------------------------------------------------------------------------


async def _invite(
    session: AsyncSession,
    principal: Principal,
    *,
    workspace_id: UUID,
    data: MemberAdd,
    renew: bool,
    address: str | None,
) -> tuple[InvitationRead, str]:
    """Invite `data.email` with `data.role`, capped by the inviter's own role (the rule for
    every membership change: `service._check_role_change`). A pending invitation to the same
    address is renewed (new token, new expiry, this role) when `renew`, else 409. Returns the
    invitation and its link's token, which is stored only as a hash."""
    await _lock_members(session, workspace_id)
    access = await access_workspace(session, principal, workspace_id, Action.MEMBERS_MANAGE)
    _check_role_change(access, old=None, new=data.role)
    email = data.email.lower()
    member = await session.scalar(
        select(WorkspaceMember.user_id)
        .join(User, User.id == WorkspaceMember.user_id)
        .where(WorkspaceMember.workspace_id == workspace_id, User.email == email)
    )
    if member is not None:
        raise Conflict("That user is already a member.", code="already_member")
    now = utcnow()
    await session.execute(
        delete(WorkspaceInvitation).where(
            WorkspaceInvitation.workspace_id == workspace_id, WorkspaceInvitation.expires_at <= now
        )
    )
    invitation = await session.scalar(
        select(WorkspaceInvitation).where(
            WorkspaceInvitation.workspace_id == workspace_id, WorkspaceInvitation.email == email
        )
    )
    if invitation is not None and not renew:
        raise _already_invited()
    if invitation is None:
        pending = await session.scalar(
            select(func.count()).where(WorkspaceInvitation.workspace_id == workspace_id)
        )
        if (pending or 0) >= MAX_PENDING:
            raise Conflict(
                f"The workspace has {MAX_PENDING} pending invitations; cancel some first.",
                code="too_many_invitations",
            )
        invitation = WorkspaceInvitation(workspace_id=workspace_id, email=email, created_at=now)
    token = secrets.token_urlsafe(32)
    invitation.role = data.role
    invitation.invited_by = principal.user_id
    invitation.token_hash = digest(token)
    invitation.expires_at = now + LIFETIME
    try:
        async with session.begin_nested():
            session.add(invitation)
    except IntegrityError:  # a concurrent invitation of the same address (SQLite: none)
        raise _already_invited() from None
    await audit.record(
        session,
        "member.invited",
        actor=principal,
        workspace_id=workspace_id,
        address=address,
        details={"invitation_id": invitation.id, "email": email, "role": data.role},
    )
    inviter = await session.get_one(User, principal.user_id)
    return invitation_read(invitation, access.workspace, inviter), token


def _already_invited() -> Conflict:
    return Conflict("That address has a pending invitation already.", code="already_invited")


async def create_invitation(
    session: AsyncSession,
    principal: Principal,
    *,
    workspace_id: UUID,
    data: InvitationCreate,
    address: str | None = None,
) -> InvitationCreated:
    """Invite, or invite again: a pending invitation to the address gets a new link (the old
    one stops working) and a new expiry."""
    read, token = await _invite(
        session, principal, workspace_id=workspace_id, data=data, renew=True, address=address
    )
    return InvitationCreated(**read.model_dump(), link=LINK_PREFIX + token)


async def add_member(
    session: AsyncSession,
    principal: Principal,
    *,
    workspace_id: UUID,
    data: MemberAdd,
    address: str | None = None,
) -> InvitationRead:
    """Invite by e-mail without showing the link: nobody joins without accepting, and someone
    without an account yet can be invited (they sign up with that address). A pending
    invitation to the address is 409 (renewing it would end a link the caller never sees)."""
    read, _ = await _invite(
        session, principal, workspace_id=workspace_id, data=data, renew=False, address=address
    )
    return read


# --- answering -------------------------------------------------------------------------------


async def _my_email(session: AsyncSession, principal: Principal) -> str:
    return (await session.get_one(User, principal.user_id)).email


async def list_my_invitations(session: AsyncSession, principal: Principal) -> list[InvitationRead]:
    email = await _my_email(session, principal)
    rows = (
        await session.execute(
            _with_names()
            .where(WorkspaceInvitation.email == email)
            .order_by(WorkspaceInvitation.created_at, WorkspaceInvitation.id)
            .limit(MAX_MINE)
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


async def _join(
    session: AsyncSession,
    principal: Principal,
    invitation: WorkspaceInvitation,
    workspace: Workspace,
    inviter: User | None,
    address: str | None,
) -> tuple[WorkspaceMember, User]:
    """Join with the invited role; the invitation is used up. Already a member (added some
    other way): the invitation just goes, the membership stays as it is. The caller has
    checked that the invitation is the principal's."""
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
        await audit.record(
            session,
            "member.added",
            actor=principal,
            workspace_id=workspace.id,
            address=address,
            details={
                "user_id": user.id,
                "email": user.email,
                "role": invitation.role,
                "invited_by": inviter.email if inviter else None,
            },
        )
    await session.delete(invitation)
    await session.flush()
    return member, user


async def accept_invitation(
    session: AsyncSession,
    principal: Principal,
    *,
    invitation_id: UUID,
    address: str | None = None,
) -> MemberRead:
    invitation, workspace, inviter = await _my_invitation(session, principal, invitation_id)
    member, user = await _join(session, principal, invitation, workspace, inviter, address)
    return _member_read(member, user)


async def decline_invitation(
    session: AsyncSession, principal: Principal, *, invitation_id: UUID
) -> None:
    invitation, _, _ = await _my_invitation(session, principal, invitation_id)
    await session.delete(invitation)


# --- by link ---------------------------------------------------------------------------------


async def _by_token(
    session: AsyncSession, token: str
) -> tuple[WorkspaceInvitation, Workspace, User | None]:
    """The pending invitation whose link has `token`: 404 when unknown, used, renewed (the
    old link) or expired alike."""
    row = (
        await session.execute(_with_names().where(WorkspaceInvitation.token_hash == digest(token)))
    ).one_or_none()
    if row is None:
        raise NotFound("This invitation link is not valid: it was used, replaced or expired.")
    return row[0], row[1], row[2]


async def preview_invitation(session: AsyncSession, *, token: str) -> InvitationPreview:
    """For anyone with the link, signed in or not: the link is the secret."""
    invitation, workspace, inviter = await _by_token(session, token)
    return InvitationPreview(
        workspace_name=workspace.name,
        invited_by_name=inviter.name if inviter else None,
        email=invitation.email,
        role=WorkspaceRole(invitation.role),
        expires_at=invitation.expires_at,
    )


async def accept_invitation_by_token(
    session: AsyncSession, principal: Principal, *, token: str, address: str | None = None
) -> WorkspaceRead:
    """Join through the link: only the account with the invited address can (403
    `invitation_email_mismatch` to another, which learns nothing the link's page does not
    show)."""
    invitation, workspace, inviter = await _by_token(session, token)
    if invitation.email != await _my_email(session, principal):
        raise PermissionDenied(
            "This invitation is for another e-mail address: sign in with the invited address "
            "to accept it.",
            code="invitation_email_mismatch",
        )
    member, _ = await _join(session, principal, invitation, workspace, inviter, address)
    return _read(workspace, WorkspaceRole(member.role))


# --- for admins ------------------------------------------------------------------------------


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
            .limit(MAX_PENDING)
        )
    ).all()
    return [invitation_read(i, w, u) for i, w, u in rows]


async def cancel_invitation(
    session: AsyncSession,
    principal: Principal,
    *,
    workspace_id: UUID,
    invitation_id: UUID,
    address: str | None = None,
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
    await audit.record(
        session,
        "invitation.cancelled",
        actor=principal,
        workspace_id=workspace_id,
        address=address,
        details={"invitation_id": invitation.id, "email": invitation.email},
    )
    await session.delete(invitation)
