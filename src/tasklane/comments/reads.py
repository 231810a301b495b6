"""A task's comments, read as the hot reads are (docs/architecture.md, "Hot reads"): the
session check, access to the task, then the page with each author's name joined in."""

from __future__ import annotations

from functools import cache
from typing import Any
from uuid import UUID

from fastapi import Request
from sqlalchemy import Integer, bindparam, select

from tasklane.auth.principal import Principal
from tasklane.authz.access import read_task_row, task_read_statement
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
    row = await read_task_row(raw, request, principal, ref, _task_statement)
    params: dict[str, Any] = {"task_id": UUID(row[2]), "limit": limit + 1}
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
