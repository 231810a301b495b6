"""A Trello board's JSON export (Board menu → Print, export and share → Export as JSON) read as
import rows.

A card becomes a task known by `trello:<card id>`: its list is its status (mapped by name or
kind of work, tasklane.imports.service), its labels (by name, else colour), members (by
e-mail when the export has it, else name or username), due date, description, attachments'
links at the end of the description, comments (the `commentCard` actions) as comments. Each
checklist item becomes a subtask (`trello:<item id>`), done when ticked. Archived cards, and
cards of archived lists, are skipped.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import IO, Any

import ijson

from tasklane.errors import ValidationFailed
from tasklane.imports import csvfile
from tasklane.imports.csvfile import Note, SourceFile, SourceRow

DONE_ITEM = "Done"
"""The status name a ticked checklist item asks for: mapped to the project's first done status."""


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed.for_field("file", message, code="not_trello")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _items(file: IO[bytes], name: str) -> Iterator[dict[str, Any]]:
    """The objects of the board's list `name`, one at a time (the file is read once per list:
    an export's `actions` alone may be tens of megabytes, and only a few of its fields are
    needed)."""
    file.seek(0)
    if file.read(3) != codecs.BOM_UTF8:
        file.seek(0)
    try:
        for item in ijson.items(file, f"{name}.item", use_float=True):
            if isinstance(item, dict):
                yield item
    except ijson.JSONError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "it ends too early"
        raise _invalid(f"The file is not JSON ({reason}).") from None


def _has_cards(file: IO[bytes]) -> bool:
    """Whether the file is an object with a `cards` list (read only when it has no card)."""
    file.seek(0)
    if file.read(3) != codecs.BOM_UTF8:
        file.seek(0)
    try:
        events = ijson.parse(file)
        prefix, event, _ = next(events)
        if (prefix, event) != ("", "start_map"):
            return False
        return any(p == "cards" and e == "start_array" for p, e, _ in events)
    except (ijson.JSONError, StopIteration):
        return False


def read(file: IO[bytes], digest: str) -> SourceFile:
    lists = {lst.get("id"): lst for lst in _items(file, "lists")}
    labels = {lb.get("id"): lb for lb in _items(file, "labels")}
    members = {m.get("id"): m for m in _items(file, "members")}
    checklists: dict[str, list[dict[str, Any]]] = {}
    for checklist in _items(file, "checklists"):
        if isinstance(checklist.get("idCard"), str):
            checklists.setdefault(checklist["idCard"], []).append(checklist)
    comments: dict[str, list[tuple[str, str, str]]] = {}
    for action in _items(file, "actions"):
        if action.get("type") != "commentCard":
            continue
        data = _dict(action.get("data"))
        card = _dict(data.get("card"))
        if card.get("id"):
            creator = action.get("memberCreator")
            author = (
                _text(creator.get("fullName")) or _text(creator.get("username"))
                if isinstance(creator, dict)
                else ""
            )
            comments.setdefault(card["id"], []).append(
                (_text(action.get("date")), author or "someone", _text(data.get("text")))
            )

    def person(member_id: Any) -> str:
        member = members.get(member_id, {})
        return (
            _text(member.get("email"))
            or _text(member.get("fullName"))
            or _text(member.get("username"))
        )

    rows: list[SourceRow] = []
    skipped = attachments = items = comment_count = 0
    number = 1
    cards = 0
    for card in _items(file, "cards"):
        cards += 1
        if not card.get("id"):
            continue
        number += 1
        lst = lists.get(card.get("idList"), {})
        archived = bool(card.get("closed")) or bool(lst.get("closed"))
        row = SourceRow(row=number, cells={})
        row.cells["external_id"] = f"trello:{card['id']}"
        row.cells["title"] = _text(card.get("name")).strip()
        description = _text(card.get("desc"))
        links = [
            f"- [{_text(a.get('name')) or _text(a.get('url'))}]({_text(a.get('url'))})"
            for a in card.get("attachments") or []
            if isinstance(a, dict) and _text(a.get("url"))
        ]
        attachments += len(links)
        if links:
            description = (description + "\n\n" if description else "") + "Attachments:\n"
            description += "\n".join(links)
        row.cells["description"] = description
        row.cells["status"] = _text(lst.get("name"))
        row.cells["labels"] = ", ".join(
            _text(labels[i].get("name")) or _text(labels[i].get("color"))
            for i in card.get("idLabels") or []
            if i in labels
        )
        row.cells["assignees"] = ", ".join(p for p in map(person, card.get("idMembers") or []) if p)
        row.cells["due_date"] = _text(card.get("due"))[:10]
        row.cells["trashed"] = "yes" if archived else ""
        skipped += archived
        for when, author, body in sorted(comments.get(card["id"], [])):
            row.comments.append(f"**{author}** wrote on {when[:10]}:\n\n{body}")
            comment_count += 1
        rows.append(row)
        for checklist in checklists.get(card["id"], []):
            check_items = checklist.get("checkItems") or []
            ordered = sorted(
                (i for i in check_items if isinstance(i, dict)),
                key=lambda i: i.get("pos") or 0,
            )
            for item in ordered:
                if not item.get("id"):
                    continue
                number += 1
                items += 1
                sub = SourceRow(row=number, cells={})
                sub.cells["external_id"] = f"trello:{item['id']}"
                sub.cells["title"] = _text(item.get("name")).strip()
                sub.cells["description"] = f"From the checklist {_text(checklist.get('name'))!r}."
                sub.cells["status"] = DONE_ITEM if item.get("state") == "complete" else ""
                sub.cells["assignees"] = (
                    person(item.get("idMember")) if item.get("idMember") else ""
                )
                sub.cells["due_date"] = _text(item.get("due"))[:10]
                sub.cells["parent"] = row.cells["external_id"]
                sub.cells["trashed"] = row.cells["trashed"]
                rows.append(sub)
        if len(rows) > csvfile.MAX_ROWS:
            raise csvfile.too_many_rows()
    if not cards and not _has_cards(file):
        raise _invalid("This is not a Trello board export: it has no cards.")
    if not rows:
        raise ValidationFailed.for_field("file", "The board has no cards.", code="empty_file")
    notes = (
        Note(
            "content", "Trello cards", f"{number - 1 - items} tasks ({skipped} archived: skipped)"
        ),
        Note("content", "checklist items", f"{items} subtasks"),
        Note("content", "comments", f"{comment_count} comments on the tasks created"),
        Note("content", "attachments", f"{attachments} as links at the end of descriptions"),
    )
    return SourceFile(
        columns=(
            "external_id",
            "title",
            "description",
            "status",
            "labels",
            "assignees",
            "due_date",
            "parent",
            "trashed",
        ),
        rows=rows,
        digest=digest,
        format="trello",
        notes=notes,
    )
