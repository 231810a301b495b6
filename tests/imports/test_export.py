"""Project CSV export: every field with readable names, formula-safe cells, streamed in batches,
trashed tasks on request."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from tasklane.imports import csvfile
from tasklane.imports import export as exporting
from tests.factories import expect, make_task
from tests.imports.conftest import Team, export


class TestExport:
    async def test_every_field_with_readable_names(
        self, client: httpx.AsyncClient, team: Team
    ) -> None:
        board = team.board
        h = board.owner.headers
        label = expect(
            await client.post(
                f"/api/v1/projects/{team.pid}/labels",
                json={"name": "bug", "color": "#ff0000"},
                headers=h,
            ),
            201,
        )
        parent = await make_task(client, board.owner, team.pid, title="Parent")
        await make_task(
            client,
            board.member,
            team.pid,
            title="Child",
            description="Line one\nline two, with a comma",
            status_id=board.statuses["In Progress"]["id"],
            priority="urgent",
            assignee_ids=[team.grace.id, team.ada.id],
            label_ids=[label["id"]],
            start_date="2026-11-01",
            due_date="2026-11-30",
            estimate=2.5,
            parent_id=parent["id"],
        )
        r = await client.get(f"/api/v1/projects/{team.pid}/export.csv", headers=h)
        assert r.status_code == 200
        assert r.headers["content-type"] == "text/csv; charset=utf-8"
        assert r.headers["content-disposition"].startswith('attachment; filename="eng-tasks-')
        reader = csv.reader(io.StringIO(r.text))
        assert tuple(next(reader)) == csvfile.EXPORT_COLUMNS
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert [row["key"] for row in rows] == ["ENG-1", "ENG-2"]
        child = rows[1]
        assert child == {
            "key": "ENG-2",
            "number": "2",
            "title": "Child",
            "description": "Line one\nline two, with a comma",
            "status": "In Progress",
            "status_category": "started",
            "priority": "urgent",
            "assignees": "ada@example.com, grace@example.com",
            "labels": "bug",
            "start_date": "2026-11-01",
            "due_date": "2026-11-30",
            "estimate": "2.5",
            "parent": "ENG-1",
            "created_at": child["created_at"],
            "updated_at": child["updated_at"],
            "completed_at": "",
            "created_by": board.member.email,
            "trashed": "no",
        }
        assert child["created_at"].endswith("Z")
        assert rows[0]["status"] == "Todo"
        assert rows[0]["parent"] == ""

    async def test_cells_a_spreadsheet_would_run_are_text(
        self, client: httpx.AsyncClient, team: Team
    ) -> None:
        owner = team.board.owner
        for title in ("=cmd|' /C calc'!A0", "+1+1", "-2", "@SUM(1)", "Plain"):
            await make_task(client, owner, team.pid, title=title, description="=HYPERLINK(x)")
        rows = await export(client, owner, team.pid)
        assert [row["title"] for row in rows] == [
            "'=cmd|' /C calc'!A0",
            "'+1+1",
            "'-2",
            "'@SUM(1)",
            "Plain",
        ]
        assert {row["description"] for row in rows} == {"'=HYPERLINK(x)"}

    async def test_streamed_in_batches_in_order(
        self, client: httpx.AsyncClient, team: Team, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(exporting, "EXPORT_BATCH", 2)
        owner = team.board.owner
        for n in range(5):
            await make_task(client, owner, team.pid, title=f"T{n}")
        chunks = []
        async with client.stream(
            "GET", f"/api/v1/projects/{team.pid}/export.csv", headers=owner.headers
        ) as r:
            assert r.status_code == 200
            async for chunk in r.aiter_text():
                chunks.append(chunk)
        rows = list(csv.DictReader(io.StringIO("".join(chunks))))
        assert [row["title"] for row in rows] == ["T0", "T1", "T2", "T3", "T4"]

    async def test_trashed_tasks_only_on_request(
        self, client: httpx.AsyncClient, team: Team
    ) -> None:
        owner = team.board.owner
        await make_task(client, owner, team.pid, title="Kept")
        gone = await make_task(client, owner, team.pid, title="Gone")
        assert (
            await client.delete(f"/api/v1/tasks/{gone['id']}", headers=owner.headers)
        ).status_code == 204
        assert [r["title"] for r in await export(client, owner, team.pid)] == ["Kept"]
        both = await export(client, owner, team.pid, trashed="true")
        assert [(r["title"], r["trashed"]) for r in both] == [("Kept", "no"), ("Gone", "yes")]

    async def test_an_empty_project_is_a_header(
        self, client: httpx.AsyncClient, team: Team
    ) -> None:
        r = await client.get(
            f"/api/v1/projects/{team.pid}/export.csv", headers=team.board.owner.headers
        )
        assert r.text == ",".join(csvfile.EXPORT_COLUMNS) + "\r\n"
