"""Large Trello and Jira exports, shaped like the real ones: a Trello board's JSON with its
`actions` history (most of a real export's bytes: every move, edit and comment, each with its
member, board, list and card), cards with badges, labels, attachments and checklists; a Jira
"all fields" CSV with repeated Labels/Comment/Attachment columns and long descriptions.

The people are the tests' team (ada@ and grace@example.com); the lists are the sample board's,
so statuses map as in test_formats."""

from __future__ import annotations

import csv
import io
import json
import random
from dataclasses import dataclass
from typing import Any

WORDS = [
    "deploy",
    "customer",
    "invoice",
    "login",
    "search",
    "page",
    "mobile",
    "build",
    "release",
    "review",
    "design",
    "api",
    "database",
    "cache",
    "queue",
    "latency",
    "error",
    "report",
    "export",
    "import",
    "sprint",
    "backlog",
    "roadmap",
    "budget",
    "onboarding",
    "billing",
    "webhook",
    "dashboard",
    "chart",
    "filter",
    "label",
    "migration",
    "rollout",
    "incident",
]
LISTS = (("Ideas", False), ("To Do", False), ("Doing", False), ("Review", False), ("Done", False))
MEMBERS = (
    ("Ada Lovelace", "adalovelace", "ada@example.com"),
    ("Grace Hopper", "gracehopper", None),
    ("Zed Outsider", "zed", None),
)


def _id(rng: random.Random) -> str:
    return f"{rng.getrandbits(96):024x}"


def _words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count))


def _member(member_id: str, full_name: str, username: str) -> dict[str, Any]:
    return {
        "id": member_id,
        "activityBlocked": False,
        "avatarHash": f"{hash(username) & 0xFFFFFFFF:032x}",
        "avatarUrl": f"https://trello-members.s3.amazonaws.com/{member_id}/avatar",
        "fullName": full_name,
        "idMemberReferrer": None,
        "initials": "".join(p[0] for p in full_name.split()),
        "nonPublic": {},
        "nonPublicAvailable": True,
        "username": username,
    }


_LIMITS = {
    "reactions": {
        "perAction": {"status": "ok", "disableAt": 900, "warnAt": 720},
        "uniquePerAction": {"status": "ok", "disableAt": 17, "warnAt": 14},
    }
}


@dataclass(frozen=True)
class TrelloExport:
    content: bytes
    cards: int
    archived: int
    items: int
    comments: int
    """Comments on cards that are not archived."""


