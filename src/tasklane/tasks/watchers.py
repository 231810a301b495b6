"""Who watches a task (issue 14, item 1): they hear of its changes once notifications come.
Its creator, assignees and commenters watch it already (tasks.service, comments.service);
anyone who can see a task may start or stop watching it, and a project admin may add or
remove anyone who can see it. Only people who can still see the task are listed."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.auth.principal import Principal
from tasklane.authz.access import access_task, project_people, require_project
from tasklane.authz.roles import Action
from tasklane.errors import ValidationFailed
from tasklane.kit.sql import insert_ignore
from tasklane.models import TaskWatcher, User
from tasklane.tasks.schemas import WatcherRead

MAX_LISTED = 500
"""Watchers listed, by name: a task watched by more is a broadcast, not a task."""


async def list_watchers(
    session: AsyncSession, principal: Principal, *, ref: str
) -> list[WatcherRead]:
    task, access = await access_task(session, principal, ref, Action.PROJECT_READ)
    people = project_people(access.project).subquery()
    rows = await session.scalars(
        select(User)
        .join(TaskWatcher, TaskWatcher.user_id == User.id)
        .where(TaskWatcher.task_id == task.id, User.id.in_(select(people.c.id)))
        .order_by(func.lower(User.name), User.id)
        .limit(MAX_LISTED)
    )
    return [_read(user) for user in rows]


async def add_watcher(
    session: AsyncSession, principal: Principal, *, ref: str, user_id: UUID
) -> tuple[WatcherRead, bool]:
    """The watcher, and whether they were not watching before."""
    task, access = await access_task(session, principal, ref, Action.PROJECT_READ)
    if user_id != principal.user_id:
        require_project(access.role, Action.PROJECT_MEMBERS_MANAGE)
    user = await session.scalar(project_people(access.project).where(User.id == user_id))
    if user is None:
        raise ValidationFailed.for_field("user_id", "No one by that id can see this task.")
    added = await insert_ignore(session, TaskWatcher, {"task_id": task.id, "user_id": user_id})
    return _read(user), added


async def remove_watcher(
    session: AsyncSession, principal: Principal, *, ref: str, user_id: UUID
) -> None:
    """Stop `user_id` watching; done already is done."""
    task, access = await access_task(session, principal, ref, Action.PROJECT_READ)
    if user_id != principal.user_id:
        require_project(access.role, Action.PROJECT_MEMBERS_MANAGE)
    await session.execute(
        delete(TaskWatcher).where(TaskWatcher.task_id == task.id, TaskWatcher.user_id == user_id)
    )


def _read(user: User) -> WatcherRead:
    return WatcherRead(
        user_id=user.id, name=user.name, handle=user.handle, avatar_color=user.avatar_color
    )
