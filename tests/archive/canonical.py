"""An archive's contents in one canonical form, to compare two archives of the same data.

Event sequence numbers are the only values an import changes by design (the events take the
target's next numbers, in order): they are replaced by their rank among the archive's events,
in the events, in every column that names one, and in the notifications' dedupe keys that
name one (`event:<seq>`)."""

from __future__ import annotations

import bisect
from pathlib import Path
from typing import Any

from tasklane.archive.codec import canonical, encode_row, kinds
from tasklane.archive.fileformat import ArchiveReader
from tasklane.archive.tables import SEQUENCE_COLUMNS, TABLES

Rows = dict[str, list[dict[str, Any]]]
"""Per table, its rows as the archive encodes them (UUIDs as text, and so on)."""


def read(path: Path) -> tuple[Rows, dict[str, bytes]]:
    """The archive's rows, encoded, and its files by key."""
    reader = ArchiveReader(path)
    tables: Rows = {}
    files: dict[str, bytes] = {}
    try:
        for kind, name, stream in reader.members():
            if kind == "file":
                files[name] = stream.read()
            else:
                columns = kinds(TABLES[name])
                tables[name] = [encode_row(columns, r) for r in reader.rows(stream, columns)]
        reader.check_complete()
    finally:
        reader.close()
    return tables, files


def normalized(tables: Rows, files: dict[str, bytes]) -> dict[str, list[bytes]]:
    seqs = sorted(row["seq"] for row in tables.get("events", []))
    for name, column in SEQUENCE_COLUMNS.items():
        for row in tables.get(name, []):
            if row.get(column) is not None:
                row[column] = bisect.bisect_right(seqs, row[column])
    for row in tables.get("notifications", []):
        kind, _, seq = str(row.get("dedupe_key", "")).partition(":")
        if kind == "event" and seq.isdigit():
            row["dedupe_key"] = f"event:{bisect.bisect_right(seqs, int(seq))}"
    out = {name: canonical(rows) for name, rows in tables.items()}
    out["files"] = sorted(f"{k}:{v.hex()}".encode() for k, v in files.items())
    return out


def contents(path: Path) -> dict[str, list[bytes]]:
    return normalized(*read(path))
