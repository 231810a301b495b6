"""A task's comments, read as the hot reads are (docs/architecture.md, "Hot reads"): the
session check, access to the task, then the page with each author's name joined in."""

from __future__ import annotations

from functools import cache
from typing import Any
from uuid import UUID

from fastapi import Request
from sqlalchemy import Integer, bindparam, select

from tasklane.auth.principal import Principal
from tasklane.authz.access import ambiguous_key, read_role, task_lookup, task_read_statement
from tasklane.authz.roles import Action
from tasklane.errors import NotFound
from tasklane.kit import keyset
from tasklane.kit.pagination import decode_cursor, encode_cursor
from tasklane.kit.rawsql import Dialect, RawConnection, RawSQL, compile_raw
from tasklane.models import Comment, Task, User

ORDER = [
    keyset.SortColumn(Comment.created_at, False, keyset.as_datetime),
    keyset.SortColumn(Comment.id, False, keyset.as_uuid),
]
"""Oldest first; the id settles ties."""


@cache
def _task_statement(by_key: bool, scope: Any, dialect: Dialect) -> RawSQL:
    return compile_raw(task_read_statement([Task.id], by_key=by_key, scope=scope), dialect)


@cache
def _page_statement(after: bool, dialect: Dialect) -> RawSQL:
    """Rows: id, task_id, author_id, body, created_at, updated_at, edited_at, author name."""
    stmt = (
        select(
            Comment.id,
            Comment.task_id,
            Comment.author_id,
            Comment.body,
            Comment.created_at,
            Comment.updated_at,
            Comment.edited_at,
            User.name,
        )
        .outerjoin(User, User.id == Comment.author_id)
        .where(Comment.task_id == bindparam("task_id"))
    )
    if after:
        values = [
            bindparam("after_created", type_=Comment.created_at.type),
            bindparam("after_id", type_=Comment.id.type),
        ]
        stmt = stmt.where(keyset.after(ORDER, values))
    limit = bindparam("limit", type_=Integer)
    return compile_raw(stmt.order_by(*keyset.order_by(ORDER)).limit(limit), dialect)


def _comment_json(row: list[Any]) -> dict[str, Any]:
    """A page row → the JSON object of `CommentRead`, in its field order."""
    author = {"id": row[2], "name": row[7]} if row[2] is not None and row[7] is not None else None
    return {
        "id": row[0],
        "task_id": row[1],
        "author_id": row[2],
        "author": author,
        "body": row[3],
        "created_at": row[4],
        "updated_at": row[5],
        "edited_at": row[6],
    }


async def list_comments(
    raw: RawConnection,
    request: Request,
    principal: Principal,
    *,
    ref: str,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """A page of a visible task's comments as `Page[CommentRead]` JSON."""
    lookup = task_lookup(principal, ref)
    if lookup is None:
        raise NotFound("No such task.")
    rows = await raw.fetch(_task_statement(lookup.by_key, lookup.scope, raw.dialect), lookup.params)
    if len(rows) > 1:
        async with request.app.state.runtime.db.transaction(write=False) as session:
            raise await ambiguous_key(session, principal, ref, lookup.params)
    if not rows:
        raise NotFound("No such task.")
    read_role(rows[0], Action.PROJECT_READ, missing="No such task.")
    params: dict[str, Any] = {"task_id": UUID(rows[0][2]), "limit": limit + 1}
    if cursor is not None:
        after = keyset.parse_values(ORDER, decode_cursor(cursor, scope="comments", size=2))
        params["after_created"], params["after_id"] = after
    page = await raw.fetch(_page_statement(cursor is not None, raw.dialect), params)
    items = [_comment_json(row) for row in page[:limit]]
    next_cursor = None
    if len(page) > limit:
        last = items[-1]
        created = last["created_at"]
        created = created if isinstance(created, str) else created.isoformat()
        next_cursor = encode_cursor([created, last["id"]], scope="comments")
    return {"items": items, "next_cursor": next_cursor}