def trello_export(
    *,
    cards: int,
    items_per_card: int = 1,
    comments_per_card: int = 2,
    other_actions_per_card: int = 8,
    seed: int = 7,
) -> TrelloExport:
    """A board of `cards` cards (one in twenty archived), each with one checklist of
    `items_per_card` items, `comments_per_card` comments and `other_actions_per_card` other
    actions (moves, edits), in Trello's key order (`actions` before `cards`)."""
    rng = random.Random(seed)
    board_id = _id(rng)
    board = {"id": board_id, "name": "Big board", "shortLink": "BiGbOaRd"}
    lists = [
        {"id": _id(rng), "name": n, "closed": c, "pos": 1024 * (i + 1)}
        for i, (n, c) in enumerate(LISTS)
    ]
    labels = [
        {"id": _id(rng), "idBoard": board_id, "name": name, "color": color, "uses": 0}
        for name, color in (("bug", "red"), ("feature", "green"), ("", "blue"), ("ops", "sky"))
    ]
    members = []
    creators = []
    for full_name, username, email in MEMBERS:
        member = _member(_id(rng), full_name, username)
        creators.append(dict(member))
        if email:
            member["email"] = email
        members.append(member)
    actions: list[dict[str, Any]] = []
    card_rows: list[dict[str, Any]] = []
    checklists: list[dict[str, Any]] = []
    items = comments = archived = 0
    for number in range(1, cards + 1):
        card_id = _id(rng)
        lst = rng.choice(lists)
        closed = number % 20 == 0
        archived += closed
        short = {
            "id": card_id,
            "name": f"Card {number}: {_words(rng, 5)}",
            "idShort": number,
            "shortLink": f"c{number:07d}",
        }
        checklist_id = _id(rng)
        card_labels = rng.sample(labels, rng.randint(0, 2))
        card_members = rng.sample(members, rng.randint(0, 2))
        card_rows.append(
            {
                "id": card_id,
                "address": None,
                "badges": {
                    "attachmentsByType": {"trello": {"board": 0, "card": 0}},
                    "location": False,
                    "votes": 0,
                    "viewingMemberVoted": False,
                    "subscribed": False,
                    "fogbugz": "",
                    "checkItems": items_per_card,
                    "checkItemsChecked": 0,
                    "comments": comments_per_card,
                    "attachments": 1,
                    "description": True,
                    "due": None,
                    "dueComplete": False,
                },
                "checkItemStates": [],
                "closed": closed,
                "dateLastActivity": "2026-11-20T10:00:00.000Z",
                "desc": _words(rng, rng.randint(20, 80)),
                "descData": {"emoji": {}},
                "due": f"2026-12-{rng.randint(1, 28):02d}T12:00:00.000Z" if number % 3 else None,
                "dueComplete": False,
                "idBoard": board_id,
                "idChecklists": [checklist_id] if items_per_card else [],
                "idLabels": [lb["id"] for lb in card_labels],
                "idList": lst["id"],
                "idMembers": [m["id"] for m in card_members],
                "idShort": number,
                "labels": card_labels,
                "name": short["name"],
                "pos": 16384 * number,
                "shortLink": short["shortLink"],
                "shortUrl": f"https://trello.com/c/{short['shortLink']}",
                "url": f"https://trello.com/c/{short['shortLink']}/{number}-card",
                "attachments": [
                    {
                        "id": _id(rng),
                        "bytes": None,
                        "date": "2026-11-02T09:00:00.000Z",
                        "idMember": members[0]["id"],
                        "isUpload": False,
                        "mimeType": "",
                        "name": f"Spec {number}",
                        "previews": [],
                        "url": f"https://docs.example.com/spec/{number}",
                        "pos": 16384,
                    }
                ],
                "pluginData": [],
                "customFieldItems": [],
            }
        )
        if items_per_card:
            checklists.append(
                {
                    "id": checklist_id,
                    "idBoard": board_id,
                    "idCard": card_id,
                    "name": "Steps",
                    "pos": 16384,
                    "checkItems": [
                        {
                            "id": _id(rng),
                            "idChecklist": checklist_id,
                            "name": f"Step {i + 1} of card {number}",
                            "state": "complete" if i % 2 else "incomplete",
                            "pos": 16384 * (i + 1),
                            "due": None,
                            "idMember": None,
                            "nameData": {"emoji": {}},
                        }
                        for i in range(items_per_card)
                    ],
                }
            )
            items += 0 if closed else items_per_card
        for i in range(comments_per_card):
            creator = creators[i % 2]
            actions.append(
                {
                    "id": _id(rng),
                    "idMemberCreator": creator["id"],
                    "data": {
                        "text": f"Comment {i + 1} on card {number}: {_words(rng, 40)}",
                        "textData": {"emoji": {}},
                        "card": short,
                        "board": board,
                        "list": {"id": lst["id"], "name": lst["name"]},
                    },
                    "appCreator": None,
                    "type": "commentCard",
                    "date": f"2026-11-{10 + i % 18:02d}T10:{i % 60:02d}:00.000Z",
                    "limits": _LIMITS,
                    "memberCreator": creator,
                }
            )
            comments += 0 if closed else 1
        for i in range(other_actions_per_card):
            before, after = rng.sample(lists, 2)
            actions.append(
                {
                    "id": _id(rng),
                    "idMemberCreator": creators[i % 3]["id"],
                    "data": {
                        "card": {**short, "idList": after["id"], "desc": _words(rng, 12)},
                        "old": {"idList": before["id"], "desc": _words(rng, 10)},
                        "board": board,
                        "listBefore": {"id": before["id"], "name": before["name"]},
                        "listAfter": {"id": after["id"], "name": after["name"]},
                    },
                    "appCreator": None,
                    "type": "updateCard",
                    "date": "2026-11-15T08:00:00.000Z",
                    "limits": {},
                    "memberCreator": creators[i % 3],
                }
            )
    rng.shuffle(actions)
    document = {
        "id": board_id,
        "name": board["name"],
        "desc": "",
        "closed": False,
        "url": "https://trello.com/b/BiGbOaRd/big-board",
        "prefs": {"permissionLevel": "private", "background": "blue"},
        "labelNames": {"green": "feature", "red": "bug"},
        "actions": actions,
        "cards": card_rows,
        "labels": labels,
        "lists": lists,
        "members": members,
        "checklists": checklists,
        "customFields": [],
        "memberships": [
            {"id": _id(rng), "idMember": m["id"], "memberType": "normal"} for m in members
        ],
        "pluginData": [],
    }
    content = json.dumps(document, ensure_ascii=False, indent=1).encode()
    return TrelloExport(content, cards, archived, items, comments)


