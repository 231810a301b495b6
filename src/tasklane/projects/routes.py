from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Query, Response, status

from tasklane.api import Idempotent, json_response, new_router
from tasklane.auth.principal import BEARER_DOC, CurrentPrincipal, HotReadDep
from tasklane.db import DbSession
from tasklane.kit.pagination import Page, PageParams, page_params
from tasklane.projects import reads, service
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
)

router = new_router(tags=["projects"])
Paging = Annotated[PageParams, Depends(page_params)]
CREATED = status.HTTP_201_CREATED
GONE = status.HTTP_204_NO_CONTENT


@router.post(
    "/workspaces/{workspace_id}/projects",
    status_code=CREATED,
    dependencies=[Idempotent],
    response_model=ProjectRead,
)
async def create_project(
    workspace_id: UUID, data: ProjectCreate, session: DbSession, principal: CurrentPrincipal
) -> ProjectRead:
    """Create a project with the default workflow (Backlog, Todo, In Progress, Done,
    Cancelled). Workspace members and above may; a member who creates one administers it.
    The key prefixes task keys and cannot be changed later."""
    return await service.create_project(session, principal, workspace_id=workspace_id, data=data)


@router.get("/workspaces/{workspace_id}/projects")
async def list_projects(
    workspace_id: UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    page: Paging,
    archived: Annotated[ArchivedFilter, Query(description="`false`, `true` or `any`.")] = (
        ArchivedFilter.FALSE
    ),
) -> Page[ProjectRead]:
    """Projects of a workspace the caller can see (guests: only those they were added to)."""
    return await service.list_projects(
        session,
        principal,
        workspace_id=workspace_id,
        archived=archived,
        limit=page.limit,
        cursor=page.cursor,
    )


@router.get("/projects/{project_id}")
async def get_project(
    project_id: UUID, session: DbSession, principal: CurrentPrincipal
) -> ProjectRead:
    """One project, with the caller's effective role in it."""
    return await service.get_project(session, principal, project_id=project_id)


@router.patch("/projects/{project_id}")
async def update_project(
    project_id: UUID, data: ProjectUpdate, session: DbSession, principal: CurrentPrincipal
) -> ProjectRead:
    """Rename, describe, archive or unarchive a project (project admins). Tasks of an archived
    project cannot be changed."""
    return await service.update_project(session, principal, project_id=project_id, data=data)


@router.delete("/projects/{project_id}", status_code=GONE)
async def delete_project(project_id: UUID, session: DbSession, principal: CurrentPrincipal) -> None:
    """Delete a project with its tasks and comments for good (project admins). Its history
    stays in the audit log."""
    await service.delete_project(session, principal, project_id=project_id)


@router.get(
    "/projects/{project_id}/statuses",
    response_model=Page[StatusRead],
    openapi_extra=BEARER_DOC,
)
async def list_statuses(project_id: UUID, read: HotReadDep) -> Response:
    """The project's workflow, in board order: every status in one page (at most 50)."""
    found = await reads.list_statuses(read.raw, read.principal, project_id=project_id)
    return json_response(found)


@router.post(
    "/projects/{project_id}/statuses",
    status_code=CREATED,
    dependencies=[Idempotent],
    response_model=StatusRead,
)
async def create_status(
    project_id: UUID, data: StatusCreate, session: DbSession, principal: CurrentPrincipal
) -> StatusRead:
    """Add a status to the workflow, at `position` or last (project admins). A project has
    at most 50 statuses: past that the answer is 409 `too_many_statuses`."""
    return await service.create_status(session, principal, project_id=project_id, data=data)


@router.patch("/projects/{project_id}/statuses/{status_id}")
async def update_status(
    project_id: UUID,
    status_id: UUID,
    data: StatusUpdate,
    session: DbSession,
    principal: CurrentPrincipal,
) -> StatusRead:
    """Rename, recolour, recategorise or reorder a status (project admins). Moving it to
    `position` renumbers the others. A new category updates its tasks' `completed_at`."""
    return await service.update_status(
        session, principal, project_id=project_id, status_id=status_id, data=data
    )


