"""Who may see which live event. A subscription holds a grant, decided here when it starts and
again whenever a membership changes; each event is then checked against the grant.

A project or task subscription sees every event of that project or task. A workspace
subscription sees the workspace's own events, the events of the projects the caller can see
in it, and member changes when the caller's role may read members (or the change is about
the caller).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.auth.principal import Principal
from tasklane.authz.access import (
    access_project,
    access_task,
    access_workspace,
    visible_project_ids,
)
from tasklane.authz.roles import Action, WorkspaceRole, workspace_can
from tasklane.events.types import EventType
from tasklane.models import Project


class ScopeKind(StrEnum):
    WORKSPACE = "workspace"
    PROJECT = "project"
    TASK = "task"


@dataclass(frozen=True, slots=True)
class Scope:
    kind: ScopeKind
    id: UUID

    @property
    def field(self) -> str:
        return f"{self.kind}_id"


@dataclass(frozen=True, slots=True)
class Grant:
    """What one subscription may see."""

    scope: Scope
    user_id: UUID
    workspace_id: UUID
    workspace_role: WorkspaceRole
    project_ids: frozenset[UUID]
    key: str | None = None
    """The task's key (`ENG-42`) for task scopes."""


MEMBER_EVENTS = frozenset(
    {EventType.MEMBER_ADDED, EventType.MEMBER_UPDATED, EventType.MEMBER_REMOVED}
)
ACCESS_EVENTS = MEMBER_EVENTS | {
    EventType.PROJECT_MEMBER_ADDED,
    EventType.PROJECT_MEMBER_UPDATED,
    EventType.PROJECT_MEMBER_REMOVED,
    EventType.PROJECT_CREATED,
    EventType.PROJECT_DELETED,
    EventType.WORKSPACE_DELETED,
    EventType.WORKSPACE_UPDATED,  # it may now require two-factor sign-in
}
"""Events after which the grants of some subscriptions must be decided again."""

PERSONAL_ACCESS_EVENTS = MEMBER_EVENTS | {
    EventType.PROJECT_MEMBER_ADDED,
    EventType.PROJECT_MEMBER_UPDATED,
    EventType.PROJECT_MEMBER_REMOVED,
}
"""Of those, the ones that change only the access of the user they name (`entity_id`)."""


def event_visible(
    grant: Grant, *, type: str, project_id: UUID | None, entity_id: UUID | None
) -> bool:
    """May the holder of `grant` see this event of the grant's scope?"""
    if project_id is not None:
        return project_id in grant.project_ids
    if type in MEMBER_EVENTS:
        return entity_id == grant.user_id or workspace_can(
            grant.workspace_role, Action.MEMBERS_READ
        )
    return True


async def decide_grant(session: AsyncSession, principal: Principal, scope: Scope) -> Grant:
    """The caller's grant for `scope`; NotFound when they cannot see it."""
    if scope.kind is not ScopeKind.WORKSPACE:
        key = None
        if scope.kind is ScopeKind.PROJECT:
            access = await access_project(session, principal, scope.id, Action.PROJECT_READ)
        else:
            task, access = await access_task(
                session, principal, scope.id, Action.PROJECT_READ, include_deleted=True
            )
            key = f"{access.project.key}-{task.number}"
        return Grant(
            scope=scope,
            user_id=principal.user_id,
            workspace_id=access.project.workspace_id,
            workspace_role=access.workspace_role,
            project_ids=frozenset({access.project.id}),
            key=key,
        )
    workspace = await access_workspace(session, principal, scope.id, Action.WORKSPACE_READ)
    visible = await session.scalars(
        visible_project_ids(principal.user_id).where(Project.workspace_id == scope.id)
    )
    return Grant(
        scope=scope,
        user_id=principal.user_id,
        workspace_id=scope.id,
        workspace_role=workspace.role,
        project_ids=frozenset(visible),
    )


async def resolve_task_scope(session: AsyncSession, principal: Principal, ref: str) -> Scope:
    """A task scope from a UUID or a key (`ENG-42`); NotFound when the caller cannot see it."""
    task, _ = await access_task(session, principal, ref, Action.PROJECT_READ, include_deleted=True)
    return Scope(ScopeKind.TASK, task.id)
