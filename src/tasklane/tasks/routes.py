from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import Depends, Path, Query, Request, Response, status
from pydantic import Field

from tasklane.api import Idempotent, IfMatch, etag, json_response, new_router, problem_doc
from tasklane.auth.principal import BEARER_DOC, CurrentPrincipal, HotReadDep, Principal
from tasklane.authz.access import ScopedRef
from tasklane.db import DbSession
from tasklane.errors import ValidationFailed
from tasklane.kit.clock import utcnow
from tasklane.kit.pagination import Page, PageParams, page_params
from tasklane.kit.refs import MAX_REF_LENGTH
from tasklane.projects.workflow import StatusCategory
from tasklane.query.language import MAX_QUERY_LENGTH, parse_query
from tasklane.runtime import CurrentRuntime
from tasklane.tasks import reads, service, watchers
from tasklane.tasks.queries import TaskFilters
from tasklane.tasks.schemas import (
    ActivityItem,
    BulkResult,
    BulkUpdate,
    Priority,
    RelationCreate,
    RelationRead,
    TaskCounts,
    TaskCreate,
    TaskMove,
    TaskRead,
    TaskSort,
    TaskUpdate,
    WatcherAdd,
    WatcherRead,
)

router = new_router(tags=["tasks"])
Paging = Annotated[PageParams, Depends(page_params)]


async def task_ref(
    task_ref: Annotated[
        str,
        Path(
            min_length=1,
            max_length=MAX_REF_LENGTH,
            description="The task's id (UUID) or key (`ENG-42`).",
        ),
    ],
    workspace: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=64,
            description="The workspace (slug or id) a key is resolved in; an id must be in it "
            "too. Without it, a key two of your workspaces have is 409 `ambiguous_key`.",
        ),
    ] = None,
) -> str:
    """Every `/tasks/{task_ref}` route takes its task through this, so all resolve keys alike."""
    return ScopedRef(task_ref, workspace)


TaskRef = Annotated[str, Depends(task_ref)]
_PRECONDITION: dict[int | str, dict[str, Any]] = {
    412: problem_doc("If-Match names an older version of the task; nothing changed.")
}


Person = UUID | None | Literal["me"]


def _person(value: str) -> Person:
    if value in ("me", "none"):
        return "me" if value == "me" else None
    try:
        return UUID(value)
    except ValueError as exc:
        raise ValidationFailed.for_field(
            "assignee_id", "Use a user id, `me` or `none`.", code="uuid_parsing"
        ) from exc


@dataclass(frozen=True, slots=True)
class FilterQuery:
    """The list filters as sent: `for_caller` puts the caller where `me` was."""

    filters: TaskFilters
    people: list[Person]

    def for_caller(self, principal: Principal) -> TaskFilters:
        me = principal.user_id
        people = [me if p == "me" else p for p in self.people]
        if self.filters.text is None:
            return replace(self.filters, assignees=people)
        return replace(self.filters, assignees=people, viewer=me, today=utcnow().date())


MAX_VALUES = 50
"""Values one list filter may name."""


async def task_filters(
    status_id: Annotated[
        list[UUID], Query(max_length=MAX_VALUES, description="Any of these statuses.")
    ] = [],  # noqa: B006
    status_category: Annotated[
        list[StatusCategory],
        Query(max_length=MAX_VALUES, description="Any of these status categories."),
    ] = [],  # noqa: B006
    assignee_id: Annotated[
        list[Annotated[str, Field(max_length=40)]],
        Query(
            max_length=MAX_VALUES,
            description="Any of these users; `me` is you, `none` unassigned.",
        ),
    ] = [],  # noqa: B006
    label_id: Annotated[
        list[UUID], Query(max_length=MAX_VALUES, description="Has any of these labels.")
    ] = [],  # noqa: B006
    priority: Annotated[list[Priority], Query(max_length=MAX_VALUES)] = [],  # noqa: B006
    due_before: Annotated[date | None, Query(description="Due on or before this day.")] = None,
    due_after: Annotated[date | None, Query(description="Due on or after this day.")] = None,
    parent_id: Annotated[
        str | None, Query(max_length=40, description="Subtasks of this task; `none`: top level.")
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=MAX_QUERY_LENGTH,
            description='A query (README, "Query language"): words matched in titles, '
            "descriptions and comments, and field terms such as `assignee:me label:bug "
            "is:overdue`. A query that does not parse is a 422 saying what and where.",
        ),
    ] = None,
) -> FilterQuery:
    if q is not None:
        q = q.strip() or None
    if q is not None:
        parse_query(q)
    parent: UUID | None = None
    if parent_id is not None and parent_id != "none":
        try:
            parent = UUID(parent_id)
        except ValueError as exc:
            raise ValidationFailed.for_field("parent_id", "Use a task id or `none`.") from exc
    filters = TaskFilters(
        status_ids=status_id,
        status_categories=status_category,
        label_ids=label_id,
        priorities=priority,
        due_before=due_before,
        due_after=due_after,
        parent_id=parent,
        top_level_only=parent_id == "none",
        text=q,
    )
    return FilterQuery(filters, [_person(a) for a in assignee_id])


