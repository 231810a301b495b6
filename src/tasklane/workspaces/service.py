"""Workspaces and their members."""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane import audit
from tasklane.auth import mfa, sessions
from tasklane.auth.principal import Principal
from tasklane.auth.signedin import SignedInCache
from tasklane.authz.access import WorkspaceAccess, access_workspace, require_workspace
from tasklane.authz.roles import Action, WorkspaceRole
from tasklane.errors import Conflict, NotFound, ValidationFailed
from tasklane.events import service as events
from tasklane.events.types import EventType
from tasklane.kit.pagination import Page, cursor_uuid, decode_cursor, encode_cursor
from tasklane.models import (
    AuthSession,
    Project,
    ProjectMember,
    Task,
    TaskAssignee,
    User,
    Workspace,
    WorkspaceMember,
)
from tasklane.workspaces.schemas import (
    MemberRead,
    MemberUpdate,
    WorkspaceCreate,
    WorkspaceRead,
    WorkspaceUpdate,
)


def _read(workspace: Workspace, role: WorkspaceRole) -> WorkspaceRead:
    return WorkspaceRead(
        id=workspace.id,
        name=workspace.name,
        slug=workspace.slug,
        role=role,
        require_mfa=workspace.require_mfa,
        require_sso=workspace.require_sso,
        created_at=workspace.created_at,
        updated_at=workspace.updated_at,
    )


RESERVED_SLUGS = frozenset(
    {
        "api",
        "assets",
        "signin",
        "signup",
        "signout",
        "login",
        "logout",
        "register",
        "settings",
        "account",
        "invitations",
        "invite",
        "inbox",
        "notifications",
        "search",
        "admin",
        "docs",
        "static",
        "new",
        "help",
        "me",
        "w",
        "p",
        "t",
    }
)
"""Top-level words of the web app's and the server's URLs: `/{slug}/t/{KEY}` is a task page,
so a workspace may not take one of them (nor start like the operations endpoints, which the
server answers by prefix)."""
_RESERVED_SLUG_PREFIXES = ("healthz", "readyz", "metrics")


def slug_reserved(slug: str) -> bool:
    return slug in RESERVED_SLUGS or slug.startswith(_RESERVED_SLUG_PREFIXES)


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    # Strip after cutting, so a cut right after a separator leaves no trailing hyphen.
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower())[:48].strip("-")
    slug = slug if len(slug) >= 2 else "workspace"
    return f"ws-{slug}"[:48].strip("-") if slug_reserved(slug) else slug


def _check_slug(slug: str) -> None:
    if slug_reserved(slug):
        raise ValidationFailed.for_field(
            "slug",
            "That word is part of Tasklane's addresses; choose another.",
            code="slug_reserved",
        )


