"""Fetch-and-authorise in one step, and the scoped queries every read starts from.

Not visible → NotFound (ids cannot be probed); visible but not allowed → PermissionDenied.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, TypeVarTuple
from uuid import UUID

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from starlette.requests import Request

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
from tasklane.kit.rawsql import Dialect, RawConnection, RawSQL
from tasklane.kit.refs import HumanKey, parse_ref
from tasklane.models import (
    Attachment,
    Comment,
    Project,
    ProjectMember,
    Status,
    Task,
    TotpFactor,
    User,
    Workspace,
    WorkspaceMember,
)

Ts = TypeVarTuple("Ts")


@dataclass(frozen=True, slots=True)
class WorkspaceAccess:
    workspace: Workspace
    role: WorkspaceRole


@dataclass(frozen=True, slots=True)
class ProjectAccess:
    project: Project
    role: ProjectRole
    workspace_role: WorkspaceRole


def require_unarchived(project: Project) -> None:
    """Task, comment, file and workflow changes wait until an archived project is unarchived:
    its tasks stay as they were when it was archived."""
    if project.archived_at is not None:
        raise Conflict(
            "The project is archived; unarchive it to change its tasks.", code="project_archived"
        )


MFA_REQUIRED = "mfa_required"
"""What the role columns of the statements below read for a member of a workspace that
requires two-factor sign-in (`Workspace.require_mfa`) while they have not turned it on: they
can do nothing in it until they do."""


def _held_back(wm: type[WorkspaceMember]) -> ColumnElement[bool]:
    ws = aliased(Workspace)  # not correlated with a Workspace the outer statement reads
    return and_(
        exists().where(ws.id == wm.workspace_id, ws.require_mfa),
        ~exists().where(TotpFactor.user_id == wm.user_id, TotpFactor.confirmed_at.is_not(None)),
    )


def _role(wm: type[WorkspaceMember]) -> ColumnElement[str]:
    """The member's workspace role, or MFA_REQUIRED."""
    return case((_held_back(wm), literal(MFA_REQUIRED)), else_=wm.role)


def mfa_required() -> PermissionDenied:
    return PermissionDenied(
        "This workspace requires two-factor sign-in. Turn it on for your account (Account "
        "settings, Two-factor sign-in), then try again.",
        code="mfa_required",
    )


def _workspace_role(value: str) -> WorkspaceRole:
    if value == MFA_REQUIRED:
        raise mfa_required()
    return WorkspaceRole(value)


def require_workspace(role: WorkspaceRole, action: Action) -> None:
    if not workspace_can(role, action):
        raise PermissionDenied(f"Your workspace role ({role}) does not allow {action}.")


def require_project(role: ProjectRole, action: Action) -> None:
    if not project_can(role, action):
        raise PermissionDenied(f"Your project role ({role}) does not allow {action}.")


# The statements `access_*` run on almost every request are built once per process (building
# them cost more than running them) and get their values at execution, under these names.
_USER = "access_user_id"


def _visible(
    stmt: Select[*Ts],
    wm: type[WorkspaceMember],
    pm: type[ProjectMember],
    user_id: UUID | BindParameter[UUID],
) -> Select[*Ts]:
    return (
        stmt.join(wm, and_(wm.workspace_id == Project.workspace_id, wm.user_id == user_id))
        .outerjoin(pm, and_(pm.project_id == Project.id, pm.user_id == user_id))
        .where(or_(wm.role != WorkspaceRole.GUEST.value, pm.role.is_not(None)))
    )


def visible_projects(user_id: UUID | BindParameter[UUID]) -> Select[Project, str, str]:
    """Projects the user can see, with their workspace role and explicit project role."""
    wm = aliased(WorkspaceMember)
    pm = aliased(ProjectMember)
    return _visible(select(Project, _role(wm), pm.role), wm, pm, user_id)


def project_people(project: Project) -> Select[User]:
    """Everyone who can see `project`: its workspace's members except guests, and the guests
    given a role in it (the mirror image of `visible_projects`), by name."""
    wm = aliased(WorkspaceMember)
    pm = aliased(ProjectMember)
    return (
        select(User)
        .join(wm, and_(wm.user_id == User.id, wm.workspace_id == project.workspace_id))
        .outerjoin(pm, and_(pm.user_id == User.id, pm.project_id == project.id))
        .where(or_(wm.role != WorkspaceRole.GUEST.value, pm.role.is_not(None)))
        .order_by(func.lower(User.name), User.id)
    )


