"""Keyset ("seek") pagination over any ordering, with each column ascending or descending.

Cursor values come from outside: `parse_values` types each one with its column's parser and
bounds it by the column's SQL type (integer width, string length), so a forged value is a 422
naming `cursor` rather than an overflow in the database driver."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, ColumnElement, Integer, SmallInteger, String, and_, or_
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
    """Cursor values typed by each column's parser and checked against its SQL type."""
    try:
        values = [c.parse(v) for c, v in zip(columns, raw, strict=True)]
        for column, value in zip(columns, values, strict=True):
            _check_fits(column.expr.type, value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValidationFailed.for_field("cursor", "The cursor is not valid.") from exc
    return values


_INT64 = (-(2**63), 2**63 - 1)


def _int_range(sql_type: Any) -> tuple[int, int]:
    """The range of an integer column on every database we run on (PostgreSQL's widths)."""
    if isinstance(sql_type, BigInteger):
        return _INT64
    if isinstance(sql_type, SmallInteger):
        return -(2**15), 2**15 - 1
    return -(2**31), 2**31 - 1


def _check_fits(sql_type: Any, value: Any) -> None:
    if isinstance(value, int) and isinstance(sql_type, Integer):
        low, high = _int_range(sql_type)
        if not low <= value <= high:
            raise ValueError("integer out of the column's range")
    length = getattr(sql_type, "length", None) if isinstance(sql_type, String) else None
    if isinstance(value, str) and length is not None and len(value) > length:
        raise ValueError("string longer than the column")


def as_int(value: Any) -> int:
    """An integer within 64 bits (the column's own range is checked by parse_values)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("not an int")
    if not _INT64[0] <= value <= _INT64[1]:
        raise ValueError("integer out of range")
    return value


def as_str(value: Any) -> str:
    """Text the databases can store: valid UTF-8 (no lone surrogates), no NUL."""
    if not isinstance(value, str):
        raise TypeError("not a string")
    value.encode("utf-8")  # UnicodeEncodeError (a ValueError) on a lone surrogate
    if "\x00" in value:
        raise ValueError("NUL in a string")
    return value


def as_uuid(value: Any) -> UUID:
    return UUID(as_str(value))


def as_date(value: Any) -> date:
    return date.fromisoformat(as_str(value))


def as_datetime(value: Any) -> datetime:
    """An aware datetime, in UTC; one whose UTC time falls outside years 1-9999 is refused
    (OverflowError) here, not in the driver."""
    parsed = datetime.fromisoformat(as_str(value))
    if parsed.tzinfo is None:
        raise ValueError("naive datetime")
    return parsed.astimezone(UTC)
