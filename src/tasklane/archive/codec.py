"""Rows to JSON and back, by each column's type, the same on SQLite and PostgreSQL.

A row is one JSON object per line, keyed by column name. Values: UUIDs as text, timestamps as
ISO 8601 in UTC, dates as ISO dates, bytes as base64, JSON columns as they are; the rest as
JSON has them. Decoding reads the type from the table, never guesses from the value, so a title
that looks like a date stays a title.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import JSON, Column, Date, LargeBinary, Table, Uuid

from tasklane.kit.sqltypes import UTCDateTime


def _kind(column: Column[Any]) -> str:
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return "datetime"
    if isinstance(kind, Uuid):
        return "uuid"
    if isinstance(kind, LargeBinary):
        return "bytes"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, JSON):
        return "json"
    return "plain"


def kinds(table: Table) -> dict[str, str]:
    return {str(column.name): _kind(column) for column in table.columns}


def encode_value(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return value.astimezone(UTC).isoformat()
    if kind in ("uuid", "date"):
        return str(value) if kind == "uuid" else value.isoformat()
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def decode_value(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return datetime.fromisoformat(value).astimezone(UTC)
    if kind == "uuid":
        return UUID(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value)
    return value


def encode_row(columns: Mapping[str, str], row: Mapping[str, Any]) -> dict[str, Any]:
    return {name: encode_value(kind, row[name]) for name, kind in columns.items() if name in row}


def decode_row(columns: Mapping[str, str], row: Mapping[str, Any]) -> dict[str, Any]:
    """The row as the database takes it; ValueError naming what is wrong with it."""
    if not isinstance(row, Mapping):
        raise ValueError("a row is not a JSON object")
    unknown = set(row) - set(columns)
    if unknown:
        raise ValueError(f"columns this version does not have: {', '.join(sorted(unknown))}")
    try:
        return {name: decode_value(columns[name], value) for name, value in row.items()}
    except (TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"a value does not fit its column: {exc}") from exc


def line(row: Mapping[str, Any]) -> bytes:
    """One JSON line, keys sorted: the same row always gives the same bytes."""
    return orjson.dumps(row, option=orjson.OPT_SORT_KEYS) + b"\n"


def canonical(rows: Iterable[Mapping[str, Any]]) -> list[bytes]:
    """Encoded rows in one order whatever order they were read in (for comparing copies)."""
    return sorted(line(row) for row in rows)
