"""Jira's CSV export ("Export Excel CSV (all fields)") read as import rows.

Jira writes one column per value for lists (`Labels`, `Comment`, `Attachment` come several
times), dates as `05/Dec/26 4:30 PM`, comments as `date;author;text` and attachments as
`date;author;name;url`. An issue becomes a task known by `jira:<issue key>`; its status, people
and labels are mapped like Trello's (tasklane.imports.service); its parent is the issue whose id
or key the `Parent` columns name; comments come as comments, attachments as links at the end of
the description. Columns Tasklane has no place for are listed in the mapping report.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from typing import IO

from tasklane.errors import ValidationFailed
from tasklane.imports import csvfile
from tasklane.imports.csvfile import Note, Problem, SourceFile, SourceRow

PRIORITIES = {
    "highest": "urgent",
    "blocker": "urgent",
    "critical": "urgent",
    "high": "high",
    "major": "high",
    "medium": "medium",
    "low": "low",
    "minor": "low",
    "lowest": "low",
    "trivial": "low",
}
USED = {
    "summary",
    "issue key",
    "issue id",
    "description",
    "status",
    "priority",
    "assignee",
    "due date",
    "due",
    "labels",
    "comment",
    "attachment",
    "parent",
    "parent id",
    "parent key",
    "story points",
    "custom field (story points)",
    "custom field (story point estimate)",
    "original estimate",
}
_DATE_FORMATS = ("%d/%b/%y %I:%M %p", "%d/%b/%y", "%d/%b/%Y %I:%M %p", "%d/%b/%Y", "%Y-%m-%d %H:%M")


def jira_date(value: str) -> str:
    """A Jira date cell as YYYY-MM-DD ("" when empty; the cell itself when unreadable, so the
    row reports it)."""
    value = value.strip()
    if not value:
        return ""
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date().isoformat()  # noqa: DTZ007 - a day
        except ValueError:
            continue
    return value


def _records(file: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
    """The file's issues (its number, its cells), one at a time, below the header."""
    text = csvfile.text_of(file)
    reader = csv.reader(text, strict=True)
    try:
        next(reader, None)
        count = 0
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if count >= csvfile.MAX_ROWS:
                raise csvfile.too_many_rows()
            count += 1
            yield count + 1, cells
    except csv.Error as exc:
        raise ValidationFailed.for_field(
            "file", f"The file is not valid CSV at line {reader.line_num}: {exc}.", code="not_csv"
        ) from None
    finally:
        text.detach()


def read(file: IO[bytes], digest: str) -> SourceFile:
    """The issues of the file, read twice: once for the ids that parents name, once for the
    rows (so only the rows are held, not the file's cells)."""
    text = csvfile.text_of(file)
    try:
        header = [h.strip() for h in next(csv.reader(text, strict=True), [])]
    except csv.Error as exc:
        raise ValidationFailed.for_field(
            "file", f"The file is not valid CSV at line 1: {exc}.", code="not_csv"
        ) from None
    finally:
        text.detach()
    names = [h.lower() for h in header]
    if "summary" not in names:
        raise ValidationFailed.for_field(
            "file",
            "This is not a Jira CSV export: it has no Summary column.",
            code="missing_columns",
        )

    def values(cells: list[str], *columns: str) -> list[str]:
        return [
            cells[i].strip()
            for i, name in enumerate(names)
            if name in columns and i < len(cells) and cells[i].strip()
        ]

    def first(cells: list[str], *columns: str) -> str:
        found = values(cells, *columns)
        return found[0] if found else ""

    keys_by_id = {
        first(cells, "issue id"): first(cells, "issue key")
        for _, cells in _records(file)
        if first(cells, "issue id")
    }
    rows: list[SourceRow] = []
    comments = attachments = 0
    for number, cells in _records(file):
        key = first(cells, "issue key")
        row = SourceRow(row=number, cells={})
        row.cells["external_id"] = f"jira:{key}" if key else ""
        row.cells["title"] = first(cells, "summary")
        description = first(cells, "description")
        links = []
        for attachment in values(cells, "attachment"):
            parts = attachment.split(";", 3)
            if len(parts) == 4:
                links.append(f"- [{parts[2]}]({parts[3]})")
                attachments += 1
        if links:
            description = (description + "\n\n" if description else "") + "Attachments:\n"
            description += "\n".join(links)
        row.cells["description"] = description
        row.cells["status"] = first(cells, "status")
        priority = first(cells, "priority")
        row.cells["priority"] = PRIORITIES.get(priority.lower(), "none")
        if priority and priority.lower() not in PRIORITIES:
            row.problems.append(
                Problem("priority", f"Priority {priority!r} is not Jira's; set to none.", "warning")
            )
        row.cells["assignees"] = first(cells, "assignee")
        row.cells["labels"] = ", ".join(values(cells, "labels"))
        row.cells["due_date"] = jira_date(first(cells, "due date", "due"))
        row.cells["estimate"] = first(
            cells,
            "story points",
            "custom field (story points)",
            "custom field (story point estimate)",
        )
        parent = first(cells, "parent", "parent key")
        parent_id = first(cells, "parent id")
        if parent_id and parent_id in keys_by_id:
            parent = keys_by_id[parent_id]
        elif parent_id and not parent:
            row.problems.append(
                Problem(
                    "parent", f"The parent issue (id {parent_id}) is not in the file.", "warning"
                )
            )
        row.cells["parent"] = f"jira:{parent}" if parent and not parent.isdigit() else ""
        for comment in values(cells, "comment"):
            parts = comment.split(";", 2)
            if len(parts) == 3:
                when, author, body = parts
                row.comments.append(f"**{author}** wrote on {jira_date(when)}:\n\n{body}")
            else:
                row.comments.append(comment)
            comments += 1
        rows.append(row)
    if not rows:
        raise ValidationFailed.for_field(
            "file", "The file has no issues below its header.", code="empty_file"
        )
    ignored = sorted({h for h, n in zip(header, names, strict=True) if n not in USED and h})
    notes = [
        Note("content", "Jira issues", f"{len(rows)} rows"),
        Note("content", "comments", f"{comments} comments on the tasks created"),
        Note("content", "attachments", f"{attachments} as links at the end of descriptions"),
    ]
    if ignored:
        notes.append(Note("column", ", ".join(ignored), "not imported"))
    return SourceFile(
        columns=tuple(header),
        rows=rows,
        digest=digest,
        format="jira",
        notes=tuple(notes),
    )
