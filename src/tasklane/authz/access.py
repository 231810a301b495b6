"""Fetch-and-authorise in one step, and the scoped queries every read starts from.

Not visible → NotFound (ids cannot be probed); visible but not allowed → PermissionDenied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from tasklane.auth.principal import Principal
from tasklane.authz.roles import (
    Action,
    ProjectRole,
    WorkspaceRole,
    effective_project_role,
    project_can,
    workspace_can,
)
from tasklane.errors import Conflict, NotFound, PermissionDenied
from tasklane.models import Comment, Project, ProjectMember, Task, Workspace, WorkspaceMember

TASK_KEY = re.compile(r"^([A-Za-z][A-Za-z0-9]{0,9})-([1-9][0-9]{0,9})$")


@dataclass(frozen=True, slots=True)
class WorkspaceAccess:
    workspace: Workspace
    role: WorkspaceRole


@dataclass(frozen=True, slots=True)
class ProjectAccess:
    project: Project
    role: ProjectRole
    workspace_role: WorkspaceRole


def require_workspace(role: WorkspaceRole, action: Action) -> None:
    if not workspace_can(role, action):
        raise PermissionDenied(f"Your workspace role ({role}) does not allow {action}.")


def require_project(role: ProjectRole, action: Action) -> None:
    if not project_can(role, action):
        raise PermissionDenied(f"Your project role ({role}) does not allow {action}.")


def visible_projects(user_id: UUID) -> Select[Project, str, str]:
    """Projects the user can see, with their workspace role and explicit project role."""
    wm = aliased(WorkspaceMember)
    pm = aliased(ProjectMember)
    return (
        select(Project, wm.role, pm.role)
        .join(wm, and_(wm.workspace_id == Project.workspace_id, wm.user_id == user_id))
        .outerjoin(pm, and_(pm.project_id == Project.id, pm.user_id == user_id))
        .where(or_(wm.role != WorkspaceRole.GUEST.value, pm.role.is_not(None)))
    )


def visible_project_ids(user_id: UUID) -> Select[UUID]:
    wm = aliased(WorkspaceMember)
    pm = aliased(ProjectMember)
    return (
        select(Project.id)
        .join(wm, and_(wm.workspace_id == Project.workspace_id, wm.user_id == user_id))
        .outerjoin(pm, and_(pm.project_id == Project.id, pm.user_id == user_id))
        .where(or_(wm.role != WorkspaceRole.GUEST.value, pm.role.is_not(None)))
    )


def _project_access(project: Project, ws_role: str, pm_role: str | None) -> ProjectAccess | None:
    role = effective_project_role(ws_role, pm_role)
    if role is None:
        return None
    return ProjectAccess(project=project, role=role, workspace_role=WorkspaceRole(ws_role))


async def access_workspace(
    session: AsyncSession, principal: Principal, workspace_id: UUID, action: Action
) -> WorkspaceAccess:
    row = (
        await session.execute(
            select(Workspace, WorkspaceMember.role)
            .join(WorkspaceMember, WorkspaceMember.workspace_id == Workspace.id)
            .where(Workspace.id == workspace_id, WorkspaceMember.user_id == principal.user_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("No such workspace.")
    role = WorkspaceRole(row[1])
    require_workspace(role, action)
    return WorkspaceAccess(workspace=row[0], role=role)


async def access_project(
    session: AsyncSession,
    principal: Principal,
    project_id: UUID,
    action: Action,
    *,
    for_update: bool = False,
) -> ProjectAccess:
    stmt = visible_projects(principal.user_id).where(Project.id == project_id)
    if for_update:
        stmt = stmt.with_for_update(of=Project)
    row = (await session.execute(stmt)).one_or_none()
    access = _project_access(row[0], row[1], row[2]) if row is not None else None
    if access is None:
        raise NotFound("No such project.")
    require_project(access.role, action)
    return access


async def access_task(
    session: AsyncSession,
    principal: Principal,
    ref: str | UUID,
    action: Action,
    *,
    include_deleted: bool = False,
    for_update: bool = False,
) -> tuple[Task, ProjectAccess]:
    """A task by UUID or human key (`ENG-42`), with the caller's access to its project."""
    stmt = (
        visible_projects(principal.user_id)
        .add_columns(Task)
        .join(Task, Task.project_id == Project.id)
    )
    task_id = _as_uuid(ref)
    if task_id is not None:
        stmt = stmt.where(Task.id == task_id)
    else:
        match = TASK_KEY.match(str(ref))
        if match is None:
            raise NotFound("No such task.")
        stmt = stmt.where(Project.key == match.group(1).upper(), Task.number == int(match.group(2)))
    if not include_deleted:
        stmt = stmt.where(Task.deleted_at.is_(None))
    if for_update:
        stmt = stmt.with_for_update(of=Task)
    rows = (await session.execute(stmt.limit(2))).all()
    if len(rows) > 1:
        raise Conflict(
            f"More than one of your workspaces has a task {ref}; use the task's id.",
            code="ambiguous_key",
        )
    access = _project_access(rows[0][0], rows[0][1], rows[0][2]) if rows else None
    if access is None:
        raise NotFound("No such task.")
    require_project(access.role, action)
    return rows[0][3], access


async def access_comment(
    session: AsyncSession, principal: Principal, comment_id: UUID, action: Action
) -> tuple[Comment, Task, ProjectAccess]:
    stmt = (
        visible_projects(principal.user_id)
        .add_columns(Task, Comment)
        .join(Task, Task.project_id == Project.id)
        .join(Comment, Comment.task_id == Task.id)
        .where(Comment.id == comment_id, Task.deleted_at.is_(None))
    )
    row = (await session.execute(stmt)).one_or_none()
    access = _project_access(row[0], row[1], row[2]) if row is not None else None
    if row is None or access is None:
        raise NotFound("No such comment.")
    require_project(access.role, action)
    return row[4], row[3], access


def _as_uuid(ref: str | UUID) -> UUID | None:
    if isinstance(ref, UUID):
        return ref
    try:
        return UUID(ref)
    except ValueError:
        return None
