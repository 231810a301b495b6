"""Trello board JSON and Jira CSV imports through the same pipeline: the mapping report,
subtasks from checklists, comments, attachments' links, idempotent re-imports."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from tasklane.config import Settings
from tasklane.db import Database
from tasklane.models import Comment, Task
from tests.factories import expect
from tests.imports.conftest import Team, all_tasks, import_file, sample, upload


def mapped(body: dict[str, Any], kind: str) -> dict[str, str]:
    return {n["source"]: n["target"] for n in body["mapping"] if n["kind"] == kind}


async def counts(database: Database) -> tuple[int, int]:
    async with database.transaction(write=False) as session:
        tasks = await session.scalar(select(func.count()).select_from(Task))
        comments = await session.scalar(select(func.count()).select_from(Comment))
    return int(tasks or 0), int(comments or 0)


class TestTrello:
    async def test_dry_run_maps_lists_people_and_labels(
        self, client: httpx.AsyncClient, team: Team
    ) -> None:
        body = expect(
            await upload(
                client,
                team.board.member,
                team.pid,
                sample("trello_board.json"),
                dry_run=True,
                format="trello",
                filename="board.json",
            ),
            200,
        )
        assert body["format"] == "trello"
        # 7 cards (2 archived) and 2 checklist items.
        assert body["counts"] == {"create": 7, "update": 0, "skip": 2, "error": 0}
        assert mapped(body, "status") == {
            "Ideas": "Backlog (backlog)",
            "To Do": "Todo (unstarted)",
            "Doing": "In Progress (started)",
            "Review": "In Progress (started)",
            "Done": "Done",
            "Old stuff": "Todo (unstarted)",
        }
        assert mapped(body, "person") == {
            "ada@example.com": "a project member",
            "Grace Hopper": "a project member",
            "Zed Outsider": "not assigned (not a project member)",
        }
        assert mapped(body, "label") == {
            "analytics": "new label",
            "copy": "new label",
            "red": "new label",
        }
        content = mapped(body, "content")
        assert content["checklist items"] == "2 subtasks"
        assert content["comments"] == "2 comments on the tasks created"
        assert content["attachments"] == "1 as links at the end of descriptions"

    async def test_the_board_becomes_tasks_once(
        self, client: httpx.AsyncClient, team: Team, settings: Settings, database: Database
    ) -> None:
        member = team.board.member
        run = await import_file(
            client, settings, database, member, team.pid, sample("trello_board.json"), "trello"
        )
        assert run["status"] == "succeeded", run
        assert run["counts"] == {"create": 7, "update": 0, "skip": 2, "error": 0}
        assert any(n["kind"] == "status" for n in run["mapping"])
        statuses = {s["id"]: s["name"] for s in team.board.statuses.values()}
        tasks = {t["title"]: t for t in await all_tasks(client, member, team.pid)}
        assert set(tasks) == {
            "Draft the new homepage copy",
            "Pick a font",
            "Set up analytics",
            "Launch checklist",
            "Ship v1",
            "Hero",
            "Pricing",
        }
        homepage = tasks["Draft the new homepage copy"]
        assert statuses[homepage["status_id"]] == "In Progress"
        assert homepage["assignee_ids"] == [team.ada.id]
        assert homepage["due_date"] == "2026-12-10"
        assert homepage["description"].endswith(
            "Attachments:\n- [Brief.pdf](https://files.example.com/brief.pdf)"
        )
        assert tasks["Hero"]["parent_id"] == homepage["id"]
        assert statuses[tasks["Hero"]["status_id"]] == "Done"
        assert statuses[tasks["Pricing"]["status_id"]] == "Todo"
        assert statuses[tasks["Pick a font"]["status_id"]] == "Backlog"
        analytics = tasks["Set up analytics"]
        assert analytics["assignee_ids"] == [team.grace.id]
        comments = expect(
            await client.get(f"/api/v1/tasks/{analytics['id']}/comments", headers=member.headers),
            200,
        )["items"]
        assert [c["body"].split("\n")[0] for c in comments] == [
            "**Ada Lovelace** wrote on 2026-11-11:",
            "**Grace Hopper** wrote on 2026-11-12:",
        ]

        before = await counts(database)
        again = await import_file(
            client, settings, database, member, team.pid, sample("trello_board.json"), "trello"
        )
        assert again["counts"] == {"create": 0, "update": 0, "skip": 9, "error": 0}
        assert await counts(database) == before

    async def test_not_a_board_is_422(self, client: httpx.AsyncClient, team: Team) -> None:
        for content in (b"{not json", b'{"name": "no cards"}', b"[]"):
            r = await upload(
                client, team.board.member, team.pid, content, dry_run=True, format="trello"
            )
            assert r.status_code == 422, r.text
            assert r.json()["errors"][0]["code"] == "not_trello"


class TestJira:
    async def test_issues_become_tasks_with_their_comments(
        self, client: httpx.AsyncClient, team: Team, settings: Settings, database: Database
    ) -> None:
        member = team.board.member
        preview = expect(
            await upload(
                client, member, team.pid, sample("jira_export.csv"), dry_run=True, format="jira"
            ),
            200,
        )
        assert preview["counts"] == {"create": 5, "update": 0, "skip": 0, "error": 0}
        assert mapped(preview, "status") == {
            "In Review": "In Progress (started)",
            "To Do": "Todo (unstarted)",
            "Done": "Done",
            "Won't Do": "Cancelled (cancelled)",
            "Backlog": "Backlog",
        }
        assert mapped(preview, "person")["someone.else@example.org"] == (
            "not assigned (not a project member)"
        )
        [ignored] = [n for n in preview["mapping"] if n["kind"] == "column"]
        assert "Sprint" in ignored["source"]
        assert "Reporter" in ignored["source"]

        run = await import_file(
            client, settings, database, member, team.pid, sample("jira_export.csv"), "jira"
        )
        assert run["status"] == "succeeded", run
        statuses = {s["id"]: s["name"] for s in team.board.statuses.values()}
        tasks = {t["title"]: t for t in await all_tasks(client, member, team.pid)}
        sso = tasks["Login fails with SSO"]
        assert sso["priority"] == "urgent"
        assert statuses[sso["status_id"]] == "In Progress"
        assert sso["due_date"] == "2026-12-15"
        assert sso["estimate"] == 3
        assert sso["assignee_ids"] == [team.ada.id]
        assert sso["description"].startswith('Steps:\n1. Open /login\n2. Choose "Sign in')
        assert (
            "- [trace.txt](https://jira.example.com/secure/attachment/10001/trace.txt)"
            in (sso["description"])
        )
        assert tasks["Password reset e-mail"]["assignee_ids"] == [team.grace.id]
        template = tasks["Write the reset template"]
        assert template["parent_id"] == tasks["Password reset e-mail"]["id"]
        assert statuses[template["status_id"]] == "Done"
        assert statuses[tasks["Old IE support"]["status_id"]] == "Cancelled"
        assert tasks["Old IE support"]["assignee_ids"] == []
        assert tasks["Audit log page"]["due_date"] == "2027-01-31"
        comments = expect(
            await client.get(f"/api/v1/tasks/{sso['id']}/comments", headers=member.headers), 200
        )["items"]
        assert [c["body"] for c in comments] == [
            "**ada** wrote on 2026-11-02:\n\nReproduced on staging.",
            "**grace** wrote on 2026-11-03:\n\nFix is in review.",
        ]

        before = await counts(database)
        again = await import_file(
            client, settings, database, member, team.pid, sample("jira_export.csv"), "jira"
        )
        assert again["counts"] == {"create": 0, "update": 0, "skip": 5, "error": 0}
        assert await counts(database) == before

    async def test_a_file_without_summary_is_422(
        self, client: httpx.AsyncClient, team: Team
    ) -> None:
        r = await upload(
            client, team.board.member, team.pid, sample("planning.csv"), dry_run=True, format="jira"
        )
        assert r.status_code == 422
        assert r.json()["errors"][0]["code"] == "missing_columns"