async def free_slug(session: AsyncSession, base: str) -> str:
    """`base`, or the first of `base-2`, `base-3`... no workspace has."""
    taken = set(
        (
            await session.execute(
                select(Workspace.slug).where(
                    (Workspace.slug == base) | Workspace.slug.like(f"{base}-%")
                )
            )
        ).scalars()
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _slug_taken() -> Conflict:
    return Conflict("That slug is taken.", code="slug_taken")


async def check_slug_free(session: AsyncSession, slug: str) -> None:
    """422 `slug_reserved` for a word of Tasklane's addresses, 409 `slug_taken` for a slug
    a workspace has."""
    _check_slug(slug)
    if await session.scalar(select(Workspace.id).where(Workspace.slug == slug)):
        raise _slug_taken()


async def _written(session: AsyncSession, workspace: Workspace, values: dict[str, Any]) -> bool:
    """Set `values` on `workspace` (added when new) and flush them in a savepoint. False when
    a concurrent transaction took the slug meanwhile (PostgreSQL; SQLite has one writer).
    The change is made inside the savepoint: `begin_nested` flushes what is pending first."""
    try:
        async with session.begin_nested():
            for name, value in values.items():
                setattr(workspace, name, value)
            session.add(workspace)
    except IntegrityError:
        return False
    return True


_SLUG_ATTEMPTS = 5


async def _insert_workspace(session: AsyncSession, data: WorkspaceCreate) -> Workspace:
    """Insert with the requested slug, or a free one made from the name. A concurrent create
    can take the same slug between the check and the insert: an explicit slug is then 409, a
    generated one is chosen again."""
    for _ in range(_SLUG_ATTEMPTS):
        if data.slug is not None:
            await check_slug_free(session, data.slug)
            slug = data.slug
        else:
            slug = await free_slug(session, slugify(data.name))
        workspace = Workspace()
        if await _written(session, workspace, {"name": data.name, "slug": slug}):
            return workspace
        if data.slug is not None:
            raise _slug_taken()
    raise Conflict("Could not find a free slug; try again.", code="slug_taken")


async def create_workspace(
    session: AsyncSession, principal: Principal, *, data: WorkspaceCreate
) -> WorkspaceRead:
    workspace = await _insert_workspace(session, data)
    session.add(
        WorkspaceMember(
            workspace_id=workspace.id, user_id=principal.user_id, role=WorkspaceRole.OWNER
        )
    )
    events.record(
        session,
        EventType.WORKSPACE_CREATED,
        actor_id=principal.user_id,
        workspace_id=workspace.id,
        entity_id=workspace.id,
        changes=events.created({"name": workspace.name, "slug": workspace.slug}),
    )
    return _read(workspace, WorkspaceRole.OWNER)


async def list_workspaces(
    session: AsyncSession, principal: Principal, *, limit: int, cursor: str | None
) -> Page[WorkspaceRead]:
    stmt = (
        select(Workspace, WorkspaceMember.role)
        .join(WorkspaceMember, WorkspaceMember.workspace_id == Workspace.id)
        .where(WorkspaceMember.user_id == principal.user_id)
        .order_by(Workspace.id)
        .limit(limit + 1)
    )
    if cursor is not None:
        (after,) = decode_cursor(cursor, scope="workspaces", size=1)
        stmt = stmt.where(Workspace.id > cursor_uuid(after))
    rows = (await session.execute(stmt)).all()
    items = [_read(w, WorkspaceRole(role)) for w, role in rows[:limit]]
    next_cursor = (
        encode_cursor([str(items[-1].id)], scope="workspaces") if len(rows) > limit else None
    )
    return Page(items=items, next_cursor=next_cursor)


async def get_workspace(
    session: AsyncSession, principal: Principal, *, workspace_id: UUID
) -> WorkspaceRead:
    access = await access_workspace(session, principal, workspace_id, Action.WORKSPACE_READ)
    return _read(access.workspace, access.role)


async def update_workspace(
    session: AsyncSession,
    principal: Principal,
    *,
    workspace_id: UUID,
    data: WorkspaceUpdate,
    sso_configured: bool,
    signed_in: SignedInCache,
    address: str | None = None,
) -> WorkspaceRead:
    access = await access_workspace(session, principal, workspace_id, Action.WORKSPACE_UPDATE)
    workspace = access.workspace
    sent = data.model_dump(exclude_unset=True, exclude_none=True)
    if "slug" in sent and sent["slug"] != workspace.slug:
        await check_slug_free(session, sent["slug"])
    if sent.get("require_mfa") and await mfa.factor(session, principal.user_id) is None:
        raise Conflict(
            "Turn on two-factor sign-in for your own account before requiring it of members.",
            code="mfa_not_enabled",
        )
    turns_on_sso = bool(sent.get("require_sso")) and not workspace.require_sso
    if turns_on_sso:
        await _check_can_require_sso(session, principal, sso_configured=sso_configured)
    before = {
        "name": workspace.name,
        "slug": workspace.slug,
        "require_mfa": workspace.require_mfa,
        "require_sso": workspace.require_sso,
    }
    changes = events.diff(before, {**before, **sent})
    if changes:
        if not await _written(session, workspace, sent):
            raise _slug_taken()
        ended = None
        if turns_on_sso:
            ended = await sessions.end_sessions_without_sso(
                session, signed_in, workspace_id=workspace.id
            )
        events.record(
            session,
            EventType.WORKSPACE_UPDATED,
            actor_id=principal.user_id,
            workspace_id=workspace.id,
            entity_id=workspace.id,
            changes=changes,
        )
        await audit.record(
            session,
            "workspace.updated",
            actor=principal,
            workspace_id=workspace.id,
            address=address,
            details={
                "changes": changes,
                **({"sessions_ended": ended} if ended is not None else {}),
            },
        )
    return _read(workspace, access.role)


async def _check_can_require_sso(
    session: AsyncSession, principal: Principal, *, sso_configured: bool
) -> None:
    """Only with SSO set up, and from a session signed in through it: whoever turns it on
    keeps their own way in."""
    if not sso_configured:
        raise Conflict(
            "Single sign-on is not set up on this installation (TASKLANE_OIDC_ISSUER).",
            code="sso_not_configured",
        )
    method = None
    if principal.scopes is None:  # a sign-in session, not a personal API token
        method = await session.scalar(
            select(AuthSession.method).where(AuthSession.id == principal.session_id)
        )
    if method != "sso":
        raise Conflict(
            "Sign in through single sign-on yourself before requiring it of members.",
            code="sso_session_required",
        )


async def delete_workspace(
    session: AsyncSession, principal: Principal, *, workspace_id: UUID
) -> None:
    access = await access_workspace(session, principal, workspace_id, Action.WORKSPACE_DELETE)
    events.record(
        session,
        EventType.WORKSPACE_DELETED,
        actor_id=principal.user_id,
        workspace_id=workspace_id,
        entity_id=workspace_id,
        changes={"name": {"from": access.workspace.name, "to": None}},
    )
    await session.delete(access.workspace)


def _member_read(member: WorkspaceMember, user: User) -> MemberRead:
    return MemberRead(
        user_id=user.id,
        email=user.email,
        name=user.name,
        handle=user.handle,
        avatar_color=user.avatar_color,
        role=WorkspaceRole(member.role),
        joined_at=member.created_at,
    )


async def list_members(
    session: AsyncSession,
    principal: Principal,
    *,
    workspace_id: UUID,
    limit: int,
    cursor: str | None,
) -> Page[MemberRead]:
    await access_workspace(session, principal, workspace_id, Action.MEMBERS_READ)
    stmt = (
        select(WorkspaceMember, User)
        .join(User, User.id == WorkspaceMember.user_id)
        .where(WorkspaceMember.workspace_id == workspace_id)
        .order_by(WorkspaceMember.user_id)
        .limit(limit + 1)
    )
    if cursor is not None:
        (after,) = decode_cursor(cursor, scope="members", size=1)
        stmt = stmt.where(WorkspaceMember.user_id > cursor_uuid(after))
    rows = (await session.execute(stmt)).all()
    items = [_member_read(m, u) for m, u in rows[:limit]]
    next_cursor = (
        encode_cursor([str(items[-1].user_id)], scope="members") if len(rows) > limit else None
    )
    return Page(items=items, next_cursor=next_cursor)


def _check_role_change(
    access: WorkspaceAccess, *, old: WorkspaceRole | None, new: WorkspaceRole | None
) -> None:
    """Only owners hand out or take away ownership."""
    if WorkspaceRole.OWNER in (old, new):
        require_workspace(access.role, Action.OWNERS_MANAGE)


async def _lock_members(session: AsyncSession, workspace_id: UUID) -> None:
    """Serialise membership changes of one workspace (PostgreSQL; SQLite has one writer).

    Taken before anything is read, so the caller's role, the target's role and the owner
    count are all read after any concurrent change committed: two owners demoting or removing
    each other at once cannot leave the workspace without an owner. FOR NO KEY UPDATE does
    not block rows that merely reference the workspace (new projects)."""
    await session.execute(
        select(Workspace.id).where(Workspace.id == workspace_id).with_for_update(key_share=True)
    )


async def _owner_count(session: AsyncSession, workspace_id: UUID) -> int:
    return int(
        await session.scalar(
            select(func.count()).where(
                WorkspaceMember.workspace_id == workspace_id,
                WorkspaceMember.role == WorkspaceRole.OWNER.value,
            )
        )
        or 0
    )


async def _get_member(
    session: AsyncSession, workspace_id: UUID, user_id: UUID
) -> tuple[WorkspaceMember, User]:
    row = (
        await session.execute(
            select(WorkspaceMember, User)
            .join(User, User.id == WorkspaceMember.user_id)
            .where(WorkspaceMember.workspace_id == workspace_id, WorkspaceMember.user_id == user_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("No such member.")
    return row[0], row[1]


async def update_member(
    session: AsyncSession,
    principal: Principal,
    *,
    workspace_id: UUID,
    user_id: UUID,
    data: MemberUpdate,
    address: str | None = None,
) -> MemberRead:
    await _lock_members(session, workspace_id)
    access = await access_workspace(session, principal, workspace_id, Action.MEMBERS_MANAGE)
    member, user = await _get_member(session, workspace_id, user_id)
    old = WorkspaceRole(member.role)
    if old is data.role:
        return _member_read(member, user)
    _check_role_change(access, old=old, new=data.role)
    if old is WorkspaceRole.OWNER and await _owner_count(session, workspace_id) <= 1:
        raise Conflict("A workspace needs at least one owner.", code="last_owner")
    member.role = data.role
    events.record(
        session,
        EventType.MEMBER_UPDATED,
        actor_id=principal.user_id,
        workspace_id=workspace_id,
        entity_id=user_id,
        changes={"role": {"from": old.value, "to": data.role.value}},
    )
    await audit.record(
        session,
        "member.role_changed",
        actor=principal,
        workspace_id=workspace_id,
        address=address,
        details={"user_id": user_id, "email": user.email, "from": old, "to": data.role},
    )
    await session.flush()
    return _member_read(member, user)


async def remove_member(
    session: AsyncSession,
    principal: Principal,
    *,
    workspace_id: UUID,
    user_id: UUID,
    address: str | None = None,
) -> None:
    """Admins remove members; anyone may leave. The last owner can do neither."""
    leaving = user_id == principal.user_id
    await _lock_members(session, workspace_id)
    access = await access_workspace(
        session,
        principal,
        workspace_id,
        Action.WORKSPACE_READ if leaving else Action.MEMBERS_MANAGE,
    )
    member, user = await _get_member(session, workspace_id, user_id)
    old = WorkspaceRole(member.role)
    if not leaving:
        _check_role_change(access, old=old, new=None)
    if old is WorkspaceRole.OWNER and await _owner_count(session, workspace_id) <= 1:
        raise Conflict("A workspace needs at least one owner.", code="last_owner")
    # Every project of the workspace, FOR UPDATE, lowest id first (docs/architecture.md,
    # "Locking"): task writes hold their project FOR SHARE while they check assignees, so
    # none is half-way through assigning this user when they go, and later ones see them gone.
    project_ids = select(Project.id).where(Project.workspace_id == workspace_id)
    await session.execute(project_ids.order_by(Project.id).with_for_update())
    await session.execute(
        delete(ProjectMember).where(
            ProjectMember.user_id == user_id, ProjectMember.project_id.in_(project_ids)
        )
    )
    tasks = select(Task.id).where(Task.project_id.in_(project_ids))
    unassigned = await session.execute(
        delete(TaskAssignee)
        .where(TaskAssignee.user_id == user_id, TaskAssignee.task_id.in_(tasks))
        .execution_options(synchronize_session=False)
    )
    await session.delete(member)
    events.record(
        session,
        EventType.MEMBER_REMOVED,
        actor_id=principal.user_id,
        workspace_id=workspace_id,
        entity_id=user_id,
        changes={"role": {"from": old.value, "to": None}},
        unassigned_tasks=int(getattr(unassigned, "rowcount", 0) or 0),
    )
    await audit.record(
        session,
        "member.removed",
        actor=principal,
        workspace_id=workspace_id,
        address=address,
        details={"user_id": user_id, "email": user.email, "role": old, "left": leaving},
    )
