"""Projects, their workflow of statuses, labels and explicit project roles.

Writes inside a project take its row lock first (`access_project(..., for_update=True)`), so
concurrent edits of one project queue on PostgreSQL instead of racing on status positions,
the project version, name checks that ignore case, or the limits on how many statuses and
labels a project has (which no constraint expresses).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, delete, func, literal, null, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.auth.principal import Principal
from tasklane.authz.access import (
    ProjectAccess,
    access_project,
    access_workspace,
    project_people,
    require_unarchived,
    visible_projects,
)
from tasklane.authz.roles import (
    Action,
    ProjectRole,
    WorkspaceRole,
    effective_project_role,
    workspace_can,
)
from tasklane.errors import Conflict, NotFound, ValidationFailed
from tasklane.events import service as events
from tasklane.events.types import EventType
from tasklane.kit.clock import utcnow
from tasklane.kit.pagination import Page, cursor_uuid, decode_cursor, encode_cursor
from tasklane.kit.sqltypes import UTCDateTime
from tasklane.models import (
    Label,
    Project,
    ProjectMember,
    Status,
    Task,
    TaskAssignee,
    User,
    WorkspaceMember,
)
from tasklane.projects.schemas import (
    ArchivedFilter,
    LabelCreate,
    LabelRead,
    LabelUpdate,
    PersonRead,
    ProjectCreate,
    ProjectMemberAdd,
    ProjectMemberRead,
    ProjectMemberUpdate,
    ProjectRead,
    ProjectUpdate,
    StatusCreate,
    StatusRead,
    StatusUpdate,
    initials,
)
from tasklane.projects.workflow import DEFAULT_WORKFLOW, StatusCategory
from tasklane.tasks import positions

MAX_STATUSES = 50
"""Statuses one project may have: far more columns than a board can show, and it keeps the
unpaginated workflow list (and every task-counts answer) small."""
MAX_LABELS = 500
"""Labels one project may have: the label list is not paginated, so this bounds its size."""


def _project_read(project: Project, role: ProjectRole) -> ProjectRead:
    return ProjectRead(
        id=project.id,
        workspace_id=project.workspace_id,
        key=project.key,
        name=project.name,
        description=project.description,
        archived=project.archived_at is not None,
        archived_at=project.archived_at,
        role=role,
        created_at=project.created_at,
        updated_at=project.updated_at,
    )


def _record(
    session: AsyncSession,
    principal: Principal,
    project: Project,
    type: EventType,
    entity_id: UUID,
    changes: events.Changes,
    **extra: Any,
) -> None:
    events.record(
        session,
        type,
        actor_id=principal.user_id,
        workspace_id=project.workspace_id,
        project_id=project.id,
        entity_id=entity_id,
        changes=changes,
        **extra,
    )


# --- projects ------------------------------------------------------------------------------


def _key_taken(key: str) -> Conflict:
    return Conflict(f"The key {key} is taken in this workspace.", code="key_taken")


async def create_project(
    session: AsyncSession, principal: Principal, *, workspace_id: UUID, data: ProjectCreate
) -> ProjectRead:
    access = await access_workspace(session, principal, workspace_id, Action.PROJECT_CREATE)
    taken = await session.scalar(
        select(Project.id).where(Project.workspace_id == workspace_id, Project.key == data.key)
    )
    if taken is not None:
        raise _key_taken(data.key)
    project = Project(
        workspace_id=workspace_id, key=data.key, name=data.name, description=data.description
    )
    try:
        # A concurrent create with the same key passes the check above; the unique constraint
        # stops it, and the savepoint keeps the transaction usable for the 409.
        async with session.begin_nested():
            session.add(project)
    except IntegrityError as exc:
        raise _key_taken(data.key) from exc
    session.add_all(
        Status(project_id=project.id, name=name, category=category, color=color, position=i)
        for i, (name, category, color) in enumerate(DEFAULT_WORKFLOW)
    )
    explicit = None
    if access.role not in (WorkspaceRole.OWNER, WorkspaceRole.ADMIN):
        explicit = ProjectRole.ADMIN
        session.add(ProjectMember(project_id=project.id, user_id=principal.user_id, role=explicit))
        _record(
            session,
            principal,
            project,
            EventType.PROJECT_MEMBER_ADDED,
            principal.user_id,
            events.created({"user_id": principal.user_id, "role": explicit}),
        )
    _record(
        session,
        principal,
        project,
        EventType.PROJECT_CREATED,
        project.id,
        events.created(
            {"key": project.key, "name": project.name, "description": project.description}
        ),
    )
    await session.flush()
    role = effective_project_role(access.role, explicit) or ProjectRole.ADMIN
    return _project_read(project, role)


async def list_projects(
    session: AsyncSession,
    principal: Principal,
    *,
    workspace_id: UUID,
    archived: ArchivedFilter,
    limit: int,
    cursor: str | None,
) -> Page[ProjectRead]:
    await access_workspace(session, principal, workspace_id, Action.WORKSPACE_READ)
    stmt = visible_projects(principal.user_id).where(Project.workspace_id == workspace_id)
    if archived is ArchivedFilter.FALSE:
        stmt = stmt.where(Project.archived_at.is_(None))
    elif archived is ArchivedFilter.TRUE:
        stmt = stmt.where(Project.archived_at.is_not(None))
    if cursor is not None:
        (after,) = decode_cursor(cursor, scope="projects", size=1)
        stmt = stmt.where(Project.id > cursor_uuid(after))
    rows = (await session.execute(stmt.order_by(Project.id).limit(limit + 1))).all()
    items = []
    for project, ws_role, pm_role in rows[:limit]:
        role = effective_project_role(ws_role, pm_role)
        if role is not None:
            items.append(_project_read(project, role))
    next_cursor = (
        encode_cursor([str(rows[limit - 1][0].id)], scope="projects") if len(rows) > limit else None
    )
    return Page(items=items, next_cursor=next_cursor)


async def get_project(
    session: AsyncSession, principal: Principal, *, project_id: UUID
) -> ProjectRead:
    access = await access_project(session, principal, project_id, Action.PROJECT_READ)
    return _project_read(access.project, access.role)


async def update_project(
    session: AsyncSession, principal: Principal, *, project_id: UUID, data: ProjectUpdate
) -> ProjectRead:
    access = await access_project(
        session, principal, project_id, Action.PROJECT_UPDATE, for_update=True
    )
    project = access.project
    sent = data.model_dump(exclude_unset=True)
    before = {
        "name": project.name,
        "description": project.description,
        "archived": project.archived_at is not None,
    }
    changes = events.diff(before, {**before, **sent})
    if changes:
        if "name" in sent:
            project.name = sent["name"]
        if "description" in sent:
            project.description = sent["description"]
        if "archived" in changes:
            project.archived_at = utcnow() if sent["archived"] else None
        project.version += 1
        _record(session, principal, project, EventType.PROJECT_UPDATED, project.id, changes)
        await session.flush()
    return _project_read(project, access.role)


async def delete_project(session: AsyncSession, principal: Principal, *, project_id: UUID) -> None:
    """Delete a project with its statuses, labels, tasks and comments (the history stays)."""
    access = await access_project(
        session, principal, project_id, Action.PROJECT_DELETE, for_update=True
    )
    project = access.project
    _record(
        session,
        principal,
        project,
        EventType.PROJECT_DELETED,
        project.id,
        {"name": {"from": project.name, "to": None}, "key": {"from": project.key, "to": None}},
    )
    # Tasks reference statuses without cascade; remove them first so nothing is left dangling.
    await session.execute(
        update(Task)
        .where(Task.project_id == project.id, Task.parent_id.is_not(None))
        .values(parent_id=None)
    )
    await session.execute(delete(Task).where(Task.project_id == project.id))
    await session.delete(project)


# --- statuses ------------------------------------------------------------------------------


def _status_read(status: Status) -> StatusRead:
    return StatusRead(
        id=status.id,
        project_id=status.project_id,
        name=status.name,
        category=StatusCategory(status.category),
        color=status.color,
        position=status.position,
    )


async def _statuses(session: AsyncSession, project_id: UUID) -> list[Status]:
    return list(
        (
            await session.scalars(
                select(Status)
                .where(Status.project_id == project_id)
                .order_by(Status.position, Status.id)
            )
        ).all()
    )


def _renumber(statuses: list[Status]) -> None:
    for i, status in enumerate(statuses):
        if status.position != i:
            status.position = i


def _check_status_name(statuses: list[Status], name: str, exclude: UUID | None = None) -> None:
    if any(s.name.lower() == name.lower() and s.id != exclude for s in statuses):
        raise Conflict(f"A status named {name!r} exists.", code="status_name_taken")


async def list_statuses(
    session: AsyncSession, principal: Principal, *, project_id: UUID
) -> Page[StatusRead]:
    await access_project(session, principal, project_id, Action.PROJECT_READ)
    return Page(items=[_status_read(s) for s in await _statuses(session, project_id)])


async def create_status(
    session: AsyncSession, principal: Principal, *, project_id: UUID, data: StatusCreate
) -> StatusRead:
    access = await access_project(
        session, principal, project_id, Action.WORKFLOW_MANAGE, for_update=True
    )
    statuses = await _statuses(session, project_id)
    if len(statuses) >= MAX_STATUSES:
        raise Conflict(
            f"A project can have at most {MAX_STATUSES} statuses; remove one first.",
            code="too_many_statuses",
        )
    _check_status_name(statuses, data.name)
    status = Status(
        project_id=project_id,
        name=data.name,
        category=data.category,
        color=data.color,
        position=len(statuses),
    )
    session.add(status)
    await session.flush()
    index = len(statuses) if data.position is None else min(data.position, len(statuses))
    statuses.insert(index, status)
    _renumber(statuses)
    _record(
        session,
        principal,
        access.project,
        EventType.STATUS_CREATED,
        status.id,
        events.created(
            {
                "name": status.name,
                "category": status.category,
                "color": status.color,
                "position": index,
            }
        ),
    )
    await session.flush()
    return _status_read(status)


async def _get_status(session: AsyncSession, project_id: UUID, status_id: UUID) -> Status:
    status = await session.get(Status, status_id)
    if status is None or status.project_id != project_id:
        raise NotFound("No such status in this project.")
    return status


def _completion_rule(category: str, now: datetime) -> ColumnElement[Any]:
    """completed_at for tasks entering `category`, as SQL: see workflow.completed_at_after_move."""
    if category == StatusCategory.DONE:
        return func.coalesce(Task.completed_at, literal(now, UTCDateTime()))
    return null()


async def update_status(
    session: AsyncSession,
    principal: Principal,
    *,
    project_id: UUID,
    status_id: UUID,
    data: StatusUpdate,
) -> StatusRead:
    access = await access_project(
        session, principal, project_id, Action.WORKFLOW_MANAGE, for_update=True
    )
    statuses = await _statuses(session, project_id)
    status = next((s for s in statuses if s.id == status_id), None)
    if status is None:
        raise NotFound("No such status in this project.")
    sent = data.model_dump(exclude_unset=True)
    if "name" in sent:
        _check_status_name(statuses, sent["name"], exclude=status.id)
    before = {
        "name": status.name,
        "category": status.category,
        "color": status.color,
        "position": status.position,
    }
    if "position" in sent:
        statuses.remove(status)
        statuses.insert(min(sent["position"], len(statuses)), status)
        _renumber(statuses)
    for name in ("name", "category", "color"):
        if name in sent:
            setattr(status, name, str(sent[name]))
    after = {
        "name": status.name,
        "category": status.category,
        "color": status.color,
        "position": status.position,
    }
    changes = events.diff(before, after)
    done_before = before["category"] == StatusCategory.DONE
    if "category" in changes and done_before != (status.category == StatusCategory.DONE):
        require_unarchived(access.project)
        # Only tasks whose completed_at changes are touched: a new version on an unchanged
        # task would fail its editors' If-Match for nothing.
        now = utcnow()
        await session.execute(
            update(Task)
            .where(
                Task.status_id == status.id,
                Task.completed_at.is_not(None) if done_before else Task.completed_at.is_(None),
            )
            .values(
                completed_at=_completion_rule(status.category, now),
                version=Task.version + 1,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
    if changes:
        _record(session, principal, access.project, EventType.STATUS_UPDATED, status.id, changes)
        await session.flush()
    return _status_read(status)


async def delete_status(
    session: AsyncSession,
    principal: Principal,
    *,
    project_id: UUID,
    status_id: UUID,
    move_to: UUID | None,
) -> None:
    """Remove a status, moving its tasks (trashed ones too) to `move_to`, or by default to the
    first other status of the same category, else the first status."""
    access = await access_project(
        session, principal, project_id, Action.WORKFLOW_MANAGE, for_update=True
    )
    statuses = await _statuses(session, project_id)
    status = next((s for s in statuses if s.id == status_id), None)
    if status is None:
        raise NotFound("No such status in this project.")
    require_unarchived(access.project)
    others = [s for s in statuses if s.id != status.id]
    if not others:
        raise Conflict("A project needs at least one status.", code="last_status")
    if move_to is not None:
        target = next((s for s in others if s.id == move_to), None)
        if target is None:
            raise ValidationFailed.for_field("move_to", "Choose another status of this project.")
    else:
        target = next((s for s in others if s.category == status.category), others[0])
    # The project row is locked FOR UPDATE (above): no task write of the project runs until
    # this commits, and those that waited see the status gone. The live tasks join the end
    # of the target column in their order, each with its own key; trashed ones get a key
    # when restored.
    now = utcnow()
    live = list(
        (
            await session.scalars(
                select(Task.id)
                .where(Task.status_id == status.id, Task.deleted_at.is_(None))
                .order_by(Task.position, Task.id)
            )
        ).all()
    )
    keys = await positions.place(
        session,
        positions.Writer(principal.user_id, access.project),
        target.id,
        count=len(live),
    )
    if live:
        await session.execute(
            update(Task),
            [{"id": task_id, "position": key} for task_id, key in zip(live, keys, strict=True)],
        )
    moved = await session.execute(
        update(Task)
        .where(Task.status_id == status.id)
        .values(
            status_id=target.id,
            completed_at=_completion_rule(target.category, now),
            version=Task.version + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    count = int(getattr(moved, "rowcount", 0) or 0)
    await session.delete(status)
    await session.flush()
    _renumber(others)
    _record(
        session,
        principal,
        access.project,
        EventType.STATUS_DELETED,
        status.id,
        {"name": {"from": status.name, "to": None}},
        moved_to=target.id,
        moved_tasks=count,
    )


# --- labels --------------------------------------------------------------------------------


def _label_read(label: Label) -> LabelRead:
    return LabelRead(id=label.id, project_id=label.project_id, name=label.name, color=label.color)


async def _check_label_name(
    session: AsyncSession, project_id: UUID, name: str, exclude: UUID | None = None
) -> None:
    stmt = select(Label.id).where(
        Label.project_id == project_id, func.lower(Label.name) == func.lower(name)
    )
    if exclude is not None:
        stmt = stmt.where(Label.id != exclude)
    if await session.scalar(stmt) is not None:
        raise Conflict(f"A label named {name!r} exists.", code="label_name_taken")


async def list_labels(
    session: AsyncSession, principal: Principal, *, project_id: UUID
) -> Page[LabelRead]:
    await access_project(session, principal, project_id, Action.PROJECT_READ)
    labels = await session.scalars(
        select(Label).where(Label.project_id == project_id).order_by(func.lower(Label.name))
    )
    return Page(items=[_label_read(lb) for lb in labels])


async def create_label(
    session: AsyncSession, principal: Principal, *, project_id: UUID, data: LabelCreate
) -> LabelRead:
    access = await access_project(
        session, principal, project_id, Action.LABEL_CREATE, for_update=True
    )
    # Counted under the project's row lock, so concurrent creates cannot pass the limit.
    count = await session.scalar(
        select(func.count()).select_from(Label).where(Label.project_id == project_id)
    )
    if (count or 0) >= MAX_LABELS:
        raise Conflict(
            f"A project can have at most {MAX_LABELS} labels; delete one first.",
            code="too_many_labels",
        )
    await _check_label_name(session, project_id, data.name)
    label = Label(project_id=project_id, name=data.name, color=data.color)
    session.add(label)
    await session.flush()
    _record(
        session,
        principal,
        access.project,
        EventType.LABEL_CREATED,
        label.id,
        events.created({"name": label.name, "color": label.color}),
    )
    return _label_read(label)


async def _get_label(session: AsyncSession, project_id: UUID, label_id: UUID) -> Label:
    label = await session.get(Label, label_id)
    if label is None or label.project_id != project_id:
        raise NotFound("No such label in this project.")
    return label


async def update_label(
    session: AsyncSession,
    principal: Principal,
    *,
    project_id: UUID,
    label_id: UUID,
    data: LabelUpdate,
) -> LabelRead:
    access = await access_project(
        session, principal, project_id, Action.LABEL_MANAGE, for_update=True
    )
    label = await _get_label(session, project_id, label_id)
    sent = data.model_dump(exclude_unset=True)
    if "name" in sent:
        await _check_label_name(session, project_id, sent["name"], exclude=label.id)
    before = {"name": label.name, "color": label.color}
    changes = events.diff(before, {**before, **sent})
    if changes:
        for name, value in sent.items():
            setattr(label, name, value)
        _record(session, principal, access.project, EventType.LABEL_UPDATED, label.id, changes)
        await session.flush()
    return _label_read(label)


async def delete_label(
    session: AsyncSession, principal: Principal, *, project_id: UUID, label_id: UUID
) -> None:
    access = await access_project(
        session, principal, project_id, Action.LABEL_MANAGE, for_update=True
    )
    label = await _get_label(session, project_id, label_id)
    _record(
        session,
        principal,
        access.project,
        EventType.LABEL_DELETED,
        label.id,
        {"name": {"from": label.name, "to": None}},
    )
    await session.delete(label)


# --- project members -----------------------------------------------------------------------


async def list_members(
    session: AsyncSession, principal: Principal, *, project_id: UUID
) -> Page[ProjectMemberRead]:
    access = await access_project(session, principal, project_id, Action.PROJECT_READ)
    rows = (
        await session.execute(
            select(ProjectMember, User, WorkspaceMember.role)
            .join(User, User.id == ProjectMember.user_id)
            .join(
                WorkspaceMember,
                (WorkspaceMember.user_id == User.id)
                & (WorkspaceMember.workspace_id == access.project.workspace_id),
            )
            .where(ProjectMember.project_id == project_id)
            .order_by(User.name, User.id)
        )
    ).all()
    with_email = workspace_can(access.workspace_role, Action.MEMBER_EMAILS_READ)
    return Page(items=[_member_read(m, u, ws, with_email=with_email) for m, u, ws in rows])


async def list_people(
    session: AsyncSession, principal: Principal, *, project_id: UUID
) -> Page[PersonRead]:
    access = await access_project(session, principal, project_id, Action.PEOPLE_READ)
    with_email = workspace_can(access.workspace_role, Action.MEMBER_EMAILS_READ)
    users = await session.scalars(project_people(access.project))
    return Page(
        items=[
            PersonRead(
                user_id=u.id,
                name=u.name,
                initials=initials(u.name),
                email=u.email if with_email else None,
                handle=u.handle,
                avatar_color=u.avatar_color,
            )
            for u in users
        ]
    )


def _member_read(
    member: ProjectMember, user: User, ws_role: str, *, with_email: bool = True
) -> ProjectMemberRead:
    return ProjectMemberRead(
        user_id=user.id,
        email=user.email if with_email else None,
        name=user.name,
        role=ProjectRole(member.role),
        workspace_role=WorkspaceRole(ws_role),
    )


async def add_member(
    session: AsyncSession, principal: Principal, *, project_id: UUID, data: ProjectMemberAdd
) -> ProjectMemberRead:
    access = await access_project(
        session, principal, project_id, Action.PROJECT_MEMBERS_MANAGE, for_update=True
    )
    row = (
        await session.execute(
            select(User, WorkspaceMember.role)
            .join(WorkspaceMember, WorkspaceMember.user_id == User.id)
            .where(
                User.id == data.user_id, WorkspaceMember.workspace_id == access.project.workspace_id
            )
        )
    ).one_or_none()
    if row is None:
        raise ValidationFailed.for_field(
            "user_id", "Add the user to the workspace first.", code="not_workspace_member"
        )
    if await session.get(ProjectMember, (project_id, data.user_id)) is not None:
        raise Conflict("That user already has a role in this project.", code="already_member")
    member = ProjectMember(project_id=project_id, user_id=data.user_id, role=data.role)
    session.add(member)
    _record(
        session,
        principal,
        access.project,
        EventType.PROJECT_MEMBER_ADDED,
        data.user_id,
        events.created({"user_id": data.user_id, "role": data.role}),
    )
    await session.flush()
    return _member_read(member, row[0], row[1])


async def _get_member(
    session: AsyncSession, access: ProjectAccess, user_id: UUID
) -> tuple[ProjectMember, User, str]:
    row = (
        await session.execute(
            select(ProjectMember, User, WorkspaceMember.role)
            .join(User, User.id == ProjectMember.user_id)
            .join(
                WorkspaceMember,
                (WorkspaceMember.user_id == User.id)
                & (WorkspaceMember.workspace_id == access.project.workspace_id),
            )
            .where(ProjectMember.project_id == access.project.id, ProjectMember.user_id == user_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("That user has no role in this project.")
    return row[0], row[1], row[2]


async def update_member(
    session: AsyncSession,
    principal: Principal,
    *,
    project_id: UUID,
    user_id: UUID,
    data: ProjectMemberUpdate,
) -> ProjectMemberRead:
    access = await access_project(
        session, principal, project_id, Action.PROJECT_MEMBERS_MANAGE, for_update=True
    )
    member, user, ws_role = await _get_member(session, access, user_id)
    if member.role != data.role:
        _record(
            session,
            principal,
            access.project,
            EventType.PROJECT_MEMBER_UPDATED,
            user_id,
            {"role": {"from": member.role, "to": data.role.value}},
        )
        member.role = data.role
        await session.flush()
    return _member_read(member, user, ws_role)


async def remove_member(
    session: AsyncSession, principal: Principal, *, project_id: UUID, user_id: UUID
) -> None:
    access = await access_project(
        session, principal, project_id, Action.PROJECT_MEMBERS_MANAGE, for_update=True
    )
    member, _, ws_role = await _get_member(session, access, user_id)
    unassigned = 0
    if ws_role == WorkspaceRole.GUEST.value:
        # A guest sees only the projects that give them a role: they leave this one's tasks.
        # The project row is locked FOR UPDATE (above), so no assignment is half-way through.
        unassigned = await unassign(session, user_id, [access.project.id])
    _record(
        session,
        principal,
        access.project,
        EventType.PROJECT_MEMBER_REMOVED,
        user_id,
        {"role": {"from": member.role, "to": None}},
        unassigned_tasks=unassigned,
    )
    await session.delete(member)


async def unassign(session: AsyncSession, user_id: UUID, project_ids: list[UUID]) -> int:
    """Take a user off every task of these projects; the number of tasks they left."""
    tasks = select(Task.id).where(Task.project_id.in_(project_ids))
    result = await session.execute(
        delete(TaskAssignee)
        .where(TaskAssignee.user_id == user_id, TaskAssignee.task_id.in_(tasks))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
