"""Tasks: keys, ordering, optimistic concurrency, subtasks, relations, trash and history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from tasklane.auth.principal import Principal
from tasklane.authz.access import (
    ProjectAccess,
    ProjectLock,
    ScopedRef,
    StatusRow,
    access_project,
    access_project_statuses,
    access_task,
    require_unarchived,
    visible_project_ids,
)
from tasklane.authz.roles import Action, WorkspaceRole
from tasklane.errors import (
    Conflict,
    NotFound,
    PreconditionFailed,
    TasklaneError,
    ValidationFailed,
)
from tasklane.events import service as events
from tasklane.events.types import EventType
from tasklane.insights import transitions
from tasklane.kit import keyset
from tasklane.kit.clock import utcnow
from tasklane.kit.ids import new_id
from tasklane.kit.pagination import Page, decode_cursor, encode_cursor
from tasklane.kit.sql import table
from tasklane.models import Label as LabelRow
from tasklane.models import (
    Project,
    ProjectMember,
    Status,
    Task,
    TaskAssignee,
    TaskLabel,
    TaskRelation,
    TaskWatcher,
    WorkspaceMember,
)
from tasklane.notifications.mentions import mentioned
from tasklane.projects.workflow import StatusCategory, completed_at_after_move
from tasklane.tasks import positions, queries
from tasklane.tasks.schemas import (
    BulkFailure,
    BulkResult,
    BulkUpdate,
    Priority,
    RelatedTask,
    RelationCreate,
    RelationRead,
    RelationType,
    TaskCreate,
    TaskMove,
    TaskRead,
    TaskUpdate,
)

MAX_PARENT_DEPTH = 50
MAX_RELATIONS = 200
"""Relations one task may have, counting both ends: the relation list is not paginated, so
this keeps it to one page at most (pagination's MAX_LIMIT)."""

# How each relation type is stored (source, target order) and shown from either end.
_STORED = {
    RelationType.BLOCKS: (RelationType.BLOCKS, False),
    RelationType.BLOCKED_BY: (RelationType.BLOCKS, True),
    RelationType.RELATES_TO: (RelationType.RELATES_TO, False),
    RelationType.DUPLICATES: (RelationType.DUPLICATES, False),
    RelationType.DUPLICATED_BY: (RelationType.DUPLICATES, True),
}
_INVERSE = {
    RelationType.BLOCKS: RelationType.BLOCKED_BY,
    RelationType.RELATES_TO: RelationType.RELATES_TO,
    RelationType.DUPLICATES: RelationType.DUPLICATED_BY,
}


def _key(project: Project, task: Task) -> str:
    return f"{project.key}-{task.number}"


def task_read(task: Task, project: Project, assignees: list[UUID], labels: list[UUID]) -> TaskRead:
    return TaskRead(
        id=task.id,
        key=_key(project, task),
        number=task.number,
        project_id=task.project_id,
        title=task.title,
        description=task.description,
        status_id=task.status_id,
        priority=Priority.from_rank(task.priority),
        assignee_ids=assignees,
        label_ids=labels,
        start_date=task.start_date,
        due_date=task.due_date,
        estimate=task.estimate,
        parent_id=task.parent_id,
        position=task.position,
        version=task.version,
        created_by=task.created_by,
        created_at=task.created_at,
        updated_at=task.updated_at,
        completed_at=task.completed_at,
        deleted_at=task.deleted_at,
    )


async def _read_one(session: AsyncSession, task: Task, project: Project) -> TaskRead:
    links = await queries.load_links(session, [task.id])
    return task_read(task, project, links.assignees.get(task.id, []), links.labels.get(task.id, []))


async def public_task(session: AsyncSession, task_id: UUID) -> TaskRead | None:
    """A task as the API shows it, read without a caller (for webhooks: they decide access)."""
    row = (
        await session.execute(
            select(Task, Project)
            .join(Project, Project.id == Task.project_id)
            .where(Task.id == task_id)
        )
    ).first()
    return await _read_one(session, row[0], row[1]) if row is not None else None


def check_version(task: Task, if_match: int | None) -> None:
    if if_match is not None and if_match != task.version:
        raise PreconditionFailed(
            f"The task changed since version {if_match}; it is now at version {task.version}.",
            code="version_mismatch",
        )


# --- validation of references --------------------------------------------------------------


async def _status_in_project(session: AsyncSession, project_id: UUID, status_id: UUID) -> Status:
    status = await session.get(Status, status_id)
    if status is None or status.project_id != project_id:
        raise ValidationFailed.for_field("status_id", "No such status in this project.")
    return status


async def _status_after_wait(
    session: AsyncSession, project_id: UUID, status_id: UUID | None
) -> StatusRow:
    """The status a new task starts in, read again after the project's lock was granted."""
    rows = await session.execute(
        select(Status.id, Status.position, Status.category)
        .where(Status.project_id == project_id)
        .order_by(Status.position, Status.id)
    )
    status = _create_status([StatusRow(*row) for row in rows], status_id)
    await positions.lock_columns(session, [status.id])
    return status


def _create_status(statuses: list[StatusRow], status_id: UUID | None) -> StatusRow:
    """The status a new task starts in: the one asked for, which must be the project's, or
    the first not-started one in board order, or else the first."""
    if status_id is not None:
        for status in statuses:
            if status.id == status_id:
                return status
        raise ValidationFailed.for_field("status_id", "No such status in this project.")
    if not statuses:
        raise Conflict("The project has no statuses.", code="no_statuses")
    for status in statuses:
        if status.category == StatusCategory.UNSTARTED:
            return status
    return statuses[0]


async def _check_assignees(session: AsyncSession, project: Project, user_ids: list[UUID]) -> None:
    """Assignees must be able to see the project."""
    if not user_ids:
        return
    pm = aliased(ProjectMember)
    rows = await session.scalars(
        select(WorkspaceMember.user_id)
        .outerjoin(pm, and_(pm.user_id == WorkspaceMember.user_id, pm.project_id == project.id))
        .where(
            WorkspaceMember.workspace_id == project.workspace_id,
            WorkspaceMember.user_id.in_(user_ids),
            or_(WorkspaceMember.role != WorkspaceRole.GUEST.value, pm.role.is_not(None)),
        )
    )
    missing = set(user_ids) - set(rows.all())
    if missing:
        raise ValidationFailed.for_field(
            "assignee_ids",
            f"Not members of this project: {', '.join(sorted(map(str, missing)))}.",
            code="not_project_member",
        )


async def _check_labels(session: AsyncSession, project_id: UUID, label_ids: list[UUID]) -> None:
    if not label_ids:
        return
    found = set(
        (
            await session.scalars(
                select(LabelRow.id).where(
                    LabelRow.project_id == project_id, LabelRow.id.in_(label_ids)
                )
            )
        ).all()
    )
    missing = set(label_ids) - found
    if missing:
        raise ValidationFailed.for_field(
            "label_ids", f"Not labels of this project: {', '.join(sorted(map(str, missing)))}."
        )


async def _check_parent(
    session: AsyncSession, project_id: UUID, parent_id: UUID, task_id: UUID | None
) -> None:
    parent = await session.get(Task, parent_id)
    if parent is None or parent.project_id != project_id or parent.deleted_at is not None:
        raise ValidationFailed.for_field("parent_id", "No such task in this project.")
    if task_id is None:
        return
    # Walk up from the new parent; meeting the task itself would close a cycle.
    ancestors = (
        select(Task.id, Task.parent_id, literal(1, Integer).label("depth"))
        .where(Task.id == parent_id)
        .cte("ancestors", recursive=True)
    )
    ancestors = ancestors.union_all(
        select(Task.id, Task.parent_id, ancestors.c.depth + 1)
        .join(ancestors, Task.id == ancestors.c.parent_id)
        .where(ancestors.c.depth < MAX_PARENT_DEPTH)
    )
    ids = set((await session.scalars(select(ancestors.c.id))).all())
    if task_id in ids:
        raise ValidationFailed.for_field(
            "parent_id", "A task cannot be its own ancestor.", code="parent_cycle"
        )


# --- create, read, list ----------------------------------------------------------------------


_TASKS = table(Task)
_PROJECTS = table(Project)
_INSERT_TASK = insert(_TASKS)
_INSERT_ASSIGNEES = insert(table(TaskAssignee))
_INSERT_LABELS = insert(table(TaskLabel))
_INSERT_WATCHERS = insert(table(TaskWatcher))
_TAKE_NUMBER = {
    end: update(_PROJECTS)
    .where(_PROJECTS.c.id == bindparam("project_id"))
    .values(task_counter=_PROJECTS.c.task_counter + 1)
    .returning(
        _PROJECTS.c.task_counter,
        queries.column_edge_select(bindparam("status_id"), last=end == "bottom").scalar_subquery(),
    )
    for end in ("top", "bottom")
}
"""The project's next task number, and the key at the top or bottom of the new task's column."""


async def create_task(
    session: AsyncSession, principal: Principal, *, project_id: UUID, data: TaskCreate
) -> TaskRead:
    # FOR NO KEY UPDATE on the project: creates take the next number one at a time, and
    # wait for the project's other task writes (docs/architecture.md, "Locking").
    # The project's statuses come with the access check: one statement.
    access, statuses = await access_project_statuses(
        session, principal, project_id, Action.TASK_CREATE, lock="write"
    )
    require_unarchived(access.project)
    project = access.project
    status = _create_status(statuses, data.status_id)
    # On PostgreSQL the statuses above are as they were before the project lock was granted:
    # the column lock reads the chosen one again, now (a status deleted or recategorised by
    # the writer we waited for).
    locked = await positions.lock_columns(session, [status.id])
    if locked is not None and locked.get(status.id) != status.category:
        status = await _status_after_wait(session, project_id, data.status_id)
    await _check_assignees(session, project, data.assignee_ids)
    await _check_labels(session, project_id, data.label_ids)
    if data.parent_id is not None:
        await _check_parent(session, project_id, data.parent_id, None)

    # The project row is locked (above), so numbers have no gaps or repeats; the column is
    # locked too (on SQLite the whole file), so its edge is read in the same statement.
    slot = positions.TOP if data.placement == "top" else positions.BOTTOM
    number, edge = (
        await session.execute(
            _TAKE_NUMBER[slot.end], {"project_id": project_id, "status_id": status.id}
        )
    ).one()
    set_committed_value(project, "task_counter", number)
    position = await positions.place_at_edge(
        session, positions.Writer(principal.user_id, project), status.id, slot, edge
    )
    now = utcnow()
    # Core statements, prepared once: the ORM's unit of work and bulk paths cost more than
    # the statements themselves (issue 11's profile of a create).
    task = Task(
        id=new_id(),
        project_id=project_id,
        number=number,
        title=data.title,
        description=data.description,
        attachment_names="",
        status_id=status.id,
        priority=data.priority.rank,
        start_date=data.start_date,
        due_date=data.due_date,
        estimate=data.estimate,
        parent_id=data.parent_id,
        position=position,
        version=1,
        created_by=principal.user_id,
        created_at=now,
        updated_at=now,
        completed_at=completed_at_after_move(status.category, None, now),
        deleted_at=None,
    )
    await session.execute(_INSERT_TASK, {c.key: getattr(task, c.key) for c in _TASKS.columns})
    if data.assignee_ids:
        await session.execute(
            _INSERT_ASSIGNEES, [{"task_id": task.id, "user_id": u} for u in data.assignee_ids]
        )
    if data.label_ids:
        await session.execute(
            _INSERT_LABELS, [{"task_id": task.id, "label_id": lb} for lb in data.label_ids]
        )
    watchers = dict.fromkeys([principal.user_id, *data.assignee_ids])
    await session.execute(_INSERT_WATCHERS, [{"task_id": task.id, "user_id": u} for u in watchers])
    read = task_read(task, project, sorted(data.assignee_ids), sorted(data.label_ids))
    events.record(
        session,
        EventType.TASK_CREATED,
        actor_id=principal.user_id,
        workspace_id=project.workspace_id,
        project_id=project_id,
        task_id=task.id,
        entity_id=task.id,
        changes=events.created(_snapshot(read)),
        key=read.key,
        **await _mentions(session, project, read.description),
    )
    return read


async def _mentions(
    session: AsyncSession, project: Project, description: str, before: str = ""
) -> dict[str, list[UUID]]:
    """The event's `mentions` (notifications.mentions), when the description has new ones."""
    found = await mentioned(session, project, description, before=before)
    return {"mentions": found} if found else {}


_TRACKED = (
    "title",
    "description",
    "status_id",
    "priority",
    "assignee_ids",
    "label_ids",
    "start_date",
    "due_date",
    "estimate",
    "parent_id",
)


def _snapshot(read: TaskRead) -> dict[str, Any]:
    return {name: getattr(read, name) for name in _TRACKED}


# --- change --------------------------------------------------------------------------------


async def _writable_task(
    session: AsyncSession,
    principal: Principal,
    ref: str,
    action: Action,
    *,
    deleted: bool = False,
    lock: ProjectLock = "share",
    columns: Sequence[UUID] = (),
    own_column: bool = False,
) -> tuple[Task, ProjectAccess]:
    """The task, locked for a change, in the order every write locks (docs/architecture.md,
    "Locking"): its project row (`lock`), then the status columns the write places it in
    (`columns`, and its current one with `own_column`), then the task row itself."""
    task, access = await access_task(
        session, principal, ref, action, include_deleted=deleted, lock=lock
    )
    require_unarchived(access.project)
    await positions.lock_columns(session, [*columns, *([task.status_id] if own_column else [])])
    locked = await session.scalar(
        select(Task)
        .where(Task.id == task.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked is None or (locked.deleted_at is not None and not deleted):
        raise NotFound("No such task.")
    return locked, access


def _project_lock(data: TaskUpdate) -> ProjectLock:
    """A new parent is checked against the whole tree of the project: parent changes take the
    project for themselves, so two of them cannot close a cycle together."""
    return "write" if data.parent_id is not None else "share"


async def update_task(
    session: AsyncSession,
    principal: Principal,
    *,
    ref: str,
    data: TaskUpdate,
    if_match: int | None,
    project_id: UUID | None = None,
) -> TaskRead:
    """`project_id`, when given, is the project the task must belong to (bulk changes)."""
    task, access = await _writable_task(
        session,
        principal,
        ref,
        Action.TASK_UPDATE,
        lock=_project_lock(data),
        columns=[data.status_id] if data.status_id is not None else [],
    )
    if project_id is not None and task.project_id != project_id:
        raise NotFound("No such task.")
    check_version(task, if_match)
    project = access.project
    sent = data.model_dump(exclude_unset=True)
    before = await _read_one(session, task, project)
    if "start_date" in sent or "due_date" in sent:
        start = sent.get("start_date", task.start_date)
        due = sent.get("due_date", task.due_date)
        if start is not None and due is not None and start > due:
            raise ValidationFailed.for_field("due_date", "due_date must not be before start_date.")
    now = utcnow()
    entered: str | None = None  # the category of the status the task enters, if it moves
    if "status_id" in sent and sent["status_id"] != task.status_id:
        status = await _status_in_project(session, project.id, sent["status_id"])
        entered = status.category
        (task.position,) = await positions.place(
            session, positions.Writer(principal.user_id, project), status.id, moving=task.id
        )
        task.status_id = status.id
        task.completed_at = completed_at_after_move(status.category, task.completed_at, now)
    if "assignee_ids" in sent and set(sent["assignee_ids"]) != set(before.assignee_ids):
        await _check_assignees(session, project, sent["assignee_ids"])
        await _replace_links(session, TaskAssignee, "user_id", task.id, sent["assignee_ids"])
        new_watchers = set(sent["assignee_ids"]) - set(before.assignee_ids)
        await _add_watchers(session, task.id, new_watchers)
    if "label_ids" in sent and set(sent["label_ids"]) != set(before.label_ids):
        await _check_labels(session, project.id, sent["label_ids"])
        await _replace_links(session, TaskLabel, "label_id", task.id, sent["label_ids"])
    if sent.get("parent_id") is not None and sent["parent_id"] != task.parent_id:
        await _check_parent(session, project.id, sent["parent_id"], task.id)
    for name in ("title", "description", "start_date", "due_date", "estimate", "parent_id"):
        if name in sent:
            setattr(task, name, sent[name])
    if "priority" in sent:
        task.priority = Priority(sent["priority"]).rank
    after = task_read(
        task,
        project,
        sorted(sent.get("assignee_ids", before.assignee_ids)),
        sorted(sent.get("label_ids", before.label_ids)),
    )
    changes = events.diff(_snapshot(before), _normalised(_snapshot(after), before))
    if not changes:
        return before
    task.version += 1
    task.updated_at = now
    await session.flush()
    after.version, after.updated_at = task.version, task.updated_at
    after.position, after.completed_at = task.position, task.completed_at
    event = events.record(
        session,
        EventType.TASK_UPDATED,
        actor_id=principal.user_id,
        workspace_id=project.workspace_id,
        project_id=project.id,
        task_id=task.id,
        entity_id=task.id,
        changes=changes,
        key=after.key,
        version=task.version,
        **(
            await _mentions(session, project, after.description, before.description)
            if "description" in changes
            else {}
        ),
    )
    if entered is not None:
        await transitions.record(session, event, entered)
    return after


async def update_tasks(
    session: AsyncSession, principal: Principal, *, project_id: UUID, data: BulkUpdate
) -> BulkResult:
    """Several task changes in one request, each on its own: a change that fails (a stale
    version, a task of another project, a bad value) changes nothing and is reported, and the
    others go through. Each changed task gets its own event."""
    # Everything the items lock, taken up front in the global order, so two bulk changes
    # (or a bulk change and a single one) cannot each hold what the other waits for.
    lock: ProjectLock = "share"
    if any(_project_lock(item.changes) == "write" for item in data.items):
        lock = "write"
    await access_project(session, principal, project_id, Action.TASK_UPDATE, lock=lock)
    await positions.lock_columns(
        session, [i.changes.status_id for i in data.items if i.changes.status_id is not None]
    )
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            select(Task.id)
            .where(Task.id.in_([i.id for i in data.items]), Task.project_id == project_id)
            .order_by(Task.id)
            .with_for_update()
        )
    updated: list[TaskRead] = []
    failed: list[BulkFailure] = []
    for item in data.items:
        try:
            async with events.savepoint(session):
                task = await update_task(
                    session,
                    principal,
                    ref=str(item.id),
                    data=item.changes,
                    if_match=item.version,
                    project_id=project_id,
                )
        except TasklaneError as exc:
            failed.append(
                BulkFailure(id=item.id, status=exc.status, code=exc.code, detail=exc.detail)
            )
        else:
            updated.append(task)
    return BulkResult(updated=updated, failed=failed)


def _normalised(after: dict[str, Any], before: TaskRead) -> dict[str, Any]:
    """Lists compare as sets: the same assignees in another order are no change."""
    for name in ("assignee_ids", "label_ids"):
        if set(after[name]) == set(getattr(before, name)):
            after[name] = getattr(before, name)
    return after


async def _replace_links(
    session: AsyncSession,
    model: type[TaskAssignee] | type[TaskLabel],
    column: str,
    task_id: UUID,
    values: list[UUID],
) -> None:
    await session.execute(delete(model).where(model.task_id == task_id))
    if values:
        await session.execute(insert(model), [{"task_id": task_id, column: v} for v in values])


async def _add_watchers(session: AsyncSession, task_id: UUID, user_ids: set[UUID]) -> None:
    if not user_ids:
        return
    existing = set(
        (
            await session.scalars(
                select(TaskWatcher.user_id).where(
                    TaskWatcher.task_id == task_id, TaskWatcher.user_id.in_(user_ids)
                )
            )
        ).all()
    )
    fresh = user_ids - existing
    if fresh:
        await session.execute(
            insert(TaskWatcher), [{"task_id": task_id, "user_id": u} for u in fresh]
        )


async def move_task(
    session: AsyncSession,
    principal: Principal,
    *,
    ref: str,
    data: TaskMove,
    if_match: int | None,
) -> TaskRead:
    """Place a task in a column between neighbours. Writes one task row, whatever the
    column's length (but for the rare rebalance, see tasks/positions.py). Moves into one
    column are serialised by its column lock."""
    task, access = await _writable_task(
        session, principal, ref, Action.TASK_UPDATE, columns=[data.status_id]
    )
    check_version(task, if_match)
    project = access.project
    status = await session.scalar(
        select(Status).where(Status.id == data.status_id, Status.project_id == project.id)
    )
    if status is None:
        raise ValidationFailed.for_field("status_id", "No such status in this project.")
    slot = positions.Slot(after_id=data.after_id, before_id=data.before_id)
    (position,) = await positions.place(
        session, positions.Writer(principal.user_id, project), status.id, slot, moving=task.id
    )
    before = {"status_id": task.status_id, "position": task.position}
    now = utcnow()
    task.status_id = status.id
    task.position = position
    task.completed_at = completed_at_after_move(status.category, task.completed_at, now)
    task.version += 1
    task.updated_at = now
    await session.flush()
    read = await _read_one(session, task, project)
    event = events.record(
        session,
        EventType.TASK_MOVED,
        actor_id=principal.user_id,
        workspace_id=project.workspace_id,
        project_id=project.id,
        task_id=task.id,
        entity_id=task.id,
        changes=events.diff(before, {"status_id": status.id, "position": position}),
        key=read.key,
        version=task.version,
    )
    await transitions.record(session, event, status.category)
    return read


# --- trash ---------------------------------------------------------------------------------


async def delete_task(
    session: AsyncSession, principal: Principal, *, ref: str, if_match: int | None
) -> None:
    """Move a task to its project's trash, where it can be restored for the retention period."""
    task, access = await _writable_task(session, principal, ref, Action.TASK_DELETE)
    check_version(task, if_match)
    now = utcnow()
    task.deleted_at = now
    task.version += 1
    task.updated_at = now
    events.record(
        session,
        EventType.TASK_DELETED,
        actor_id=principal.user_id,
        workspace_id=access.project.workspace_id,
        project_id=access.project.id,
        task_id=task.id,
        entity_id=task.id,
        changes={"deleted_at": {"from": None, "to": now.isoformat()}},
        key=_key(access.project, task),
    )


async def restore_task(
    session: AsyncSession, principal: Principal, *, ref: str, retention_days: int
) -> TaskRead:
    task, access = await _writable_task(
        session, principal, ref, Action.TASK_DELETE, deleted=True, own_column=True
    )
    if task.deleted_at is None:
        raise Conflict("The task is not in the trash.", code="not_deleted")
    now = utcnow()
    if task.deleted_at < now - timedelta(days=retention_days):
        raise Conflict("The task was deleted too long ago to restore.", code="trash_expired")
    deleted_at = task.deleted_at
    task.deleted_at = None
    task.version += 1
    task.updated_at = now
    # It comes back at the bottom of its column.
    (task.position,) = await positions.place(
        session, positions.Writer(principal.user_id, access.project), task.status_id, moving=task.id
    )
    await session.flush()
    events.record(
        session,
        EventType.TASK_RESTORED,
        actor_id=principal.user_id,
        workspace_id=access.project.workspace_id,
        project_id=access.project.id,
        task_id=task.id,
        entity_id=task.id,
        changes={"deleted_at": {"from": deleted_at.isoformat(), "to": None}},
        key=_key(access.project, task),
    )
    return await _read_one(session, task, access.project)


async def list_trash(
    session: AsyncSession, principal: Principal, *, project_id: UUID, limit: int, cursor: str | None
) -> Page[TaskRead]:
    access = await access_project(session, principal, project_id, Action.PROJECT_READ)
    columns = [
        keyset.SortColumn(Task.deleted_at, True, keyset.as_datetime),
        keyset.SortColumn(Task.id, False, keyset.as_uuid),
    ]
    stmt = select(Task).where(Task.project_id == project_id, Task.deleted_at.is_not(None))
    if cursor is not None:
        values = keyset.parse_values(columns, decode_cursor(cursor, scope="trash", size=2))
        stmt = stmt.where(keyset.after(columns, values))
    rows = (await session.scalars(stmt.order_by(*keyset.order_by(columns)).limit(limit + 1))).all()
    page = rows[:limit]
    links = await queries.load_links(session, [t.id for t in page])
    items = [
        task_read(t, access.project, links.assignees.get(t.id, []), links.labels.get(t.id, []))
        for t in page
    ]
    next_cursor = None
    if len(rows) > limit and page[-1].deleted_at is not None:
        next_cursor = encode_cursor(
            [page[-1].deleted_at.isoformat(), str(page[-1].id)], scope="trash"
        )
    return Page(items=items, next_cursor=next_cursor)


async def purge_trash(session: AsyncSession, *, retention_days: int) -> int:
    """Delete for good the tasks that have been in the trash longer than the retention period.
    A maintenance job: no principal, and no event for the tasks that go (their trashing was
    recorded). Their subtasks that stay lose their parent, each with an event of its own: the
    change shows in their history, on live boards and on cached pages (`kit.pagecache`)."""
    now = utcnow()
    cutoff = now - timedelta(days=retention_days)
    going = select(Task.id).where(Task.deleted_at.is_not(None), Task.deleted_at < cutoff)
    orphans = await session.execute(
        select(Task, Project)
        .join(Project, Project.id == Task.project_id)
        .where(Task.parent_id.in_(going), Task.id.not_in(going))
        .order_by(Task.id)
    )
    for task, project in orphans.all():
        parent, task.parent_id = task.parent_id, None
        task.version += 1
        task.updated_at = now
        events.record(
            session,
            EventType.TASK_UPDATED,
            actor_id=None,
            workspace_id=project.workspace_id,
            project_id=project.id,
            task_id=task.id,
            entity_id=task.id,
            changes=events.diff({"parent_id": parent}, {"parent_id": None}),
            key=f"{project.key}-{task.number}",
            version=task.version,
        )
    await session.flush()
    result = await session.execute(
        delete(Task).where(Task.id.in_(going)).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- relations -----------------------------------------------------------------------------


async def list_relations(
    session: AsyncSession, principal: Principal, *, ref: str
) -> list[RelationRead]:
    task, _ = await access_task(session, principal, ref, Action.PROJECT_READ)
    other = aliased(Task)
    rows = (
        await session.execute(
            select(TaskRelation, other, Project.key)
            .join(
                other,
                or_(
                    and_(TaskRelation.source_id == task.id, other.id == TaskRelation.target_id),
                    and_(TaskRelation.target_id == task.id, other.id == TaskRelation.source_id),
                ),
            )
            .join(Project, Project.id == other.project_id)
            .where(
                other.deleted_at.is_(None),
                other.project_id.in_(visible_project_ids(principal.user_id)),
            )
            .order_by(TaskRelation.created_at, TaskRelation.id)
        )
    ).all()
    return [_relation_read(rel, task.id, o, key) for rel, o, key in rows]


def _relation_read(
    rel: TaskRelation, seen_from: UUID, other: Task, project_key: str
) -> RelationRead:
    stored = RelationType(rel.type)
    shown = stored if rel.source_id == seen_from else _INVERSE[stored]
    return RelationRead(
        id=rel.id,
        type=shown,
        task=RelatedTask(
            id=other.id,
            key=f"{project_key}-{other.number}",
            title=other.title,
            status_id=other.status_id,
        ),
        created_at=rel.created_at,
    )


async def _lock_related(session: AsyncSession, task: Task, other: Task) -> None:
    """Lock both tasks' rows, lower id first, so two requests relating the same pair from
    opposite ends queue instead of deadlocking; then check neither went to the trash."""
    rows = await session.execute(
        select(Task.id, Task.deleted_at)
        .where(Task.id.in_([task.id, other.id]))
        .order_by(Task.id)
        .with_for_update()
    )
    live = {task_id for task_id, deleted_at in rows.all() if deleted_at is None}
    if task.id not in live:
        raise NotFound("No such task.")
    if other.id not in live:
        raise ValidationFailed.for_field("task_id", "No such task.")


async def _check_relation_room(session: AsyncSession, tasks: list[tuple[Task, str]]) -> None:
    """Each of `tasks` (with its key) must have room for one more relation. The caller holds
    their row locks, so concurrent adds cannot pass the limit together."""
    for task, key in tasks:
        count = await session.scalar(
            select(func.count())
            .select_from(TaskRelation)
            .where(or_(TaskRelation.source_id == task.id, TaskRelation.target_id == task.id))
        )
        if (count or 0) >= MAX_RELATIONS:
            raise Conflict(
                f"{key} has {MAX_RELATIONS} relations, the most a task can have; remove one.",
                code="too_many_relations",
            )


async def add_relation(
    session: AsyncSession, principal: Principal, *, ref: str, data: RelationCreate
) -> RelationRead:
    # The project first (as every task write), then both task rows at once in a fixed order.
    task, access = await access_task(session, principal, ref, Action.TASK_UPDATE, lock="share")
    require_unarchived(access.project)
    try:
        other, other_access = await access_task(  # a key: within this task's workspace
            session,
            principal,
            ScopedRef(data.task_id, str(access.project.workspace_id)),
            Action.PROJECT_READ,
        )
    except NotFound as exc:
        raise ValidationFailed.for_field("task_id", "No such task.") from exc
    if other_access.project.workspace_id != access.project.workspace_id:
        raise ValidationFailed.for_field("task_id", "Related tasks must be in the same workspace.")
    if other.id == task.id:
        raise ValidationFailed.for_field("task_id", "A task cannot be related to itself.")
    await _lock_related(session, task, other)
    stored, flipped = _STORED[data.type]
    source, target = (other, task) if flipped else (task, other)
    pair = [(source.id, target.id)]
    if stored is RelationType.RELATES_TO:
        pair.append((target.id, source.id))
    duplicate = await session.scalar(
        select(TaskRelation.id).where(
            TaskRelation.type == stored.value,
            or_(*[and_(TaskRelation.source_id == s, TaskRelation.target_id == t) for s, t in pair]),
        )
    )
    if duplicate is not None:
        raise Conflict("These tasks already have this relation.", code="relation_exists")
    await _check_relation_room(
        session,
        [(task, _key(access.project, task)), (other, _key(other_access.project, other))],
    )
    relation = TaskRelation(
        source_id=source.id,
        target_id=target.id,
        type=stored.value,
        created_by=principal.user_id,
        created_at=utcnow(),
    )
    session.add(relation)
    await session.flush()
    events.record(
        session,
        EventType.TASK_RELATION_ADDED,
        actor_id=principal.user_id,
        workspace_id=access.project.workspace_id,
        project_id=access.project.id,
        task_id=task.id,
        entity_id=relation.id,
        changes={"relation": {"from": None, "to": {"type": data.type, "task_id": other.id}}},
    )
    return _relation_read(relation, task.id, other, other_access.project.key)


async def remove_relation(
    session: AsyncSession, principal: Principal, *, ref: str, relation_id: UUID
) -> None:
    task, access = await _writable_task(session, principal, ref, Action.TASK_UPDATE)
    relation = await session.get(TaskRelation, relation_id)
    if relation is None or task.id not in (relation.source_id, relation.target_id):
        raise NotFound("No such relation on this task.")
    other_id = relation.target_id if relation.source_id == task.id else relation.source_id
    await session.delete(relation)
    events.record(
        session,
        EventType.TASK_RELATION_REMOVED,
        actor_id=principal.user_id,
        workspace_id=access.project.workspace_id,
        project_id=access.project.id,
        task_id=task.id,
        entity_id=relation.id,
        changes={"relation": {"from": {"type": relation.type, "task_id": other_id}, "to": None}},
    )
