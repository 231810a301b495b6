"""Roles and what each may do. Change permissions here and nowhere else."""

from __future__ import annotations

from enum import StrEnum


class WorkspaceRole(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    GUEST = "guest"


class ProjectRole(StrEnum):
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"


class Action(StrEnum):
    WORKSPACE_READ = "workspace:read"
    WORKSPACE_UPDATE = "workspace:update"
    WORKSPACE_DELETE = "workspace:delete"
    MEMBERS_READ = "workspace:members:read"
    MEMBER_EMAILS_READ = "workspace:members:emails:read"
    """See the e-mail addresses of the people of a workspace's projects."""
    MEMBERS_MANAGE = "workspace:members:manage"
    OWNERS_MANAGE = "workspace:owners:manage"
    PROJECT_CREATE = "workspace:projects:create"
    AUDIT_READ = "workspace:audit:read"
    """Read and export the audit log."""
    WEBHOOKS_MANAGE = "workspace:webhooks:manage"
    """Register webhooks and read their deliveries (which carry the workspace's events)."""
    WORKSPACE_EXPORT = "workspace:export"
    """Make and download archives of the whole workspace: every project, task, comment,
    file, webhook (with its secret) and member's e-mail address in one file."""

    PROJECT_READ = "project:read"
    PEOPLE_READ = "project:people:read"
    """List everyone who can see the project (names and ids), e.g. to show assignees."""
    PROJECT_UPDATE = "project:update"
    PROJECT_DELETE = "project:delete"
    PROJECT_MEMBERS_MANAGE = "project:members:manage"
    WORKFLOW_MANAGE = "project:workflow:manage"
    LABEL_CREATE = "project:labels:create"
    LABEL_MANAGE = "project:labels:manage"
    TASK_CREATE = "task:create"
    TASK_UPDATE = "task:update"
    TASK_DELETE = "task:delete"
    COMMENT_CREATE = "comment:create"
    COMMENT_MODERATE = "comment:moderate"
    """Edit or delete another person's comment."""
    ATTACHMENT_ADD = "attachment:add"
    ATTACHMENT_MODERATE = "attachment:moderate"
    """Remove a file someone else attached."""
    IMPORTS_READ_ALL = "project:imports:read"
    """Follow an import someone else started (everyone follows their own)."""


_GUEST = frozenset({Action.WORKSPACE_READ})
_MEMBER = _GUEST | {Action.MEMBERS_READ, Action.MEMBER_EMAILS_READ, Action.PROJECT_CREATE}
_ADMIN = _MEMBER | {
    Action.WORKSPACE_UPDATE,
    Action.MEMBERS_MANAGE,
    Action.AUDIT_READ,
    Action.WEBHOOKS_MANAGE,
}
_OWNER = _ADMIN | {Action.WORKSPACE_DELETE, Action.OWNERS_MANAGE, Action.WORKSPACE_EXPORT}

WORKSPACE_PERMISSIONS: dict[WorkspaceRole, frozenset[Action]] = {
    WorkspaceRole.GUEST: _GUEST,
    WorkspaceRole.MEMBER: _MEMBER,
    WorkspaceRole.ADMIN: _ADMIN,
    WorkspaceRole.OWNER: _OWNER,
}

_VIEWER = frozenset({Action.PROJECT_READ, Action.PEOPLE_READ})
_PROJECT_MEMBER = _VIEWER | {
    Action.TASK_CREATE,
    Action.TASK_UPDATE,
    Action.TASK_DELETE,
    Action.COMMENT_CREATE,
    Action.LABEL_CREATE,
    Action.ATTACHMENT_ADD,
}
_PROJECT_ADMIN = _PROJECT_MEMBER | {
    Action.PROJECT_UPDATE,
    Action.PROJECT_DELETE,
    Action.PROJECT_MEMBERS_MANAGE,
    Action.WORKFLOW_MANAGE,
    Action.LABEL_MANAGE,
    Action.COMMENT_MODERATE,
    Action.ATTACHMENT_MODERATE,
    Action.IMPORTS_READ_ALL,
}

PROJECT_PERMISSIONS: dict[ProjectRole, frozenset[Action]] = {
    ProjectRole.VIEWER: _VIEWER,
    ProjectRole.MEMBER: _PROJECT_MEMBER,
    ProjectRole.ADMIN: _PROJECT_ADMIN,
}

WORKSPACE_RANK = {
    WorkspaceRole.GUEST: 0,
    WorkspaceRole.MEMBER: 1,
    WorkspaceRole.ADMIN: 2,
    WorkspaceRole.OWNER: 3,
}
PROJECT_RANK = {ProjectRole.VIEWER: 0, ProjectRole.MEMBER: 1, ProjectRole.ADMIN: 2}


def effective_project_role(
    workspace_role: WorkspaceRole | str | None, project_role: ProjectRole | str | None
) -> ProjectRole | None:
    """The role a workspace member has in one project, or None when they cannot see it.

    Workspace owners and admins administer every project. Members see every project as
    members unless given an explicit project role. Guests see only projects they were added
    to, and never as project admins.
    """
    if workspace_role is None:
        return None
    ws = WorkspaceRole(workspace_role)
    explicit = ProjectRole(project_role) if project_role is not None else None
    if ws in (WorkspaceRole.OWNER, WorkspaceRole.ADMIN):
        return ProjectRole.ADMIN
    if ws is WorkspaceRole.MEMBER:
        return explicit or ProjectRole.MEMBER
    if explicit is None:
        return None
    return ProjectRole.MEMBER if explicit is ProjectRole.ADMIN else explicit


def workspace_can(role: WorkspaceRole, action: Action) -> bool:
    return action in WORKSPACE_PERMISSIONS[role]


def project_can(role: ProjectRole, action: Action) -> bool:
    return action in PROJECT_PERMISSIONS[role]
