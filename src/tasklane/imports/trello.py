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

import json
from typing import Any

from tasklane.errors import ValidationFailed
from tasklane.imports import csvfile
from tasklane.imports.csvfile import Note, SourceFile, SourceRow

DONE_ITEM = "Done"
"""The status name a ticked checklist item asks for: mapped to the project's first done status."""


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed.for_field("file", message, code="not_trello")


def _list(board: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = board.get(name, [])
    if not isinstance(value, list):
        raise _invalid(f"The board's {name!r} is not a list.")
    return [v for v in value if isinstance(v, dict)]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def read(text: str) -> SourceFile:
    try:
        board = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _invalid(f"The file is not JSON (line {exc.lineno}: {exc.msg}).") from None
    if not isinstance(board, dict) or not isinstance(board.get("cards"), list):
        raise _invalid("This is not a Trello board export: it has no cards.")
    lists = {lst.get("id"): lst for lst in _list(board, "lists")}
    labels = {lb.get("id"): lb for lb in _list(board, "labels")}
    members = {m.get("id"): m for m in _list(board, "members")}
    checklists = _list(board, "checklists")
    comments: dict[str, list[tuple[str, str, str]]] = {}
    for action in _list(board, "actions"):
        data = _dict(action.get("data"))
        card = _dict(data.get("card"))
        if action.get("type") == "commentCard" and card.get("id"):
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
    for card in board["cards"]:
        if not isinstance(card, dict) or not card.get("id"):
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
        for checklist in checklists:
            if checklist.get("idCard") != card["id"]:
                continue
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
        digest=csvfile.digest_of(text),
        format="trello",
        notes=notes,
    )
