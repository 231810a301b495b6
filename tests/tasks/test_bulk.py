"""Bulk task changes (`PATCH /projects/{id}/tasks`) and per-status counts."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tasklane.models import Event
from tests.factories import (
    Board,
    add_member,
    expect,
    make_project,
    make_task,
    make_user,
    make_workspace,
    statuses,
)


def bulk_url(board: Board) -> str:
    return f"/api/v1/projects/{board.pid}/tasks"


async def task_events(app: FastAPI, task_id: str) -> list[str]:
    async with app.state.runtime.db.transaction(write=False) as session:
        rows = await session.scalars(select(Event).order_by(Event.seq))
        return [e.type for e in rows if str(e.task_id) == task_id]


async def get(client: httpx.AsyncClient, board: Board, ref: str) -> dict[str, Any]:
    return expect(await client.get(f"/api/v1/tasks/{ref}", headers=board.member.headers), 200)


class TestBulkUpdate:
    async def test_anonymous_is_401_and_outsider_404(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        task = await make_task(client, board.owner, board.pid)
        body = {"items": [{"id": task["id"], "changes": {"title": "X"}}]}
        assert (await client.patch(bulk_url(board), json=body)).status_code == 401
        outsider = await make_user(client)
        r = await client.patch(bulk_url(board), json=body, headers=outsider.headers)
        assert r.status_code == 404
        assert (await get(client, board, task["key"]))["title"] == "A task"

    async def test_changes_every_task_with_an_event_each(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI
    ) -> None:
        tasks = [await make_task(client, board.owner, board.pid, f"T{i}") for i in range(3)]
        done = board.statuses["Done"]["id"]
        body = {
            "items": [
                {"id": t["id"], "version": t["version"], "changes": {"status_id": done}}
                for t in tasks
            ]
        }
        result = expect(
            await client.patch(bulk_url(board), json=body, headers=board.member.headers), 200
        )
        assert result["failed"] == []
        assert [t["id"] for t in result["updated"]] == [t["id"] for t in tasks]
        for task in tasks:
            stored = await get(client, board, task["key"])
            assert stored["status_id"] == done
            assert stored["completed_at"] is not None
            assert stored["version"] == task["version"] + 1
            assert await task_events(app, task["id"]) == ["task.created", "task.updated"]

    async def test_a_failing_item_changes_nothing_and_the_others_go_through(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI
    ) -> None:
        fresh, stale, bad = [
            await make_task(client, board.owner, board.pid, f"T{i}") for i in range(3)
        ]
        other = await make_project(client, board.owner, board.workspace["id"], key="OPS")
        foreign_status = expect(
            await client.get(
                f"/api/v1/projects/{other['id']}/statuses", headers=board.owner.headers
            ),
            200,
        )["items"][0]["id"]
        body = {
            "items": [
                {"id": fresh["id"], "changes": {"priority": "high"}},
                {"id": stale["id"], "version": 99, "changes": {"priority": "high"}},
                {"id": bad["id"], "changes": {"status_id": foreign_status, "title": "Half"}},
            ]
        }
        result = expect(
            await client.patch(bulk_url(board), json=body, headers=board.member.headers), 200
        )
        assert [t["id"] for t in result["updated"]] == [fresh["id"]]
        failures = {f["id"]: f for f in result["failed"]}
        assert failures[stale["id"]]["status"] == 412
        assert failures[bad["id"]]["status"] in {404, 422}
        assert (await get(client, board, stale["key"]))["priority"] == "none"
        untouched = await get(client, board, bad["key"])
        assert (untouched["title"], untouched["version"]) == ("T2", 1)
        assert await task_events(app, stale["id"]) == ["task.created"]
        assert await task_events(app, bad["id"]) == ["task.created"]

    async def test_tasks_of_other_projects_and_workspaces_are_not_found(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        other_project = await make_project(client, board.owner, board.workspace["id"], key="OPS")
        elsewhere = await make_task(client, board.owner, other_project["id"], "Other project")
        other_ws = await make_workspace(client, board.member, "Side gig")
        side = await make_project(client, board.member, other_ws["id"], key="SIDE")
        foreign = await make_task(client, board.member, side["id"], "Other workspace")
        body = {
            "items": [
                {"id": elsewhere["id"], "changes": {"title": "Hijacked"}},
                {"id": foreign["id"], "changes": {"title": "Hijacked"}},
                {"id": "00000000-0000-7000-8000-000000000000", "changes": {"title": "Nobody"}},
            ]
        }
        result = expect(
            await client.patch(bulk_url(board), json=body, headers=board.member.headers), 200
        )
        assert result["updated"] == []
        assert {f["status"] for f in result["failed"]} == {404}
        assert (await get(client, board, elsewhere["id"]))["title"] == "Other project"
        assert (await get(client, board, foreign["id"]))["title"] == "Other workspace"

    async def test_ids_of_another_workspace_inside_items_change_nothing(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI
    ) -> None:
        """The member also runs a workspace of their own: its status, label, user and task
        named inside bulk items for ENG are refused item by item, and nothing changes."""
        side_ws = await make_workspace(client, board.member, "Side gig")
        side = await make_project(client, board.member, side_ws["id"], key="SIDE")
        side_status = (await statuses(client, board.member, side["id"]))[0]["id"]
        side_label = expect(
            await client.post(
                f"/api/v1/projects/{side['id']}/labels",
                json={"name": "Side", "color": "#00ff00"},
                headers=board.member.headers,
            ),
            201,
        )["id"]
        stranger = await make_user(client, name="Sam Stranger")
        await add_member(client, board.member, side_ws["id"], stranger)
        side_task = await make_task(client, board.member, side["id"], "Side task")
        tasks = [await make_task(client, board.owner, board.pid, f"T{i}") for i in range(4)]
        changes: list[dict[str, Any]] = [
            {"status_id": side_status},
            {"label_ids": [side_label]},
            {"assignee_ids": [stranger.id]},
            {"parent_id": side_task["id"]},
        ]
        body = {
            "items": [
                {"id": t["id"], "changes": {**c, "title": "Changed"}}
                for t, c in zip(tasks, changes, strict=True)
            ]
        }
        result = expect(
            await client.patch(bulk_url(board), json=body, headers=board.member.headers), 200
        )
        assert result["updated"] == []
        assert [f["id"] for f in result["failed"]] == [t["id"] for t in tasks]
        assert {f["status"] for f in result["failed"]} <= {404, 422}
        for task in tasks:
            after = await get(client, board, task["key"])
            assert (after["title"], after["version"]) == (task["title"], 1)
            assert await task_events(app, task["id"]) == ["task.created"]
        side_after = expect(
            await client.get(f"/api/v1/tasks/{side_task['id']}", headers=board.member.headers),
            200,
        )
        assert side_after["version"] == side_task["version"]

    @pytest.mark.parametrize(
        "body",
        [
            {"items": []},
            {"items": [{"id": "00000000-0000-7000-8000-000000000001", "changes": {}}] * 2},
            {"items": [{"id": "not-a-uuid", "changes": {}}]},
            {"items": [{"id": "00000000-0000-7000-8000-000000000001", "changes": {"title": ""}}]},
            {"items": [{"id": "00000000-0000-7000-8000-000000000001", "changes": {"nope": 1}}]},
            {
                "items": [
                    {"id": f"00000000-0000-7000-8000-{i:012d}", "changes": {}} for i in range(201)
                ]
            },
        ],
    )
    async def test_a_bad_request_is_422_and_changes_nothing(
        self, client: httpx.AsyncClient, board: Board, body: dict[str, Any]
    ) -> None:
        task = await make_task(client, board.owner, board.pid)
        r = await client.patch(bulk_url(board), json=body, headers=board.member.headers)
        assert r.status_code == 422, r.text
        assert (await get(client, board, task["key"]))["version"] == 1

    async def test_a_viewer_may_not(self, client: httpx.AsyncClient, board: Board) -> None:
        viewer = await make_user(client)
        await add_member(client, board.owner, board.workspace["id"], viewer)
        expect(
            await client.post(
                f"/api/v1/projects/{board.pid}/members",
                json={"user_id": viewer.id, "role": "viewer"},
                headers=board.owner.headers,
            ),
            201,
        )
        task = await make_task(client, board.owner, board.pid)
        body = {"items": [{"id": task["id"], "changes": {"title": "Nope"}}]}
        r = await client.patch(bulk_url(board), json=body, headers=viewer.headers)
        assert r.status_code == 403


class TestCounts:
    async def test_counts_per_status_with_filters(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        todo, done = board.statuses["Todo"]["id"], board.statuses["Done"]["id"]
        for i in range(3):
            await make_task(client, board.owner, board.pid, f"T{i}", status_id=todo)
        await make_task(client, board.owner, board.pid, "Urgent", status_id=done, priority="urgent")
        trashed = await make_task(client, board.owner, board.pid, "Gone", status_id=done)
        expect(
            await client.delete(f"/api/v1/tasks/{trashed['key']}", headers=board.owner.headers), 204
        )
        url = f"/api/v1/projects/{board.pid}/task-counts"
        counts = expect(await client.get(url, headers=board.member.headers), 200)
        by_status = {c["status_id"]: c["count"] for c in counts["by_status"]}
        assert counts["total"] == 4
        assert (by_status[todo], by_status[done]) == (3, 1)
        assert [c["status_id"] for c in counts["by_status"]] == [
            s["id"] for s in sorted(board.statuses.values(), key=lambda s: s["position"])
        ]
        urgent = expect(
            await client.get(url, params={"priority": "urgent"}, headers=board.member.headers), 200
        )
        assert urgent["total"] == 1

    async def test_outsider_is_404(self, client: httpx.AsyncClient, board: Board) -> None:
        outsider = await make_user(client)
        r = await client.get(f"/api/v1/projects/{board.pid}/task-counts", headers=outsider.headers)
        assert r.status_code == 404
