"""Invariants over the whole database that no interleaving of our writes may break."""

from __future__ import annotations

from uuid import UUID

from fastapi import FastAPI
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from tasklane.authz.roles import WorkspaceRole
from tasklane.kit.ordering import MAX_KEY_LENGTH
from tasklane.models import (
    Label,
    Project,
    ProjectMember,
    Status,
    Task,
    TaskAssignee,
    TaskLabel,
    WorkspaceMember,
)


async def broken_invariants(app: FastAPI) -> list[str]:
    """A description of each broken invariant; empty when all hold."""
    found: list[str] = []
    async with app.state.runtime.db.transaction(write=False) as s:
        dup = (
            await s.execute(
                select(Task.status_id, Task.position, func.count())
                .where(Task.deleted_at.is_(None))
                .group_by(Task.status_id, Task.position)
                .having(func.count() > 1)
            )
        ).all()
        if dup:
            found.append(f"ordering keys shared in a column: {dup}")
        longest = await s.scalar(select(func.max(func.length(Task.position))))
        if longest is not None and longest > MAX_KEY_LENGTH:
            found.append(f"an ordering key of {longest} characters")
        orphans = (
            await s.execute(
                select(Task.id)
                .outerjoin(Status, Status.id == Task.status_id)
                .where(or_(Status.id.is_(None), Status.project_id != Task.project_id))
            )
        ).all()
        if orphans:
            found.append(f"tasks in a missing status: {orphans}")
        bad_labels = (
            await s.execute(
                select(TaskLabel.task_id, TaskLabel.label_id)
                .join(Task, Task.id == TaskLabel.task_id)
                .outerjoin(Label, Label.id == TaskLabel.label_id)
                .where(or_(Label.id.is_(None), Label.project_id != Task.project_id))
            )
        ).all()
        if bad_labels:
            found.append(f"tasks carrying a missing label: {bad_labels}")
        wm = aliased(WorkspaceMember)
        pm = aliased(ProjectMember)
        strangers = (
            await s.execute(
                select(TaskAssignee.task_id, TaskAssignee.user_id)
                .join(Task, Task.id == TaskAssignee.task_id)
                .join(Project, Project.id == Task.project_id)
                .outerjoin(
                    wm,
                    and_(
                        wm.workspace_id == Project.workspace_id, wm.user_id == TaskAssignee.user_id
                    ),
                )
                .outerjoin(
                    pm, and_(pm.project_id == Project.id, pm.user_id == TaskAssignee.user_id)
                )
                .where(
                    or_(
                        wm.user_id.is_(None),
                        and_(wm.role == WorkspaceRole.GUEST.value, pm.user_id.is_(None)),
                    )
                )
            )
        ).all()
        if strangers:
            found.append(f"assignees who cannot see the project: {strangers}")
        late = (
            await s.execute(
                select(Task.id, Task.updated_at, Project.archived_at)
                .join(Project, Project.id == Task.project_id)
                .where(Project.archived_at.is_not(None), Task.updated_at > Project.archived_at)
            )
        ).all()
        if late:
            found.append(f"tasks written after their project's archive: {late}")
        cycles = await _parent_cycles(s)
        if cycles:
            found.append(f"parent cycles through {cycles}")
    return found


async def _parent_cycles(s: object) -> list[UUID]:
    from sqlalchemy.ext.asyncio import AsyncSession

    assert isinstance(s, AsyncSession)
    parents = dict((await s.execute(select(Task.id, Task.parent_id))).all())
    bad = []
    for start in parents:
        seen = set()
        node = parents.get(start)
        while node is not None and node not in seen:
            if node == start:
                bad.append(start)
                break
            seen.add(node)
            node = parents.get(node)
    return bad