def visible_project_ids(user_id: UUID) -> Select[UUID]:
    """The ids of the projects the user can see and use (not held back by a workspace's
    two-factor requirement)."""
    wm = aliased(WorkspaceMember)
    pm = aliased(ProjectMember)
    return _visible(select(Project.id), wm, pm, user_id).where(~_held_back(wm))


ProjectLock = Literal["share", "write"]
"""How a write locks its project row (docs/architecture.md, "Locking"): "share" (FOR SHARE)
for writes to the project's tasks, which may run side by side; "write" (FOR NO KEY UPDATE)
for writes that must be alone among them (creates, parent changes). `for_update` (FOR UPDATE)
is for changes to the project itself and what hangs off it (archive, delete, statuses, labels,
members), which wait for every task write and make the later ones see their result."""


def _lock_project(stmt: Select[*Ts], lock: ProjectLock | None) -> Select[*Ts]:
    if lock == "share":
        return stmt.with_for_update(read=True, of=Project)
    if lock == "write":
        return stmt.with_for_update(key_share=True, of=Project)
    return stmt


@cache
def _project_statement(
    *, for_update: bool, lock: ProjectLock | None = None
) -> Select[Project, str, str]:
    stmt = visible_projects(bindparam(_USER)).where(Project.id == bindparam("project_id"))
    return stmt.with_for_update(of=Project) if for_update else _lock_project(stmt, lock)


class ScopedRef(str):
    """A task reference (id or key) as a URL gives it, with the workspace (slug or id) its key
    is resolved in. A `str`, so services pass it through to `access_task` unchanged."""

    workspace: str | None

    def __new__(cls, ref: str, workspace: str | None) -> ScopedRef:
        scoped = super().__new__(cls, ref)
        scoped.workspace = workspace
        return scoped


WorkspaceScope = Literal["id", "slug"]


def _workspace_scope(workspace: str) -> tuple[WorkspaceScope, Any]:
    try:
        return "id", UUID(workspace)
    except ValueError:
        return "slug", workspace.lower()


def _scoped(stmt: Select[*Ts], scope: WorkspaceScope | None) -> Select[*Ts]:
    if scope == "id":
        return stmt.where(Project.workspace_id == bindparam("workspace"))
    if scope == "slug":
        return stmt.join(Workspace, Workspace.id == Project.workspace_id).where(
            Workspace.slug == bindparam("workspace")
        )
    return stmt


@cache
def _task_statement(
    *,
    by_key: bool,
    include_deleted: bool,
    for_update: bool,
    lock: ProjectLock | None = None,
    scope: WorkspaceScope | None = None,
) -> Select[Project, str, str, Task]:
    stmt = (
        visible_projects(bindparam(_USER))
        .add_columns(Task)
        .join(Task, Task.project_id == Project.id)
    )
    stmt = _scoped(stmt, scope)
    if by_key:
        stmt = stmt.where(Project.key == bindparam("key"), Task.number == bindparam("number"))
    else:
        stmt = stmt.where(Task.id == bindparam("task_id"))
    if not include_deleted:
        stmt = stmt.where(Task.deleted_at.is_(None))
    stmt = stmt.with_for_update(of=Task) if for_update else _lock_project(stmt, lock)
    return stmt.limit(2)


def task_read_statement(
    columns: Sequence[Any],
    *,
    by_key: bool,
    scope: WorkspaceScope | None,
    include_deleted: bool = False,
) -> Select[Any]:
    """For a raw hot read (tasklane.kit.rawsql): a task the user (`access_user_id`) can see,
    by `task_id` or by `key` and `number`, not trashed (unless `include_deleted`), as the
    workspace and project roles (read them with `read_role`) and then `columns`. At most 2
    rows (2: the key is ambiguous)."""
    wm = aliased(WorkspaceMember)
    pm = aliased(ProjectMember)
    stmt = _visible(
        select(_role(wm), pm.role, *columns).select_from(Project), wm, pm, bindparam(_USER)
    ).join(Task, Task.project_id == Project.id)
    stmt = _scoped(stmt, scope)
    if by_key:
        stmt = stmt.where(Project.key == bindparam("key"), Task.number == bindparam("number"))
    else:
        stmt = stmt.where(Task.id == bindparam("task_id"))
    if not include_deleted:
        stmt = stmt.where(Task.deleted_at.is_(None))
    return stmt.limit(2)