Filters = Annotated[FilterQuery, Depends(task_filters)]


@router.post(
    "/projects/{project_id}/tasks",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    response_model=TaskRead,
)
async def create_task(
    project_id: UUID,
    data: TaskCreate,
    session: DbSession,
    principal: CurrentPrincipal,
    response: Response,
) -> TaskRead:
    """Create a task. It gets the project's next key (`ENG-1`, `ENG-2`, ...) and goes to the
    bottom of its status column (or the top, with `placement: "top"`). The creator and the
    assignees watch it."""
    task = await service.create_task(session, principal, project_id=project_id, data=data)
    response.headers["ETag"] = etag(task.version)
    return task


EVENT_SEQ_HEADER = "X-Event-Seq"
_EVENT_SEQ_DOC = {
    "description": "The newest event already reflected in this answer: subscribe to live "
    "updates with `since` set to it (docs/realtime.md) to miss nothing after it.",
    "schema": {"type": "integer"},
}


@router.get(
    "/projects/{project_id}/tasks",
    response_model=Page[TaskRead],
    responses={200: {"headers": {EVENT_SEQ_HEADER: _EVENT_SEQ_DOC}}},
    openapi_extra=BEARER_DOC,
)
async def list_tasks(
    project_id: UUID,
    request: Request,
    read: HotReadDep,
    page: Paging,
    filters: Filters,
    sort: Annotated[
        TaskSort,
        Query(
            description="`position` (board order), `created`, `updated`, `due`, `priority`; "
            "prefix `-` for descending."
        ),
    ] = TaskSort.POSITION,
) -> Response:
    """A project's tasks (not the trashed ones), filtered and sorted. Filters of one kind
    combine with OR; different kinds combine with AND.

    A page asked for again is sent from the server's memory while nothing in the project
    has changed since; `Cache-Control: no-cache` reads it from the database."""
    found = await reads.list_tasks(
        read.raw,
        read.principal,
        request.app.state.runtime.pages,
        project_id=project_id,
        filters=filters.for_caller(read.principal),
        sort=sort,
        limit=page.limit,
        cursor=page.cursor,
        fresh="no-cache" in request.headers.get("cache-control", ""),
    )
    return json_response(found, {EVENT_SEQ_HEADER: str(read.seq)})


@router.patch("/projects/{project_id}/tasks")
async def update_tasks(
    project_id: UUID, data: BulkUpdate, session: DbSession, principal: CurrentPrincipal
) -> BulkResult:
    """Change several tasks of a project at once (up to 200): for each, the fields to change
    and, optionally, the version you edited (as `If-Match` does for one task). Each change
    stands alone: those that fail change nothing and are listed in `failed` with the status
    they would have had alone (404, 409, 412, 422); the rest are made."""
    return await service.update_tasks(session, principal, project_id=project_id, data=data)


@router.get(
    "/projects/{project_id}/task-counts",
    response_model=TaskCounts,
    responses={200: {"headers": {EVENT_SEQ_HEADER: _EVENT_SEQ_DOC}}},
    openapi_extra=BEARER_DOC,
)
async def count_tasks(project_id: UUID, read: HotReadDep, filters: Filters) -> Response:
    """How many tasks each status column holds, with the same filters as the task list."""
    counts = await reads.count_tasks(
        read.raw, read.principal, project_id=project_id, filters=filters.for_caller(read.principal)
    )
    return json_response(counts, {EVENT_SEQ_HEADER: str(read.seq)})


@router.get("/projects/{project_id}/trash")
async def list_trash(
    project_id: UUID, session: DbSession, principal: CurrentPrincipal, page: Paging
) -> Page[TaskRead]:
    """Deleted tasks, newest first. They can be restored until the retention period (30 days
    by default) ends."""
    return await service.list_trash(
        session, principal, project_id=project_id, limit=page.limit, cursor=page.cursor
    )


@router.get(
    "/tasks/{task_ref}",
    response_model=TaskRead,
    responses={200: {"headers": {EVENT_SEQ_HEADER: _EVENT_SEQ_DOC}}},
    openapi_extra=BEARER_DOC,
)
async def get_task(task_ref: TaskRef, request: Request, read: HotReadDep) -> Response:
    """One task, by id or by key (`ENG-42`). The `ETag` header is its version."""
    task, version = await reads.get_task(read.raw, request, read.principal, task_ref)
    return json_response(task, {EVENT_SEQ_HEADER: str(read.seq), "ETag": etag(version)})


@router.patch("/tasks/{task_ref}", responses=_PRECONDITION)
async def update_task(
    task_ref: TaskRef,
    data: TaskUpdate,
    session: DbSession,
    principal: CurrentPrincipal,
    version: IfMatch,
    response: Response,
) -> TaskRead:
    """Change some fields of a task; fields not sent stay as they are. Send `If-Match` with
    the version you edited: if someone changed the task since, the answer is 412 and nothing
    changes. Changing `status_id` here puts the task at the bottom of the new column."""
    task = await service.update_task(session, principal, ref=task_ref, data=data, if_match=version)
    response.headers["ETag"] = etag(task.version)
    return task


