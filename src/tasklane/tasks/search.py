"""Finding a task anywhere in a workspace by key or title: what the command palette and the
task pickers ask while someone types. Not the full-text search (that one reads descriptions
and comments too); this is a short list, answered from the tasks table alone."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Query
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.api import new_router
from tasklane.auth.principal import CurrentPrincipal, Principal
from tasklane.authz.access import access_workspace, visible_projects
from tasklane.authz.roles import Action, effective_project_role, project_can
from tasklane.db import DbSession
from tasklane.errors import ValidationFailed
from tasklane.kit.pagination import Page
from tasklane.kit.refs import HumanKey, parse_ref
from tasklane.models import Project, Task
from tasklane.tasks import queries
from tasklane.tasks.schemas import TaskRead
from tasklane.tasks.service import task_read

router = new_router(tags=["tasks"])

MAX_QUERY_LENGTH = 200
MAX_RESULTS = 50
DEFAULT_RESULTS = 20


async def _readable_projects(
    session: AsyncSession, principal: Principal, workspace_id: UUID
) -> dict[UUID, Project]:
    """The workspace's projects the caller may read: a guest only those they were added to."""
    stmt = visible_projects(principal.user_id).where(Project.workspace_id == workspace_id)
    readable: dict[UUID, Project] = {}
    for project, workspace_role, project_role in (await session.execute(stmt)).all():
        role = effective_project_role(workspace_role, project_role)
        if role is not None and project_can(role, Action.PROJECT_READ):
            readable[project.id] = project
    return readable


async def search_tasks(
    session: AsyncSession, principal: Principal, *, workspace_id: UUID, text: str, limit: int
) -> list[TaskRead]:
    """The task whose key is `text` first (when it looks like one), then the tasks whose title
    contains it, most recently updated first. Trashed tasks are left out."""
    await access_workspace(session, principal, workspace_id, Action.WORKSPACE_READ)
    projects = await _readable_projects(session, principal, workspace_id)
    if not projects:
        return []
    live = select(Task).where(Task.project_id.in_(list(projects)), Task.deleted_at.is_(None))
    found: list[Task] = []
    ref = parse_ref(text)
    if isinstance(ref, HumanKey):
        # Keys are unique within a workspace, so this is one task at most.
        keyed = [pid for pid, p in projects.items() if p.key == ref.prefix]
        if keyed:
            stmt = live.where(Task.project_id.in_(keyed), Task.number == ref.number)
            found += (await session.scalars(stmt)).all()
    titled = (
        live.where(Task.title.icontains(text, autoescape=True))
        .order_by(Task.updated_at.desc(), Task.id.desc())
        .limit(limit)
    )
    seen = {t.id for t in found}
    found += [t for t in (await session.scalars(titled)).all() if t.id not in seen]
    found = found[:limit]
    links = await queries.load_links(session, [t.id for t in found])
    return [
        task_read(
            t,
            projects[t.project_id],
            links.assignees.get(t.id, []),
            links.labels.get(t.id, []),
        )
        for t in found
    ]


@router.get("/workspaces/{workspace_id}/tasks")
async def find_tasks(
    workspace_id: UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_QUERY_LENGTH,
            description="A task key (`ENG-42`) or words of a title, case-insensitive.",
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=MAX_RESULTS)] = DEFAULT_RESULTS,
) -> Page[TaskRead]:
    """Tasks of every project of the workspace that you can see, by key or title: the task
    with key `q` first, then those whose title contains `q`, most recently updated first.
    Tasks in the trash are left out. One page only (at most `limit`); `next_cursor` is null."""
    text = q.strip()
    if not text:
        raise ValidationFailed.for_field("q", "Type something to search for.")
    items = await search_tasks(
        session, principal, workspace_id=workspace_id, text=text, limit=limit
    )
    return Page(items=items)
