"""Keyset ("seek") pagination over any ordering, with each column ascending or descending."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from tasklane.errors import ValidationFailed


@dataclass(frozen=True, slots=True)
class SortColumn:
    expr: ColumnElement[Any] | InstrumentedAttribute[Any]
    descending: bool
    parse: Callable[[Any], Any]


def after(columns: Sequence[SortColumn], values: Sequence[Any]) -> ColumnElement[bool]:
    """The condition for rows that come strictly after `values` in this ordering.

    It starts with a bound on the first column alone (redundant, but the form an index
    range scan can use: databases do not see one in the OR of the rest)."""
    clauses = []
    for i, column in enumerate(columns):
        equal_prefix = [c.expr == v for c, v in zip(columns[:i], values[:i], strict=True)]
        beyond = column.expr < values[i] if column.descending else column.expr > values[i]
        clauses.append(and_(*equal_prefix, beyond))
    if len(columns) == 1:
        return clauses[0]
    first = columns[0]
    bound = first.expr <= values[0] if first.descending else first.expr >= values[0]
    return and_(bound, or_(*clauses))


def order_by(columns: Sequence[SortColumn]) -> list[Any]:
    return [c.expr.desc() if c.descending else c.expr.asc() for c in columns]


def parse_values(columns: Sequence[SortColumn], raw: Sequence[Any]) -> list[Any]:
    try:
        return [c.parse(v) for c, v in zip(columns, raw, strict=True)]
    except (TypeError, ValueError) as exc:
        raise ValidationFailed.for_field("cursor", "The cursor is not valid.") from exc


def as_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("not an int")
    return value


def as_str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def as_uuid(value: Any) -> UUID:
    return UUID(as_str(value))


def as_date(value: Any) -> date:
    return date.fromisoformat(as_str(value))


def as_datetime(value: Any) -> datetime:
    parsed = datetime.fromisoformat(as_str(value))
    if parsed.tzinfo is None:
        raise ValueError("naive datetime")
    return parsed