def project_read_statement(columns: Sequence[Any]) -> Select[Any]:
    """For a raw hot read: the project `project_id` if the user (`access_user_id`) can see
    it, as the workspace and project roles (read them with `read_role`) and then `columns`
    (one row each for columns of an outer join, such as the project's statuses)."""
    wm = aliased(WorkspaceMember)
    pm = aliased(ProjectMember)
    return _visible(
        select(_role(wm), pm.role, *columns).select_from(Project), wm, pm, bindparam(_USER)
    ).where(Project.id == bindparam("project_id"))


def workspace_read_statement(columns: Sequence[Any]) -> Select[Any]:
    """For a raw hot read: the workspace `workspace_id` if the user (`access_user_id`) is a
    member, as their workspace role (read it with `read_workspace_role`) and then
    `columns`."""
    return (
        select(_role(WorkspaceMember), *columns)
        .select_from(Workspace)
        .join(
            WorkspaceMember,
            and_(
                WorkspaceMember.workspace_id == Workspace.id,
                WorkspaceMember.user_id == bindparam(_USER),
            ),
        )
        .where(Workspace.id == bindparam("workspace_id"))
    )


def workspace_projects_read_statement(columns: Sequence[Any]) -> Select[Any]:
    """For a raw hot read: `columns` of the projects of workspace `workspace_id` that the
    user (`access_user_id`) can see. Whoever sees a project may read it (every project role
    allows PROJECT_READ), so no role comes back to check."""
    wm = aliased(WorkspaceMember)
    pm = aliased(ProjectMember)
    return (
        _visible(select(*columns).select_from(Project), wm, pm, bindparam(_USER))
        .where(Project.workspace_id == bindparam("workspace_id"))
        .where(~_held_back(wm))
    )


def read_workspace_role(row: Sequence[Any], action: Action) -> WorkspaceRole:
    """The caller's role from the first column of a `workspace_read_statement` row;
    PermissionDenied when it does not allow `action`."""
    role = _workspace_role(row[0])
    require_workspace(role, action)
    return role


def read_role(row: Sequence[Any], action: Action, *, missing: str) -> ProjectRole:
    """The caller's project role from the first two columns of a `*_read_statement` row;
    NotFound (`missing`) when it gives none, PermissionDenied when it does not allow
    `action`."""
    role = effective_project_role(_workspace_role(row[0]), row[1])
    if role is None:
        raise NotFound(missing)
    require_project(role, action)
    return role


@dataclass(frozen=True, slots=True)
class TaskLookup:
    """How `task_read_statement` finds a task named by a reference."""

    params: dict[str, Any]
    by_key: bool
    scope: WorkspaceScope | None


def project_lookup(principal: Principal, project_id: UUID) -> dict[str, Any]:
    """The parameters of `project_read_statement`."""
    return {_USER: principal.user_id, "project_id": project_id}


def workspace_lookup(principal: Principal, workspace_id: UUID) -> dict[str, Any]:
    """The parameters of `workspace_read_statement` and `workspace_projects_read_statement`."""
    return {_USER: principal.user_id, "workspace_id": workspace_id}


def task_lookup(principal: Principal, ref: str | UUID) -> TaskLookup | None:
    """The parameters of `task_read_statement` for `ref`, and the statement's shape; None
    when `ref` cannot name a task."""
    params: dict[str, Any] = {_USER: principal.user_id}
    parsed = parse_ref(ref)
    if parsed is None:
        return None
    if isinstance(parsed, HumanKey):
        params["key"], params["number"] = parsed.prefix, parsed.number
    else:
        params["task_id"] = parsed
    scope: WorkspaceScope | None = None
    workspace = ref.workspace if isinstance(ref, ScopedRef) else None
    if workspace is not None:
        scope, params["workspace"] = _workspace_scope(workspace)
    return TaskLookup(params, isinstance(parsed, HumanKey), scope)


