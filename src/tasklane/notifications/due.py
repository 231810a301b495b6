"""Due soon: once an hour, the people a task is assigned to hear that it is due within a day
(due today or tomorrow, UTC), once per task and due date (moving the date tells them again)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.authz.access import project_people
from tasklane.config import Settings
from tasklane.kit.clock import utcnow
from tasklane.models import Notification, Project, Task, TaskAssignee
from tasklane.notifications.delivery import Draft, deliver
from tasklane.notifications.fanout import announce
from tasklane.notifications.kinds import Kind
from tasklane.worker.jobs import JobContext, job_kind

log = structlog.get_logger(__name__)

DUE_SOON_JOB = "notifications.due_soon"
MAX_PER_RUN = 5000
"""Assignments looked at per run, the soonest due first; the next hour's run goes on."""


async def notify_due_soon(session: AsyncSession, settings: Settings) -> list[Notification]:
    now = utcnow()
    today = now.date()
    rows = (
        await session.execute(
            select(Task.id, Task.number, Task.title, Task.due_date, Project, TaskAssignee.user_id)
            .join(Project, Project.id == Task.project_id)
            .join(TaskAssignee, TaskAssignee.task_id == Task.id)
            .where(
                Task.due_date >= today,
                Task.due_date <= today + timedelta(days=1),
                Task.completed_at.is_(None),
                Task.deleted_at.is_(None),
                Project.archived_at.is_(None),
            )
            .order_by(Task.due_date, Task.id)
            .limit(MAX_PER_RUN)
        )
    ).all()
    drafts: list[Draft] = []
    people: dict[Any, set[Any]] = {}
    for task_id, number, title, due, project, user_id in rows:
        if project.id not in people:
            found = project_people(project).subquery()
            people[project.id] = set(
                await session.scalars(select(found.c.id).where(found.c.is_active))
            )
        if due is None or user_id not in people[project.id]:
            continue
        when = "today" if due == today else "tomorrow"
        drafts.append(
            Draft(
                user_id=user_id,
                kind=Kind.DUE_SOON,
                summary=f"{project.key}-{number} is due {when}: {title}",
                dedupe_key=f"due_soon:{task_id}:{due.isoformat()}",
                workspace_id=project.workspace_id,
                project_id=project.id,
                task_id=task_id,
                data={"due_date": due.isoformat()},
            )
        )
    return await deliver(session, settings, drafts, now)


@job_kind(DUE_SOON_JOB, max_attempts=3)
async def _due_soon(ctx: JobContext, _: dict[str, Any]) -> None:
    async with ctx.db.transaction() as session:
        shown = await notify_due_soon(session, ctx.settings)
        announce(session, shown)
    log.info("due_soon_notified", notifications=len(shown))
