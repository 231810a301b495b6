"""Counts the board shows on its cards: subtasks (and how many are finished) and comments.

They are asked for apart from the tasks, once per board: carrying them in `TaskRead` would make
every task answer and every live event pay for two more aggregates.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import Integer, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from tasklane.api import new_router
from tasklane.auth.principal import CurrentPrincipal, Principal
from tasklane.authz.access import access_project
from tasklane.authz.roles import Action
from tasklane.db import DbSession
from tasklane.models import Comment, Status, Task
from tasklane.projects.workflow import StatusCategory

router = new_router(tags=["tasks"])

FINISHED = (StatusCategory.DONE.value, StatusCategory.CANCELLED.value)
"""A subtask counts as finished in these categories, as the task panel shows it."""


class TaskStat(BaseModel):
    subtasks: int
    subtasks_done: int
    comments: int


_child = aliased(Task)
_SUBTASKS = (
    select(
        Task.id,
        func.count(),
        func.sum(case((Status.category.in_(FINISHED), 1), else_=0), type_=Integer),
    )
    .join(_child, _child.parent_id == Task.id)
    .join(Status, Status.id == _child.status_id)
    .where(_child.deleted_at.is_(None))
    .group_by(Task.id)
)
_COMMENTS = (
    select(Task.id, func.count()).join(Comment, Comment.task_id == Task.id).group_by(Task.id)
)


async def task_stats(
    session: AsyncSession, principal: Principal, *, project_id: UUID
) -> dict[UUID, TaskStat]:
    """Only live tasks with a subtask or a comment appear; subtasks in the trash don't count."""
    await access_project(session, principal, project_id, Action.PROJECT_READ)
    live = (Task.project_id == project_id, Task.deleted_at.is_(None))
    stats: dict[UUID, TaskStat] = {}
    for task_id, total, done in (await session.execute(_SUBTASKS.where(*live))).all():
        stats[task_id] = TaskStat(subtasks=total, subtasks_done=done or 0, comments=0)
    for task_id, count in (await session.execute(_COMMENTS.where(*live))).all():
        stat = stats.setdefault(task_id, TaskStat(subtasks=0, subtasks_done=0, comments=0))
        stat.comments = count
    return stats


@router.get("/projects/{project_id}/task-stats")
async def get_task_stats(
    project_id: UUID, session: DbSession, principal: CurrentPrincipal
) -> dict[UUID, TaskStat]:
    """Per task of the project: how many subtasks it has, how many of them are finished (in a
    done or cancelled status), and how many comments. Tasks with neither are left out, and so
    are the tasks and subtasks in the trash. For the cards of a board, which ask once and
    again when live events say comments or tasks changed."""
    return await task_stats(session, principal, project_id=project_id)