async def ambiguous_key(
    session: AsyncSession,
    principal: Principal,
    ref: str | UUID,
    params: dict[str, Any],
    include_deleted: bool = False,
) -> Conflict:
    """The 409 for a key that names a visible task in more than one of the caller's
    workspaces."""
    slugs = await _workspaces_with_key(session, principal, params, include_deleted)
    return Conflict(
        f"More than one of your workspaces has a task {ref} ({', '.join(slugs)}); "
        "name one with `workspace`, or use the task's id.",
        code="ambiguous_key",
        extensions={"workspaces": slugs},
    )


TaskStatement = Callable[[bool, "WorkspaceScope | None", Dialect], RawSQL]
"""A hot read's `task_read_statement` shape: (by key, workspace scope, dialect) -> SQL."""


async def read_task_row(
    raw: RawConnection,
    request: Request,
    principal: Principal,
    ref: str,
    statement: TaskStatement,
    *,
    include_deleted: bool = False,
) -> Sequence[Any]:
    """The row a hot read's task statement gives for a task the caller may read: 404 when
    `ref` names none they can see, 409 `ambiguous_key` as `access_task` answers it."""
    lookup = task_lookup(principal, ref)
    if lookup is None:
        raise NotFound("No such task.")
    rows = await raw.fetch(statement(lookup.by_key, lookup.scope, raw.dialect), lookup.params)
    if len(rows) > 1:
        async with request.app.state.runtime.db.transaction(write=False) as session:
            raise await ambiguous_key(session, principal, ref, lookup.params, include_deleted)
    if not rows:
        raise NotFound("No such task.")
    read_role(rows[0], Action.PROJECT_READ, missing="No such task.")
    return rows[0]


_COMMENT = (
    visible_projects(bindparam(_USER))
    .add_columns(Task, Comment)
    .join(Task, Task.project_id == Project.id)
    .join(Comment, Comment.task_id == Task.id)
    .where(Comment.id == bindparam("comment_id"), Task.deleted_at.is_(None))
)


_ATTACHMENT = (
    visible_projects(bindparam(_USER))
    .add_columns(Task, Attachment)
    .join(Task, Task.project_id == Project.id)
    .join(Attachment, Attachment.task_id == Task.id)
    .where(
        Attachment.id == bindparam("attachment_id"),
        Attachment.state == "ready",
        Task.deleted_at.is_(None),
    )
)


def _project_access(project: Project, ws_role: str, pm_role: str | None) -> ProjectAccess | None:
    workspace_role = _workspace_role(ws_role)
    role = effective_project_role(workspace_role, pm_role)
    if role is None:
        return None
    return ProjectAccess(project=project, role=role, workspace_role=workspace_role)


