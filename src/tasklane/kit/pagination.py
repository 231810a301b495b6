"""Opaque cursors for keyset pagination: `{"items": [...], "next_cursor": "..."}`.

A cursor is `<payload>.<tag>`: the payload is the last row's sort values as compact JSON in
base64url, the tag a truncated HMAC-SHA256 of the list's `scope` and the payload. The scope
names the list and its ordering (`comments`, `tasks:-created`), so a cursor made by one list
is refused by another. Only this server's cursors are accepted, and their values are still
typed and bounded (kit/keyset.py) like any input: a leaked or rotated key gives 422s, not 500s.

The key is derived from the settings' secret once per app, and the edge middleware
(tasklane.middleware) puts it in a context variable for each request. Services
sign and read cursors with `encode_cursor`/`decode_cursor` without the key in their
signatures; outside a request, `signing_cursors(key)` sets it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from fastapi import Query
from pydantic import BaseModel, Field

from tasklane.errors import ValidationFailed

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR_LENGTH = 1000

TAG_BYTES = 12
"""96 bits of HMAC-SHA256: 16 characters, far beyond guessing within any rate limit."""

_TAG_CHARS = 16
_CURSOR = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_CURSOR_LENGTH}}}\.[A-Za-z0-9_-]{{{_TAG_CHARS}}}")
_INVALID = "The cursor is not valid."
_key: ContextVar[bytes | None] = ContextVar("tasklane_cursor_key", default=None)


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` to get the next page; null on the last page."
    )


def invalid_cursor() -> ValidationFailed:
    return ValidationFailed.for_field("cursor", _INVALID)


def cursor_key(secret: str) -> bytes:
    """The key for cursors, derived from the app's secret (never the secret itself)."""
    return hmac.new(secret.encode(), b"tasklane/cursor/v1", hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _tag(payload: str, scope: str, key: bytes) -> str:
    mac = hmac.new(key, scope.encode() + b"\x00" + payload.encode(), hashlib.sha256)
    return _b64(mac.digest()[:TAG_BYTES])


def seal_cursor(raw: bytes, *, scope: str, key: bytes) -> str:
    """A cursor around any payload bytes; `sign_cursor` is the one lists use."""
    payload = _b64(raw)
    return f"{payload}.{_tag(payload, scope, key)}"


def sign_cursor(values: Sequence[Any], *, scope: str, key: bytes) -> str:
    raw = json.dumps(list(values), separators=(",", ":"), allow_nan=False).encode()
    return seal_cursor(raw, scope=scope, key=key)


def open_cursor(cursor: str, *, scope: str, key: bytes, size: int) -> list[Any]:
    """The JSON values of a cursor that `sign_cursor` made for `scope` with `key`, still
    untyped (see keyset.parse_values); anything else is a 422 naming `cursor`."""
    if _CURSOR.fullmatch(cursor) is None:
        raise invalid_cursor()
    payload, tag = cursor.split(".")
    if not hmac.compare_digest(tag, _tag(payload, scope, key)):
        raise invalid_cursor()
    try:
        values = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise invalid_cursor() from exc
    if not isinstance(values, list) or len(values) != size:
        raise invalid_cursor()
    return values


def _current_key() -> bytes:
    key = _key.get()
    if key is None:
        raise RuntimeError("No cursor key is set: serve through create_app or signing_cursors().")
    return key


def encode_cursor(values: Sequence[Any], *, scope: str) -> str:
    """A cursor for the list named `scope`, signed with the key of the current request."""
    return sign_cursor(values, scope=scope, key=_current_key())


def decode_cursor(cursor: str, *, scope: str, size: int) -> list[Any]:
    """Open a cursor made by `encode_cursor` for the same `scope`; anything else is a 422
    naming `cursor`."""
    return open_cursor(cursor, scope=scope, key=_current_key(), size=size)


@contextmanager
def signing_cursors(key: bytes) -> Iterator[None]:
    """Sign and read cursors with `key` inside this block."""
    token = _key.set(key)
    try:
        yield
    finally:
        _key.reset(token)


def set_cursor_key(key: bytes) -> Token[bytes | None]:
    """Sign and read cursors with `key` from here on (the edge middleware, per request); give
    the token back to `reset_cursor_key` when the request ends."""
    return _key.set(key)


def reset_cursor_key(token: Token[bytes | None]) -> None:
    _key.reset(token)


def cursor_uuid(value: Any) -> UUID:
    if not isinstance(value, str):
        raise invalid_cursor()
    try:
        return UUID(value)
    except ValueError as exc:
        raise invalid_cursor() from exc


@dataclass(frozen=True, slots=True)
class PageParams:
    limit: int
    cursor: str | None


async def page_params(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Items per page (default 50, max 200).")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(max_length=MAX_CURSOR_LENGTH, description="`next_cursor` of the previous page."),
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)
