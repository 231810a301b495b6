"""Comments on tasks: Markdown, edited or deleted by their author or a project admin."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.attachments.service import attach_to_comment
from tasklane.auth.principal import Principal
from tasklane.authz.access import (
    ProjectAccess,
    access_comment,
    access_task,
    require_project,
    require_unarchived,
)
from tasklane.authz.roles import Action
from tasklane.comments.schemas import Author, CommentCreate, CommentRead, CommentWrite
from tasklane.events import service as events
from tasklane.events.types import EventType
from tasklane.kit.clock import utcnow
from tasklane.kit.sql import insert_ignore
from tasklane.models import Comment, Task, TaskWatcher, User
from tasklane.notifications.mentions import mentioned
from tasklane.notifications.service import forget_comment


def _read(comment: Comment, author: User | Author | None) -> CommentRead:
    return CommentRead(
        id=comment.id,
        task_id=comment.task_id,
        author_id=comment.author_id,
        author=Author(id=author.id, name=author.name) if author else None,
        body=comment.body,
        created_at=comment.created_at,
        updated_at=comment.updated_at,
        edited_at=comment.edited_at,
    )


def _record(
    session: AsyncSession,
    principal: Principal,
    access: ProjectAccess,
    task: Task,
    comment: Comment,
    type: EventType,
    changes: events.Changes,
    mentions: list[UUID] | None = None,
) -> None:
    extra = {"mentions": mentions} if mentions else {}
    events.record(
        session,
        type,
        actor_id=principal.user_id,
        workspace_id=access.project.workspace_id,
        project_id=access.project.id,
        task_id=task.id,
        entity_id=comment.id,
        changes=changes,
        **extra,
    )


async def create_comment(
    session: AsyncSession, principal: Principal, *, ref: str, data: CommentCreate
) -> CommentRead:
    """Add a comment; its author starts watching the task."""
    task, access = await access_task(session, principal, ref, Action.COMMENT_CREATE)
    require_unarchived(access.project)
    now = utcnow()
    comment = Comment(
        task_id=task.id,
        author_id=principal.user_id,
        body=data.body,
        created_at=now,
        updated_at=now,
    )
    session.add(comment)
    await _watch(session, task.id, principal.user_id)
    await session.flush()
    await attach_to_comment(
        session,
        principal,
        task_id=task.id,
        comment_id=comment.id,
        attachment_ids=data.attachment_ids,
    )
    _record(
        session,
        principal,
        access,
        task,
        comment,
        EventType.COMMENT_CREATED,
        events.created({"body": comment.body}),
        await mentioned(session, access.project, comment.body),
    )
    return _read(comment, Author(id=principal.user_id, name=principal.name))


async def public_comment(session: AsyncSession, comment_id: UUID) -> CommentRead | None:
    """A comment as the API shows it, read without a caller (for webhooks)."""
    comment = await session.get(Comment, comment_id)
    if comment is None:
        return None
    author = await session.get(User, comment.author_id) if comment.author_id else None
    return _read(comment, author)


async def _watch(session: AsyncSession, task_id: UUID, user_id: UUID) -> None:
    # In one statement: two concurrent comments by the same person must not both insert.
    await insert_ignore(session, TaskWatcher, {"task_id": task_id, "user_id": user_id})


async def get_comment(
    session: AsyncSession, principal: Principal, *, comment_id: UUID
) -> CommentRead:
    comment, _, _ = await access_comment(session, principal, comment_id, Action.PROJECT_READ)
    author = await session.get(User, comment.author_id) if comment.author_id else None
    return _read(comment, author)


async def _editable(
    session: AsyncSession, principal: Principal, comment_id: UUID
) -> tuple[Comment, Task, ProjectAccess]:
    """The author may change their comment while they can still comment; project admins may
    change anyone's."""
    comment, task, access = await access_comment(
        session, principal, comment_id, Action.PROJECT_READ
    )
    if comment.author_id == principal.user_id:
        require_project(access.role, Action.COMMENT_CREATE)
    else:
        require_project(access.role, Action.COMMENT_MODERATE)
    require_unarchived(access.project)
    return comment, task, access


async def update_comment(
    session: AsyncSession, principal: Principal, *, comment_id: UUID, data: CommentWrite
) -> CommentRead:
    comment, task, access = await _editable(session, principal, comment_id)
    if data.body != comment.body:
        now = utcnow()
        _record(
            session,
            principal,
            access,
            task,
            comment,
            EventType.COMMENT_UPDATED,
            events.diff({"body": comment.body}, {"body": data.body}),
            await mentioned(session, access.project, data.body, before=comment.body),
        )
        comment.body = data.body
        comment.edited_at = now
        comment.updated_at = now
        await session.flush()
    author = await session.get(User, comment.author_id) if comment.author_id else None
    return _read(comment, author)


async def delete_comment(session: AsyncSession, principal: Principal, *, comment_id: UUID) -> None:
    """Delete a comment and its text everywhere it was kept: the earlier events of the
    comment lose their text (the task's activity and the WebSocket replay read them),
    and the deletion records who deleted it and when, not what it said."""
    comment, task, access = await _editable(session, principal, comment_id)
    await events.redact(
        session,
        entity_id=comment.id,
        types=[EventType.COMMENT_CREATED, EventType.COMMENT_UPDATED],
    )
    await forget_comment(session, comment.id)
    _record(
        session,
        principal,
        access,
        task,
        comment,
        EventType.COMMENT_DELETED,
        {"body": {"from": None, "to": None}},
    )
    await session.delete(comment)
