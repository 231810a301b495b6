"""The CSV file format of project exports and imports: its columns, how a file is read (encoding,
limits, header) and how each cell is read. Knows no database."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from tasklane.errors import ValidationFailed

MAX_ROWS = 5000
"""The most task rows one file may hold."""
MAX_CELL = 100_000

EXPORT_COLUMNS = (
    "key",
    "number",
    "title",
    "description",
    "status",
    "status_category",
    "priority",
    "assignees",
    "labels",
    "start_date",
    "due_date",
    "estimate",
    "parent",
    "created_at",
    "updated_at",
    "completed_at",
    "created_by",
    "trashed",
)
"""The export's header, in order."""

WRITABLE = frozenset(
    {
        "external_id",
        "key",
        "title",
        "description",
        "status",
        "priority",
        "assignees",
        "labels",
        "start_date",
        "due_date",
        "estimate",
        "parent",
    }
)
"""Columns an import reads."""
READ_ONLY = frozenset(EXPORT_COLUMNS) - WRITABLE
"""Columns of the export that an import accepts and ignores (they are the server's to set)."""
REQUIRED = ("title",)
ALIASES = {
    "summary": "title",
    "name": "title",
    "id": "external_id",
    "external id": "external_id",
    "assignee": "assignees",
    "label": "labels",
    "due": "due_date",
    "start": "start_date",
    "points": "estimate",
    "story_points": "estimate",
    "parent_key": "parent",
}
"""Other names people give these columns (header cells are matched without case)."""

_GUARDED = ("=", "+", "-", "@", "\t", "\r")
"""What kit.spreadsheet.safe_cell puts a `'` before."""
LIST_SPLIT = re.compile(r"[,;]")
PRIORITIES = ("none", "low", "medium", "high", "urgent")


@dataclass(frozen=True, slots=True)
class Problem:
    column: str | None
    message: str
    severity: str = "error"  # "error" | "warning"


@dataclass(slots=True)
class SourceRow:
    """One data row: its number as a spreadsheet shows it (the header is row 1, a cell may
    hold several lines) and its cells by column name."""

    row: int
    cells: dict[str, str]
    problems: list[Problem] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    """Comments to add to the task when the import creates it (Trello, Jira)."""


@dataclass(frozen=True, slots=True)
class Note:
    """A line of an import's mapping report: what a thing of the source became."""

    kind: str  # "status" | "person" | "label" | "column" | "content"
    source: str
    target: str


@dataclass(frozen=True, slots=True)
class SourceFile:
    columns: tuple[str, ...]
    rows: list[SourceRow]
    digest: str
    """A hash of the file: the identity of rows that carry none of their own."""
    format: str = "csv"
    """`csv`: statuses and people must match exactly. `trello`, `jira`: statuses are mapped by
    name or kind of work, people by e-mail, handle or name."""
    notes: tuple[Note, ...] = ()


def digest_of(data: str | bytes) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()[:16]


def too_many_rows() -> ValidationFailed:
    return ValidationFailed.for_field(
        "file",
        f"The file has more than {MAX_ROWS} rows; split it into smaller files.",
        code="too_many_rows",
    )


def _column_name(cell: str) -> str:
    name = cell.strip().lower()
    if name in ALIASES:
        return ALIASES[name]
    name = re.sub(r"[\s\-]+", "_", name)
    return ALIASES.get(name, name)


def text_of(file: IO[bytes]) -> io.TextIOWrapper:
    """The (checked: tasklane.imports.source) file as text, for csv; `detach()` it after, so
    the file stays open."""
    file.seek(0)
    return io.TextIOWrapper(file, encoding="utf-8-sig", newline="")


def read(file: IO[bytes], digest: str) -> SourceFile:
    """The file's columns and rows, or a 422 naming what is wrong with its shape."""
    text = text_of(file)
    reader = csv.reader(text, strict=True)
    try:
        header = next(reader)
        columns = tuple(_column_name(c) for c in header)
        unknown = [h for h, c in zip(header, columns, strict=True) if c not in WRITABLE | READ_ONLY]
        if unknown:
            raise ValidationFailed.for_field(
                "file",
                f"Unknown columns: {', '.join(unknown)}. Known columns: "
                f"{', '.join(sorted(WRITABLE | READ_ONLY))}.",
                code="unknown_columns",
            )
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        if repeated:
            raise ValidationFailed.for_field(
                "file", f"Columns given twice: {', '.join(repeated)}.", code="repeated_columns"
            )
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            raise ValidationFailed.for_field(
                "file",
                f"The file has no {', '.join(missing)} column (its first line must name the "
                "columns).",
                code="missing_columns",
            )
        rows: list[SourceRow] = []
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue  # blank lines, and the empty rows spreadsheets leave at the end
            if len(rows) >= MAX_ROWS:
                raise too_many_rows()
            row = SourceRow(row=number, cells={})
            if len(cells) > len(columns):
                row.problems.append(
                    Problem(
                        None, f"The row has {len(cells)} cells; the header names {len(columns)}."
                    )
                )
            for name, cell in zip(columns, cells, strict=False):
                row.cells[name] = unescape(cell)
            rows.append(row)
    except csv.Error as exc:
        raise ValidationFailed.for_field(
            "file", f"The file is not valid CSV at line {reader.line_num}: {exc}.", code="not_csv"
        ) from None
    finally:
        text.detach()
    if not rows:
        raise ValidationFailed.for_field(
            "file", "The file has no rows below its header.", code="empty_file"
        )
    return SourceFile(columns=columns, rows=rows, digest=digest)


def unescape(cell: str) -> str:
    """Undo the export's formula guard (kit.spreadsheet): `'=x` is read back as `=x`."""
    if cell[:1] == "'" and cell[1:2] and cell[1:2] in _GUARDED:
        return cell[1:]
    return cell


# --- cells -------------------------------------------------------------------------------


def text_list(cell: str) -> list[str]:
    """A list cell: values separated by commas or semicolons, each trimmed, without repeats."""
    return list(dict.fromkeys(v.strip() for v in LIST_SPLIT.split(cell) if v.strip()))


def parse_date(cell: str) -> date | None:
    value = cell.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise ValueError(f"{value!r} is not a date; write it as YYYY-MM-DD (2026-12-31).") from None


def parse_estimate(cell: str) -> float | None:
    value = cell.strip()
    if not value:
        return None
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        raise ValueError(f"{value!r} is not a number.") from None
    if not 0 <= number <= 10_000:
        raise ValueError("The estimate must be between 0 and 10000.")
    return number


def parse_priority(cell: str) -> str:
    value = cell.strip().lower()
    if not value:
        return "none"
    if value not in PRIORITIES:
        raise ValueError(f"{cell.strip()!r} is not a priority; use one of {', '.join(PRIORITIES)}.")
    return value


def export_row(values: dict[str, Any]) -> list[Any]:
    return [values.get(c) for c in EXPORT_COLUMNS]