@dataclass(frozen=True)
class JiraExport:
    content: bytes
    issues: int
    comments: int


def jira_export(*, issues: int, comments_per_issue: int = 3, seed: int = 11) -> JiraExport:
    """A Jira "all fields" CSV of `issues` issues (every tenth a subtask of the one before)
    with long descriptions, repeated Labels, Comment and Attachment columns, and the columns
    Tasklane does not read."""
    rng = random.Random(seed)
    header = [
        "Summary",
        "Issue key",
        "Issue id",
        "Issue Type",
        "Status",
        "Priority",
        "Assignee",
        "Reporter",
        "Created",
        "Updated",
        "Due date",
        "Labels",
        "Labels",
        "Description",
        "Parent id",
        "Custom field (Story Points)",
        "Sprint",
        "Environment",
        *(["Comment"] * comments_per_issue),
        "Attachment",
    ]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    statuses = ("To Do", "In Progress", "In Review", "Done", "Backlog")
    priorities = ("Highest", "High", "Medium", "Low", "Lowest")
    for number in range(1, issues + 1):
        issue_id = 10000 + number
        description = "\n".join(
            f"{p + 1}. {_words(rng, rng.randint(30, 60))}" for p in range(rng.randint(4, 8))
        )
        writer.writerow(
            [
                f"Issue {number}: {_words(rng, 6)}",
                f"BIG-{number}",
                issue_id,
                "Sub-task" if number % 10 == 0 else "Story",
                rng.choice(statuses),
                rng.choice(priorities),
                rng.choice(("ada@example.com", "grace@example.com", "")),
                "grace@example.com",
                "01/Nov/26 9:15 AM",
                "03/Nov/26 2:00 PM",
                f"{rng.randint(1, 28):02d}/Dec/26 12:00 AM" if number % 4 else "",
                rng.choice(("backend", "frontend", "")),
                rng.choice(("urgent", "")),
                description,
                issue_id - 1 if number % 10 == 0 else "",
                rng.choice(("1", "2", "3", "5", "8", "")),
                "Sprint 12",
                "production",
                *(
                    f"0{1 + i}/Nov/26 10:00 AM;ada@example.com;{_words(rng, rng.randint(40, 90))}"
                    for i in range(comments_per_issue)
                ),
                f"02/Nov/26 9:00 AM;grace@example.com;log-{number}.txt;"
                f"https://jira.example.com/secure/attachment/{issue_id}/log-{number}.txt",
            ]
        )
    return JiraExport(out.getvalue().encode(), issues, issues * comments_per_issue)
