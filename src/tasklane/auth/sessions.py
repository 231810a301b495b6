"""A user's sign-in sessions, as they see and end them (issue 15, item 6).

Ending a session stops its access tokens at once in this process (the sign-in cache forgets it
as the change commits) and within `Settings.signed_in_cache_seconds` in the others; its refresh
token stops at once everywhere.
"""

from __future__ import annotations

from typing import cast
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane import audit
from tasklane.auth.principal import Principal
from tasklane.auth.schemas import SessionInfo, SignInMethod
from tasklane.auth.signedin import SignedInCache
from tasklane.db import on_after_commit
from tasklane.errors import NotFound
from tasklane.kit.clock import utcnow
from tasklane.kit.pagination import Page
from tasklane.models import AuthSession, WorkspaceMember

MAX_LISTED = 200
"""Live sessions listed, most recently used first (more only after hundreds of sign-ins)."""


async def list_sessions(session: AsyncSession, principal: Principal) -> Page[SessionInfo]:
    """The caller's live sessions, the current one first, then the most recently used."""
    rows = await session.scalars(
        select(AuthSession)
        .where(
            AuthSession.user_id == principal.user_id,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > utcnow(),
        )
        .order_by(
            (AuthSession.id == principal.session_id).desc(),
            AuthSession.last_used_at.desc().nulls_last(),
            AuthSession.created_at.desc(),
        )
        .limit(MAX_LISTED)
    )
    return Page(
        items=[
            SessionInfo(
                id=row.id,
                kind="browser" if row.kind == "cookie" else "api",
                method=cast(SignInMethod, row.method),
                created_at=row.created_at,
                last_used_at=row.last_used_at or row.created_at,
                expires_at=row.expires_at,
                user_agent=row.user_agent,
                ip=row.ip,
                current=row.id == principal.session_id,
            )
            for row in rows
        ]
    )


async def end_session(
    session: AsyncSession,
    principal: Principal,
    signed_in: SignedInCache,
    *,
    session_id: UUID,
    address: str,
) -> None:
    """End one of the caller's sessions (the current one too: that is signing out)."""
    ended = await session.scalar(
        update(AuthSession)
        .where(
            AuthSession.id == session_id,
            AuthSession.user_id == principal.user_id,
            AuthSession.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow(), revoked_reason="ended_by_user")
        .returning(AuthSession.id)
    )
    if ended is None:
        raise NotFound("No such session.")
    await audit.record(
        session,
        "session.ended",
        actor=principal,
        workspace_id=None,
        address=address,
        details={"session_id": session_id, "current": session_id == principal.session_id},
    )
    on_after_commit(session, f"signed_in:{session_id}", lambda: signed_in.forget_session(ended))


async def end_other_sessions(
    session: AsyncSession,
    principal: Principal,
    signed_in: SignedInCache,
    *,
    reason: str = "ended_by_user",
    address: str | None = None,
) -> int:
    """End every session of the caller but the current one; how many ended. With `address`
    (the caller asked for it) the audit log records it; otherwise the caller's own action
    (a password change) is recorded by the caller."""
    ended = list(
        await session.scalars(
            update(AuthSession)
            .where(
                AuthSession.user_id == principal.user_id,
                AuthSession.id != principal.session_id,
                AuthSession.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow(), revoked_reason=reason)
            .returning(AuthSession.id)
        )
    )

    _forget_when_committed(session, signed_in, ended, key="signed_in:others")
    if address is not None:
        await audit.record(
            session,
            "session.ended",
            actor=principal,
            workspace_id=None,
            address=address,
            details={"others": True, "count": len(ended)},
        )
    return len(ended)


async def end_sessions_without_sso(
    session: AsyncSession, signed_in: SignedInCache, *, workspace_id: UUID
) -> int:
    """End the sessions of the workspace's members that were not signed in through single
    sign-on (the workspace has just required it); how many ended. Personal API tokens go on:
    they are revoked one by one."""
    members = select(WorkspaceMember.user_id).where(WorkspaceMember.workspace_id == workspace_id)
    ended = list(
        await session.scalars(
            update(AuthSession)
            .where(
                AuthSession.user_id.in_(members),
                AuthSession.method != "sso",
                AuthSession.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow(), revoked_reason="sso_required")
            .returning(AuthSession.id)
        )
    )

    _forget_when_committed(session, signed_in, ended, key=f"signed_in:sso:{workspace_id}")
    return len(ended)


def _forget_when_committed(
    session: AsyncSession, signed_in: SignedInCache, ended: list[UUID], *, key: str
) -> None:
    """This process's sign-in cache forgets the ended sessions as their end commits."""

    def forget() -> None:
        for session_id in ended:
            signed_in.forget_session(session_id)

    on_after_commit(session, key, forget)