@router.post("/tasks/{task_ref}/move", responses=_PRECONDITION)
async def move_task(
    task_ref: TaskRef,
    data: TaskMove,
    session: DbSession,
    principal: CurrentPrincipal,
    version: IfMatch,
    response: Response,
) -> TaskRead:
    """Move a task on the board: into `status_id`, right after `after_id` or right before
    `before_id`, or to the bottom with neither. When both are sent, `after_id` wins (the
    board may have changed since the client looked)."""
    task = await service.move_task(session, principal, ref=task_ref, data=data, if_match=version)
    response.headers["ETag"] = etag(task.version)
    return task


@router.delete("/tasks/{task_ref}", status_code=status.HTTP_204_NO_CONTENT, responses=_PRECONDITION)
async def delete_task(
    task_ref: TaskRef, session: DbSession, principal: CurrentPrincipal, version: IfMatch
) -> None:
    """Move a task to the project's trash. Restore it with `POST /tasks/{task_ref}/restore`."""
    await service.delete_task(session, principal, ref=task_ref, if_match=version)


@router.post("/tasks/{task_ref}/restore")
async def restore_task(
    task_ref: TaskRef, session: DbSession, principal: CurrentPrincipal, rt: CurrentRuntime
) -> TaskRead:
    """Bring a task back from the trash (within the retention period) to the bottom of its
    column."""
    return await service.restore_task(
        session, principal, ref=task_ref, retention_days=rt.settings.trash_retention_days
    )


@router.get("/tasks/{task_ref}/relations")
async def list_relations(
    task_ref: TaskRef, session: DbSession, principal: CurrentPrincipal
) -> Page[RelationRead]:
    """Relations of a task, each seen from this task (`blocks`, `blocked_by`, `relates_to`,
    `duplicates`, `duplicated_by`). Related tasks the caller cannot see are left out. All of
    them in one page: a task has at most 200."""
    items = await service.list_relations(session, principal, ref=task_ref)
    return Page(items=items)


@router.post(
    "/tasks/{task_ref}/relations",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    response_model=RelationRead,
)
async def add_relation(
    task_ref: TaskRef, data: RelationCreate, session: DbSession, principal: CurrentPrincipal
) -> RelationRead:
    """Relate this task to another in the same workspace: `{"type": "blocks", "task_id":
    "ENG-7"}` says this task blocks ENG-7. A task has at most 200 relations (both ends
    count): past that the answer is 409 `too_many_relations`."""
    return await service.add_relation(session, principal, ref=task_ref, data=data)


@router.delete("/tasks/{task_ref}/relations/{relation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_relation(
    task_ref: TaskRef, relation_id: UUID, session: DbSession, principal: CurrentPrincipal
) -> None:
    """Remove a relation from either of its tasks."""
    await service.remove_relation(session, principal, ref=task_ref, relation_id=relation_id)


@router.get("/tasks/{task_ref}/watchers")
async def list_watchers(
    task_ref: TaskRef, session: DbSession, principal: CurrentPrincipal
) -> Page[WatcherRead]:
    """Who watches the task, by name. At most 500 are listed, in one page. Its creator,
    assignees and commenters watch it from the start."""
    return Page(items=await watchers.list_watchers(session, principal, ref=task_ref))


@router.post(
    "/tasks/{task_ref}/watchers",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "Was watching already.", "model": WatcherRead}},
)
async def add_watcher(
    task_ref: TaskRef,
    data: WatcherAdd,
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
) -> WatcherRead:
    """Watch the task (`user_id`: your own), or, as a project admin, make someone who can see
    it watch it. 201 when they start watching, 200 when they were already."""
    watcher, added = await watchers.add_watcher(
        session, principal, ref=task_ref, user_id=data.user_id
    )
    if not added:
        response.status_code = status.HTTP_200_OK
    return watcher


@router.delete("/tasks/{task_ref}/watchers/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_watcher(
    task_ref: TaskRef, user_id: UUID, session: DbSession, principal: CurrentPrincipal
) -> None:
    """Stop watching the task (your own id), or, as a project admin, stop anyone watching it.
    Someone not watching is already done: 204."""
    await watchers.remove_watcher(session, principal, ref=task_ref, user_id=user_id)


@router.get(
    "/tasks/{task_ref}/activity", response_model=Page[ActivityItem], openapi_extra=BEARER_DOC
)
async def list_activity(
    task_ref: TaskRef, request: Request, read: HotReadDep, page: Paging
) -> Response:
    """The task's history, oldest first: every change with who made it, when, and each
    field's value before and after (`changes: {field: {from, to}}`)."""
    found = await reads.list_activity(
        read.raw, request, read.principal, ref=task_ref, limit=page.limit, cursor=page.cursor
    )
    return json_response(found)
