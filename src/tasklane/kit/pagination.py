"""Opaque cursors for keyset pagination: `{"items": [...], "next_cursor": "..."}`."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from fastapi import Query
from pydantic import BaseModel, Field

from tasklane.errors import ValidationFailed

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` to get the next page; null on the last page."
    )


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, size: int) -> list[Any]:
    """Decode a cursor made by `encode_cursor`; anything else is a 422 naming `cursor`."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed.for_field("cursor", "The cursor is not valid.") from exc
    if not isinstance(values, list) or len(values) != size:
        raise ValidationFailed.for_field("cursor", "The cursor is not valid.")
    return values


def cursor_uuid(value: Any) -> UUID:
    try:
        return UUID(str(value))
    except ValueError as exc:
        raise ValidationFailed.for_field("cursor", "The cursor is not valid.") from exc


@dataclass(frozen=True, slots=True)
class PageParams:
    limit: int
    cursor: str | None


async def page_params(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Items per page (default 50, max 200).")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=1000, description="`next_cursor` of the previous page.")
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)