async def access_workspace(
    session: AsyncSession, principal: Principal, workspace_id: UUID, action: Action
) -> WorkspaceAccess:
    row = (
        await session.execute(
            select(Workspace, _role(WorkspaceMember))
            .join(WorkspaceMember, WorkspaceMember.workspace_id == Workspace.id)
            .where(Workspace.id == workspace_id, WorkspaceMember.user_id == principal.user_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("No such workspace.")
    role = _workspace_role(row[1])
    require_workspace(role, action)
    return WorkspaceAccess(workspace=row[0], role=role)


async def access_project(
    session: AsyncSession,
    principal: Principal,
    project_id: UUID,
    action: Action,
    *,
    for_update: bool = False,
    lock: ProjectLock | None = None,
) -> ProjectAccess:
    stmt = _project_statement(for_update=for_update, lock=lock)
    params = {_USER: principal.user_id, "project_id": project_id}
    row = (await session.execute(stmt, params)).one_or_none()
    access = _project_access(row[0], row[1], row[2]) if row is not None else None
    if access is None:
        raise NotFound("No such project.")
    require_project(access.role, action)
    return access


@dataclass(frozen=True, slots=True)
class StatusRow:
    id: UUID
    position: int
    category: str


@cache
def _project_statuses_statement(
    lock: ProjectLock | None,
) -> Select[Project, str, str, UUID, int, str]:
    return (
        _project_statement(for_update=False, lock=lock)
        .add_columns(Status.id, Status.position, Status.category)
        .outerjoin(Status, Status.project_id == Project.id)
        .order_by(Status.position, Status.id)
    )


async def access_project_statuses(
    session: AsyncSession,
    principal: Principal,
    project_id: UUID,
    action: Action,
    *,
    lock: ProjectLock | None = None,
) -> tuple[ProjectAccess, list[StatusRow]]:
    """`access_project`, and the project's statuses in board order, in one statement (a create
    takes its status from them)."""
    params = {_USER: principal.user_id, "project_id": project_id}
    rows = (await session.execute(_project_statuses_statement(lock), params)).all()
    access = _project_access(rows[0][0], rows[0][1], rows[0][2]) if rows else None
    if access is None:
        raise NotFound("No such project.")
    require_project(access.role, action)
    statuses = [StatusRow(row[3], row[4], row[5]) for row in rows if row[3] is not None]
    return access, statuses


async def access_task(
    session: AsyncSession,
    principal: Principal,
    ref: str | UUID,
    action: Action,
    *,
    include_deleted: bool = False,
    for_update: bool = False,
    lock: ProjectLock | None = None,
) -> tuple[Task, ProjectAccess]:
    """A task by UUID or human key (`ENG-42`), with the caller's access to its project.
    A key is resolved within the workspace a `ScopedRef` names (an id must be in it too);
    without one, a key that two of the caller's workspaces have is 409 `ambiguous_key`,
    naming them. `for_update` locks the task row; `lock` locks the project row instead (the
    caller then locks the task itself, after its columns: see docs/architecture.md,
    "Locking")."""
    lookup = task_lookup(principal, ref)
    if lookup is None:
        raise NotFound("No such task.")
    params = lookup.params
    stmt = _task_statement(
        by_key=lookup.by_key,
        include_deleted=include_deleted,
        for_update=for_update,
        lock=lock,
        scope=lookup.scope,
    )
    rows = (await session.execute(stmt, params)).all()
    if len(rows) > 1:
        raise await ambiguous_key(session, principal, ref, params, include_deleted)
    access = _project_access(rows[0][0], rows[0][1], rows[0][2]) if rows else None
    if access is None:
        raise NotFound("No such task.")
    require_project(access.role, action)
    return rows[0][3], access


async def _workspaces_with_key(
    session: AsyncSession, principal: Principal, params: dict[str, Any], include_deleted: bool
) -> list[str]:
    """The slugs of the caller's workspaces where a task with this key is visible to them."""
    wm = aliased(WorkspaceMember)
    pm = aliased(ProjectMember)
    stmt = (
        _visible(select(Workspace.slug).select_from(Project), wm, pm, principal.user_id)
        .join(Workspace, Workspace.id == Project.workspace_id)
        .join(Task, Task.project_id == Project.id)
        .where(Project.key == params["key"], Task.number == params["number"])
        .distinct()
        .order_by(Workspace.slug)
    )
    if not include_deleted:
        stmt = stmt.where(Task.deleted_at.is_(None))
    return list((await session.execute(stmt)).scalars())


async def access_comment(
    session: AsyncSession, principal: Principal, comment_id: UUID, action: Action
) -> tuple[Comment, Task, ProjectAccess]:
    params = {_USER: principal.user_id, "comment_id": comment_id}
    row = (await session.execute(_COMMENT, params)).one_or_none()
    access = _project_access(row[0], row[1], row[2]) if row is not None else None
    if row is None or access is None:
        raise NotFound("No such comment.")
    require_project(access.role, action)
    return row[4], row[3], access


async def access_attachment(
    session: AsyncSession, principal: Principal, attachment_id: UUID, action: Action
) -> tuple[Attachment, Task, ProjectAccess]:
    """An attachment (not a pending upload) on a task that is not in the trash, in a project
    the caller can see."""
    params = {_USER: principal.user_id, "attachment_id": attachment_id}
    row = (await session.execute(_ATTACHMENT, params)).one_or_none()
    access = _project_access(row[0], row[1], row[2]) if row is not None else None
    if row is None or access is None:
        raise NotFound("No such attachment.")
    require_project(access.role, action)
    return row[4], row[3], access
