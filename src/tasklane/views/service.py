"""Saved views: a named query with how to show it. Anyone in a workspace keeps their own;
members share theirs with everyone in it. A view holds no tasks: running it reads the tasks
the caller can see (tasklane.tasks.search), so a shared view never shows more to someone than
they could find themselves."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.auth.principal import Principal
from tasklane.authz.access import access_workspace, visible_project_ids
from tasklane.authz.roles import Action, WorkspaceRole
from tasklane.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tasklane.kit.clock import utcnow
from tasklane.kit.ids import new_id
from tasklane.models import Project, SavedView
from tasklane.query.language import parse_query
from tasklane.views.schemas import ViewCreate, ViewRead, ViewUpdate

MAX_OWN = 100
"""Views one person keeps in one workspace."""
MAX_LISTED = 200
_ADMINS = (WorkspaceRole.OWNER, WorkspaceRole.ADMIN)


def _read(view: SavedView, principal: Principal, role: WorkspaceRole) -> ViewRead:
    return ViewRead(
        id=view.id,
        workspace_id=view.workspace_id,
        owner_id=view.owner_id,
        project_id=view.project_id,
        name=view.name,
        query=view.query,
        layout=view.layout,
        sort=view.sort,
        group_by=view.group_by,
        shared=view.shared,
        editable=view.owner_id == principal.user_id or (view.shared and role in _ADMINS),
        created_at=view.created_at,
        updated_at=view.updated_at,
    )


async def _check_project(
    session: AsyncSession, principal: Principal, workspace_id: UUID, project_id: UUID | None
) -> None:
    if project_id is None:
        return
    visible = await session.scalar(
        select(Project.id).where(
            Project.id == project_id,
            Project.workspace_id == workspace_id,
            Project.id.in_(visible_project_ids(principal.user_id)),
        )
    )
    if visible is None:
        raise ValidationFailed.for_field("project_id", "No such project in this workspace.")


def _check_share(role: WorkspaceRole, shared: bool | None) -> None:
    if shared and role == WorkspaceRole.GUEST:
        raise PermissionDenied("Guests keep their views to themselves.")


async def create_view(
    session: AsyncSession, principal: Principal, *, workspace_id: UUID, data: ViewCreate
) -> ViewRead:
    access = await access_workspace(session, principal, workspace_id, Action.WORKSPACE_READ)
    parse_query(data.query, field_name="query")
    _check_share(access.role, data.shared)
    await _check_project(session, principal, workspace_id, data.project_id)
    own = await session.scalar(
        select(func.count())
        .select_from(SavedView)
        .where(SavedView.workspace_id == workspace_id, SavedView.owner_id == principal.user_id)
    )
    if (own or 0) >= MAX_OWN:
        raise Conflict(f"You may keep {MAX_OWN} views in a workspace.", code="too_many_views")
    now = utcnow()
    view = SavedView(
        id=new_id(),
        workspace_id=workspace_id,
        owner_id=principal.user_id,
        project_id=data.project_id,
        name=data.name,
        query=data.query.strip(),
        layout=data.layout,
        sort=data.sort.value,
        group_by=data.group_by,
        shared=data.shared,
        created_at=now,
        updated_at=now,
    )
    session.add(view)
    await session.flush()
    return _read(view, principal, access.role)


async def list_views(
    session: AsyncSession, principal: Principal, *, workspace_id: UUID
) -> list[ViewRead]:
    access = await access_workspace(session, principal, workspace_id, Action.WORKSPACE_READ)
    views = (
        await session.scalars(
            select(SavedView)
            .where(
                SavedView.workspace_id == workspace_id,
                or_(SavedView.owner_id == principal.user_id, SavedView.shared),
            )
            .order_by(func.lower(SavedView.name), SavedView.id)
            .limit(MAX_LISTED)
        )
    ).all()
    return [_read(v, principal, access.role) for v in views]


async def access_view(
    session: AsyncSession, principal: Principal, view_id: UUID
) -> tuple[SavedView, WorkspaceRole]:
    """The view, if the caller may see it (theirs, or shared in a workspace they are in)."""
    view = await session.get(SavedView, view_id)
    if view is None:
        raise NotFound("No such view.")
    try:
        access = await access_workspace(
            session, principal, view.workspace_id, Action.WORKSPACE_READ
        )
    except NotFound:
        raise NotFound("No such view.") from None
    if view.owner_id != principal.user_id and not view.shared:
        raise NotFound("No such view.")
    return view, access.role


async def _editable(
    session: AsyncSession, principal: Principal, view_id: UUID
) -> tuple[SavedView, WorkspaceRole]:
    view, role = await access_view(session, principal, view_id)
    if view.owner_id != principal.user_id and role not in _ADMINS:
        raise PermissionDenied("Only its owner or a workspace admin may change a shared view.")
    return view, role


async def get_view(session: AsyncSession, principal: Principal, *, view_id: UUID) -> ViewRead:
    view, role = await access_view(session, principal, view_id)
    return _read(view, principal, role)


async def update_view(
    session: AsyncSession, principal: Principal, *, view_id: UUID, data: ViewUpdate
) -> ViewRead:
    view, role = await _editable(session, principal, view_id)
    changes = data.model_dump(exclude_unset=True)
    if "query" in changes:
        parse_query(changes["query"] or "", field_name="query")
        changes["query"] = (changes["query"] or "").strip()
    if "project_id" in changes:
        await _check_project(session, principal, view.workspace_id, changes["project_id"])
    if changes.get("shared"):
        _check_share(role, True)
    for name in ("name", "layout", "sort", "shared"):
        if name in changes and changes[name] is None:
            raise ValidationFailed.for_field(name, "May not be null.")
    for name, value in changes.items():
        setattr(view, name, getattr(value, "value", value))
    view.updated_at = utcnow()
    await session.flush()
    return _read(view, principal, role)


async def delete_view(session: AsyncSession, principal: Principal, *, view_id: UUID) -> None:
    view, _ = await _editable(session, principal, view_id)
    await session.delete(view)
    await session.flush()