@router.delete("/projects/{project_id}/statuses/{status_id}", status_code=GONE)
async def delete_status(
    project_id: UUID,
    status_id: UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    move_to: Annotated[UUID | None, Query(description="Where its tasks go.")] = None,
) -> None:
    """Remove a status (project admins). Its tasks move to `move_to`, or by default to the
    first other status of the same category, else the first status. The last status stays."""
    await service.delete_status(
        session, principal, project_id=project_id, status_id=status_id, move_to=move_to
    )


@router.get("/projects/{project_id}/labels")
async def list_labels(
    project_id: UUID, session: DbSession, principal: CurrentPrincipal
) -> Page[LabelRead]:
    """The project's labels, by name: all of them in one page (at most 500)."""
    return await service.list_labels(session, principal, project_id=project_id)


@router.post(
    "/projects/{project_id}/labels",
    status_code=CREATED,
    dependencies=[Idempotent],
    response_model=LabelRead,
)
async def create_label(
    project_id: UUID, data: LabelCreate, session: DbSession, principal: CurrentPrincipal
) -> LabelRead:
    """Create a label (project members). Names are unique in a project, ignoring case. A
    project has at most 500 labels: past that the answer is 409 `too_many_labels`."""
    return await service.create_label(session, principal, project_id=project_id, data=data)


@router.patch("/projects/{project_id}/labels/{label_id}")
async def update_label(
    project_id: UUID,
    label_id: UUID,
    data: LabelUpdate,
    session: DbSession,
    principal: CurrentPrincipal,
) -> LabelRead:
    """Rename or recolour a label (project admins)."""
    return await service.update_label(
        session, principal, project_id=project_id, label_id=label_id, data=data
    )


@router.delete("/projects/{project_id}/labels/{label_id}", status_code=GONE)
async def delete_label(
    project_id: UUID, label_id: UUID, session: DbSession, principal: CurrentPrincipal
) -> None:
    """Delete a label and take it off every task (project admins)."""
    await service.delete_label(session, principal, project_id=project_id, label_id=label_id)


@router.get("/projects/{project_id}/members")
async def list_members(
    project_id: UUID, session: DbSession, principal: CurrentPrincipal
) -> Page[ProjectMemberRead]:
    """Users with an explicit role in this project. Workspace members without one are project
    members; workspace admins and owners administer every project."""
    return await service.list_members(session, principal, project_id=project_id)


@router.get("/projects/{project_id}/people")
async def list_people(
    project_id: UUID, session: DbSession, principal: CurrentPrincipal
) -> Page[PersonRead]:
    """Everyone who can see this project, by name: every project role may list them (to show
    and filter assignees). E-mail addresses only for callers who are not workspace guests."""
    return await service.list_people(session, principal, project_id=project_id)


@router.post(
    "/projects/{project_id}/members",
    status_code=CREATED,
    dependencies=[Idempotent],
    response_model=ProjectMemberRead,
)
async def add_member(
    project_id: UUID, data: ProjectMemberAdd, session: DbSession, principal: CurrentPrincipal
) -> ProjectMemberRead:
    """Give a workspace member an explicit project role: `admin`, `member` or `viewer`
    (project admins). This is how guests get into a project."""
    return await service.add_member(session, principal, project_id=project_id, data=data)


@router.patch("/projects/{project_id}/members/{user_id}")
async def update_member(
    project_id: UUID,
    user_id: UUID,
    data: ProjectMemberUpdate,
    session: DbSession,
    principal: CurrentPrincipal,
) -> ProjectMemberRead:
    """Change a user's explicit project role (project admins)."""
    return await service.update_member(
        session, principal, project_id=project_id, user_id=user_id, data=data
    )


@router.delete("/projects/{project_id}/members/{user_id}", status_code=GONE)
async def remove_member(
    project_id: UUID, user_id: UUID, session: DbSession, principal: CurrentPrincipal
) -> None:
    """Remove a user's explicit project role (project admins). A guest loses the project."""
    await service.remove_member(session, principal, project_id=project_id, user_id=user_id)
