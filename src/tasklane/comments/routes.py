from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request, Response, status

from tasklane.api import Idempotent, json_response, new_router
from tasklane.auth.principal import BEARER_DOC, CurrentPrincipal, HotReadDep
from tasklane.comments import reads, service
from tasklane.comments.schemas import CommentCreate, CommentRead, CommentWrite
from tasklane.db import DbSession
from tasklane.kit.pagination import Page, PageParams, page_params
from tasklane.tasks.routes import TaskRef

router = new_router(tags=["comments"])
Paging = Annotated[PageParams, Depends(page_params)]


@router.get(
    "/tasks/{task_ref}/comments", response_model=Page[CommentRead], openapi_extra=BEARER_DOC
)
async def list_comments(
    task_ref: TaskRef, request: Request, read: HotReadDep, page: Paging
) -> Response:
    """A task's comments, oldest first."""
    found = await reads.list_comments(
        read.raw, request, read.principal, ref=task_ref, limit=page.limit, cursor=page.cursor
    )
    return json_response(found)


@router.post(
    "/tasks/{task_ref}/comments",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    response_model=CommentRead,
)
async def create_comment(
    task_ref: TaskRef, data: CommentCreate, session: DbSession, principal: CurrentPrincipal
) -> CommentRead:
    """Comment on a task (Markdown; project members, not viewers), with files attached to
    the task beforehand (`attachment_ids`). The author starts watching the task."""
    return await service.create_comment(session, principal, ref=task_ref, data=data)


@router.get("/comments/{comment_id}")
async def get_comment(
    comment_id: UUID, session: DbSession, principal: CurrentPrincipal
) -> CommentRead:
    """One comment."""
    return await service.get_comment(session, principal, comment_id=comment_id)


@router.patch("/comments/{comment_id}")
async def update_comment(
    comment_id: UUID, data: CommentWrite, session: DbSession, principal: CurrentPrincipal
) -> CommentRead:
    """Edit a comment: its author, or a project admin. `edited_at` records when."""
    return await service.update_comment(session, principal, comment_id=comment_id, data=data)


@router.delete("/comments/{comment_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_comment(comment_id: UUID, session: DbSession, principal: CurrentPrincipal) -> None:
    """Delete a comment: its author, or a project admin. The task's history keeps the event."""
    await service.delete_comment(session, principal, comment_id=comment_id)
