"""References that name a row either by UUID or by human key (`ENG-42`): the one parser.

A key's number is bounded here, before any query: a number the column cannot hold names no
row, and binding it would fail in the driver (PostgreSQL's INTEGER is 32 bits) instead of
answering "not found"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from uuid import UUID

MAX_REF_LENGTH = 64
"""The longest reference accepted in a path, a body or a WebSocket message."""

MAX_KEY_NUMBER = 2**31 - 1
"""The largest value of `tasks.number` (INTEGER); tests/kit/test_refs.py ties the two."""

# ASCII only (`\d` would take other scripts' digits), no leading zero, at most 10 digits so
# int() never sees a long string; the range check follows.
_KEY = re.compile(r"([A-Za-z][A-Za-z0-9]{0,9})-([1-9][0-9]{0,9})")


@dataclass(frozen=True, slots=True)
class HumanKey:
    prefix: str
    """Upper case, as project keys are stored."""
    number: int


def parse_ref(ref: str | UUID) -> UUID | HumanKey | None:
    """A UUID, a human key within the column's range, or None for anything else (which
    therefore names nothing: callers answer "not found")."""
    if isinstance(ref, UUID):
        return ref
    if len(ref) > MAX_REF_LENGTH or not ref.isascii():
        return None
    match = _KEY.fullmatch(ref)
    if match is not None:
        number = int(match.group(2))
        if number > MAX_KEY_NUMBER:
            return None
        return HumanKey(match.group(1).upper(), number)
    try:
        return UUID(ref)
    except ValueError:
        return None
