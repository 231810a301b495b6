"""An archive's contents in one canonical form, to compare two archives of the same data.

Event sequence numbers are the only values an import changes by design (the events take the
target's next numbers, in order): they are replaced by their rank among the archive's events,
in the events and in every column that names one."""

from __future__ import annotations

import bisect
from pathlib import Path
from typing import Any

from tasklane.archive.codec import canonical, encode_row, kinds
from tasklane.archive.fileformat import ArchiveReader
from tasklane.archive.tables import SEQUENCE_COLUMNS, TABLES


def contents(path: Path) -> dict[str, list[bytes]]:
    reader = ArchiveReader(path)
    tables: dict[str, list[dict[str, Any]]] = {}
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
    seqs = sorted(row["seq"] for row in tables.get("events", []))
    for name, column in SEQUENCE_COLUMNS.items():
        for row in tables.get(name, []):
            if row.get(column) is not None:
                row[column] = bisect.bisect_right(seqs, row[column])
    out = {name: canonical(rows) for name, rows in tables.items()}
    out["files"] = sorted(f"{k}:{v.hex()}".encode() for k, v in files.items())
    return out
