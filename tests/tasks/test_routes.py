from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
from fastapi import FastAPI
from sqlalchemy import func, or_, select

from tasklane.kit.clock import frozen, utcnow
from tasklane.kit.ordering import key_between
from tasklane.models import Event, Task, TaskRelation
from tasklane.tasks.service import MAX_RELATIONS
from tests.factories import Board, add_member, expect, make_task, make_user
from tests.projects.helpers import event_count, problem


async def _create(client: httpx.AsyncClient, board: Board, **fields: Any) -> dict[str, Any]:
    return await make_task(client, board.member, board.pid, **fields)


async def _walk_pages(client: httpx.AsyncClient, board: Board, **query: Any) -> list[str]:
    """The ids of every task in the project's list, two per page, following the cursors."""
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **query}
        if cursor:
            params["cursor"] = cursor
        body = expect(
            await client.get(
                f"/api/v1/projects/{board.pid}/tasks", params=params, headers=board.member.headers
            ),
            200,
        )
        seen += [t["id"] for t in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            return seen


class TestCreate:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.post(f"/api/v1/projects/{board.pid}/tasks", json={"title": "x"})
        assert r.status_code == 401

    async def test_outsider_is_404(self, client: httpx.AsyncClient, board: Board) -> None:
        outsider = await make_user(client)
        r = await client.post(
            f"/api/v1/projects/{board.pid}/tasks", json={"title": "x"}, headers=outsider.headers
        )
        assert r.status_code == 404

    async def test_keys_are_consecutive(self, client: httpx.AsyncClient, board: Board) -> None:
        keys = [(await _create(client, board, title=f"T{i}"))["key"] for i in range(3)]
        assert keys == ["ENG-1", "ENG-2", "ENG-3"]

    async def test_defaults(self, client: httpx.AsyncClient, board: Board) -> None:
        task = await _create(client, board)
        assert task["status_id"] == board.statuses["Todo"]["id"]
        assert task["priority"] == "none"
        assert task["version"] == 1
        assert task["completed_at"] is None
        assert task["created_by"] == board.member.id

    async def test_all_fields(self, client: httpx.AsyncClient, board: Board) -> None:
        label = expect(
            await client.post(
                f"/api/v1/projects/{board.pid}/labels",
                json={"name": "bug", "color": "#ff0000"},
                headers=board.owner.headers,
            ),
            201,
        )
        task = await _create(
            client,
            board,
            title="  Fix login  ",
            description="**Markdown** body",
            priority="urgent",
            assignee_ids=[board.member.id, board.owner.id, board.member.id],
            label_ids=[label["id"]],
            start_date="2026-12-01",
            due_date="2026-12-05",
            estimate=3,
            status_id=board.statuses["Done"]["id"],
        )
        assert task["title"] == "Fix login"
        assert sorted(task["assignee_ids"]) == sorted([board.member.id, board.owner.id])
        assert task["label_ids"] == [label["id"]]
        assert task["completed_at"] is not None
        fetched = expect(await client.get("/api/v1/tasks/ENG-1", headers=board.owner.headers), 200)
        assert fetched == task

    async def test_start_after_due_is_422(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.post(
            f"/api/v1/projects/{board.pid}/tasks",
            json={"title": "x", "start_date": "2026-12-05", "due_date": "2026-12-01"},
            headers=board.member.headers,
        )
        assert r.status_code == 422

    async def test_refuses_foreign_references(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        outsider = await make_user(client)
        other_ws = expect(
            await client.post(
                "/api/v1/workspaces", json={"name": "Other"}, headers=outsider.headers
            ),
            201,
        )
        other_project = expect(
            await client.post(
                f"/api/v1/workspaces/{other_ws['id']}/projects",
                json={"key": "OPS", "name": "Ops"},
                headers=outsider.headers,
            ),
            201,
        )
        other_status = expect(
            await client.get(
                f"/api/v1/projects/{other_project['id']}/statuses", headers=outsider.headers
            ),
            200,
        )["items"][0]
        other_task = await make_task(client, outsider, other_project["id"])
        cases = {
            "status_id": {"status_id": other_status["id"]},
            "assignee_ids": {"assignee_ids": [outsider.id]},
            "label_ids": {"label_ids": [other_status["id"]]},
            "parent_id": {"parent_id": other_task["id"]},
        }
        for field, extra in cases.items():
            r = await client.post(
                f"/api/v1/projects/{board.pid}/tasks",
                json={"title": "x", **extra},
                headers=board.member.headers,
            )
            assert r.status_code == 422, (field, r.text)
            assert r.json()["errors"][0]["field"] == field
        listed = expect(
            await client.get(f"/api/v1/projects/{board.pid}/tasks", headers=board.owner.headers),
            200,
        )
        assert listed["items"] == []

    async def test_extra_field_is_422(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.post(
            f"/api/v1/projects/{board.pid}/tasks",
            json={"title": "x", "version": 7},
            headers=board.member.headers,
        )
        assert r.status_code == 422

    async def test_records_event(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        task = await _create(client, board, title="Evented")
        async with app.state.runtime.db.transaction(write=False) as s:
            ev = (await s.scalars(select(Event).where(Event.task_id == UUID(task["id"])))).one()
        assert ev.type == "task.created"
        assert ev.data["changes"]["title"] == {"from": None, "to": "Evented"}


class TestGet:
    async def test_by_key_and_id(self, client: httpx.AsyncClient, board: Board) -> None:
        task = await _create(client, board)
        by_key = await client.get("/api/v1/tasks/eng-1", headers=board.owner.headers)
        by_id = await client.get(f"/api/v1/tasks/{task['id']}", headers=board.owner.headers)
        assert by_key.json() == by_id.json() == task
        assert by_key.headers["etag"] == '"1"'

    async def test_outsider_and_nonsense_are_404(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        task = await _create(client, board)
        outsider = await make_user(client)
        for ref in (task["id"], "ENG-1", "ENG-999", "not a key", "ENG-0"):
            r = await client.get(f"/api/v1/tasks/{ref}", headers=outsider.headers)
            assert r.status_code == 404, ref


class TestUpdate:
    async def test_changes_only_sent_fields(self, client: httpx.AsyncClient, board: Board) -> None:
        task = await _create(client, board, description="keep me", priority="low")
        updated = expect(
            await client.patch(
                f"/api/v1/tasks/{task['key']}",
                json={"title": "New", "due_date": "2026-12-24"},
                headers={**board.member.headers, "If-Match": '"1"'},
            ),
            200,
        )
        assert updated["title"] == "New"
        assert updated["description"] == "keep me"
        assert updated["priority"] == "low"
        assert updated["version"] == 2

    async def test_stale_version_is_412_and_changes_nothing(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        task = await _create(client, board)
        headers = {**board.member.headers, "If-Match": '"1"'}
        expect(
            await client.patch(f"/api/v1/tasks/{task['id']}", json={"title": "A"}, headers=headers),
            200,
        )
        r = await client.patch(f"/api/v1/tasks/{task['id']}", json={"title": "B"}, headers=headers)
        assert r.status_code == 412
        assert r.json()["code"] == "version_mismatch"
        now = expect(await client.get(f"/api/v1/tasks/{task['id']}", headers=headers), 200)
        assert now["title"] == "A"

    async def test_bad_if_match_is_422(self, client: httpx.AsyncClient, board: Board) -> None:
        task = await _create(client, board)
        r = await client.patch(
            f"/api/v1/tasks/{task['id']}",
            json={"title": "A"},
            headers={**board.member.headers, "If-Match": "banana"},
        )
        assert r.status_code == 422

    async def test_null_title_is_422(self, client: httpx.AsyncClient, board: Board) -> None:
        task = await _create(client, board)
        r = await client.patch(
            f"/api/v1/tasks/{task['id']}", json={"title": None}, headers=board.member.headers
        )
        assert r.status_code == 422

    async def test_clears_nullable_fields(self, client: httpx.AsyncClient, board: Board) -> None:
        task = await _create(client, board, due_date="2026-12-01", estimate=2)
        updated = expect(
            await client.patch(
                f"/api/v1/tasks/{task['id']}",
                json={"due_date": None, "estimate": None},
                headers=board.member.headers,
            ),
            200,
        )
        assert updated["due_date"] is None
        assert updated["estimate"] is None

    async def test_done_sets_completed_at_and_leaving_clears(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        task = await _create(client, board)
        done = expect(
            await client.patch(
                f"/api/v1/tasks/{task['id']}",
                json={"status_id": board.statuses["Done"]["id"]},
                headers=board.member.headers,
            ),
            200,
        )
        assert done["completed_at"] is not None
        back = expect(
            await client.patch(
                f"/api/v1/tasks/{task['id']}",
                json={"status_id": board.statuses["Todo"]["id"]},
                headers=board.member.headers,
            ),
            200,
        )
        assert back["completed_at"] is None

    async def test_no_change_keeps_version(self, client: httpx.AsyncClient, board: Board) -> None:
        task = await _create(client, board, title="Same")
        same = expect(
            await client.patch(
                f"/api/v1/tasks/{task['id']}", json={"title": "Same"}, headers=board.member.headers
            ),
            200,
        )
        assert same["version"] == 1

    async def test_subtask_cycle_is_refused(self, client: httpx.AsyncClient, board: Board) -> None:
        a = await _create(client, board, title="A")
        b = await _create(client, board, title="B", parent_id=a["id"])
        c = await _create(client, board, title="C", parent_id=b["id"])
        r = await client.patch(
            f"/api/v1/tasks/{a['id']}", json={"parent_id": c["id"]}, headers=board.member.headers
        )
        assert r.status_code == 422
        assert r.json()["errors"][0]["code"] == "parent_cycle"
        r = await client.patch(
            f"/api/v1/tasks/{a['id']}", json={"parent_id": a["id"]}, headers=board.member.headers
        )
        assert r.status_code == 422
        subtasks = expect(
            await client.get(
                f"/api/v1/projects/{board.pid}/tasks",
                params={"parent_id": a["id"]},
                headers=board.member.headers,
            ),
            200,
        )
        assert [t["title"] for t in subtasks["items"]] == ["B"]

    async def test_viewer_is_403(self, client: httpx.AsyncClient, board: Board) -> None:
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
        task = await _create(client, board)
        expect(await client.get(f"/api/v1/tasks/{task['id']}", headers=viewer.headers), 200)
        r = await client.patch(
            f"/api/v1/tasks/{task['id']}", json={"title": "x"}, headers=viewer.headers
        )
        assert r.status_code == 403

    async def test_history_has_before_and_after(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        task = await _create(client, board, title="Old", priority="low")
        expect(
            await client.patch(
                f"/api/v1/tasks/{task['id']}",
                json={"title": "New", "priority": "high", "assignee_ids": [board.owner.id]},
                headers=board.member.headers,
            ),
            200,
        )
        history = expect(
            await client.get(f"/api/v1/tasks/{task['id']}/activity", headers=board.owner.headers),
            200,
        )
        assert [e["type"] for e in history["items"]] == ["task.created", "task.updated"]
        changes = history["items"][1]["changes"]
        assert changes["title"] == {"from": "Old", "to": "New"}
        assert changes["priority"] == {"from": "low", "to": "high"}
        assert changes["assignee_ids"] == {"from": [], "to": [board.owner.id]}
        assert history["items"][1]["actor_id"] == board.member.id
        assert history["items"][0]["seq"] < history["items"][1]["seq"]


class TestList:
    async def test_filters(self, client: httpx.AsyncClient, board: Board) -> None:
        mine = await _create(
            client, board, title="Mine", assignee_ids=[board.member.id], priority="high"
        )
        await _create(
            client, board, title="Theirs", assignee_ids=[board.owner.id], due_date="2026-01-10"
        )
        none = await _create(client, board, title="Nobody's lunch", due_date="2026-03-01")

        async def titles(**params: Any) -> list[str]:
            body = expect(
                await client.get(
                    f"/api/v1/projects/{board.pid}/tasks",
                    params=params,
                    headers=board.member.headers,
                ),
                200,
            )
            return sorted(t["title"] for t in body["items"])

        assert await titles(assignee_id="me") == ["Mine"]
        assert await titles(assignee_id="none") == ["Nobody's lunch"]
        assert await titles(assignee_id=["me", "none"]) == ["Mine", "Nobody's lunch"]
        assert await titles(priority="high") == ["Mine"]
        assert await titles(due_before="2026-02-01") == ["Theirs"]
        assert await titles(due_after="2026-02-01") == ["Nobody's lunch"]
        assert await titles(q="LUNCH") == ["Nobody's lunch"]
        # `q` is a query: words match whole (the last one also as a prefix), field terms
        # filter, and punctuation alone is no condition at all.
        assert await titles(q="lunc") == ["Nobody's lunch"]
        assert await titles(q="lunc nobody") == []
        assert await titles(q="assignee:me priority:high") == ["Mine"]
        assert await titles(q="-assignee:me is:open") == ["Nobody's lunch", "Theirs"]
        assert await titles(q="%") == ["Mine", "Nobody's lunch", "Theirs"]
        assert await titles(status_category="started") == []
        assert await titles(status_id=board.statuses["Todo"]["id"]) == [
            "Mine",
            "Nobody's lunch",
            "Theirs",
        ]
        assert mine["id"] != none["id"]

    async def test_bad_filter_is_422(self, client: httpx.AsyncClient, board: Board) -> None:
        for params in (
            {"assignee_id": "bob"},
            {"priority": "huge"},
            {"due_before": "soon"},
            {"sort": "title"},
            {"limit": 0},
            {"limit": 201},
            {"cursor": "!!"},
        ):
            r = await client.get(
                f"/api/v1/projects/{board.pid}/tasks", params=params, headers=board.member.headers
            )
            assert r.status_code == 422, params

    async def test_pagination_visits_every_task_once(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        created = [
            await _create(
                client,
                board,
                title=f"T{i}",
                priority=["low", "high"][i % 2],
                due_date=None if i % 3 == 0 else f"2026-12-{i + 1:02d}",
            )
            for i in range(7)
        ]
        for sort in (
            "position",
            "created",
            "-created",
            "updated",
            "-updated",
            "due",
            "-due",
            "priority",
            "-priority",
        ):
            seen = await _walk_pages(client, board, sort=sort)
            assert sorted(seen) == sorted(t["id"] for t in created), sort
            assert len(seen) == len(set(seen)), sort

    async def test_position_order_walks_columns_in_board_order(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        # Created out of board order, some at the top of their column: the list must follow
        # the statuses' order, then each column's, on every page and with filters.
        by_name = board.statuses
        names = sorted(by_name, key=lambda n: by_name[n]["position"])
        created = []
        for i in range(9):
            name = names[(i * 2) % len(names)]
            created.append(
                await _create(
                    client,
                    board,
                    title=f"T{i}",
                    status_id=by_name[name]["id"],
                    placement="top" if i % 3 == 0 else "bottom",
                    priority=["low", "high"][i % 2],
                )
            )
        rank = {by_name[n]["id"]: by_name[n]["position"] for n in names}
        expected = [
            t["id"]
            for t in sorted(created, key=lambda t: (rank[t["status_id"]], t["position"], t["id"]))
        ]

        async def walk(**query: Any) -> list[str]:
            return await _walk_pages(client, board, **query)

        assert await walk() == expected
        assert await walk(sort="position") == expected
        high = {t["id"] for t in created if t["priority"] == "high"}
        assert await walk(priority="high") == [i for i in expected if i in high]
        second = by_name[names[2]]["id"]
        in_second = {t["id"] for t in created if t["status_id"] == second}
        assert await walk(status_id=second) == [i for i in expected if i in in_second]

    async def test_priority_and_due_order(self, client: httpx.AsyncClient, board: Board) -> None:
        await _create(client, board, title="low", priority="low", due_date="2026-12-03")
        await _create(client, board, title="urgent", priority="urgent")
        await _create(client, board, title="none", due_date="2026-12-01")

        async def order(sort: str) -> list[str]:
            body = expect(
                await client.get(
                    f"/api/v1/projects/{board.pid}/tasks",
                    params={"sort": sort},
                    headers=board.member.headers,
                ),
                200,
            )
            return [t["title"] for t in body["items"]]

        assert await order("-priority") == ["urgent", "low", "none"]
        # Ascending is low to urgent; "No priority" is last either way, as a missing due date is.
        assert await order("priority") == ["low", "urgent", "none"]
        assert await order("due") == ["none", "low", "urgent"]
        assert await order("-due") == ["low", "none", "urgent"]

    async def test_page_costs_constant_statements(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        label = expect(
            await client.post(
                f"/api/v1/projects/{board.pid}/labels",
                json={"name": "l", "color": "#00ff00"},
                headers=board.owner.headers,
            ),
            201,
        )

        async def statements() -> int:
            r = await client.get(
                f"/api/v1/projects/{board.pid}/tasks",
                params={"limit": 200},
                headers=board.member.headers,
            )
            assert r.status_code == 200
            return int(r.headers["server-timing"].split('desc="')[1].split(" ")[0])

        fields = {"assignee_ids": [board.member.id, board.owner.id], "label_ids": [label["id"]]}
        for i in range(3):
            await _create(client, board, title=f"t{i}", **fields)
        few = await statements()
        for i in range(197):
            await _create(client, board, title=f"u{i}", **fields)
        many = await statements()
        assert few == many
        assert many <= 5


class TestMove:
    async def test_reorders_within_and_across_columns(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        a, b, c = [await _create(client, board, title=t) for t in "abc"]
        todo, doing = board.statuses["Todo"]["id"], board.statuses["In Progress"]["id"]

        async def column(status_id: str) -> list[str]:
            body = expect(
                await client.get(
                    f"/api/v1/projects/{board.pid}/tasks",
                    params={"status_id": status_id},
                    headers=board.member.headers,
                ),
                200,
            )
            return [t["title"] for t in body["items"]]

        async def move(task: dict[str, Any], **body: Any) -> dict[str, Any]:
            return expect(
                await client.post(
                    f"/api/v1/tasks/{task['id']}/move", json=body, headers=board.member.headers
                ),
                200,
            )

        await move(c, status_id=todo, before_id=a["id"])
        assert await column(todo) == ["c", "a", "b"]
        await move(c, status_id=todo, after_id=a["id"])
        assert await column(todo) == ["a", "c", "b"]
        moved = await move(a, status_id=doing)
        assert await column(todo) == ["c", "b"]
        assert await column(doing) == ["a"]
        assert moved["version"] == 2
        await move(b, status_id=doing, before_id=a["id"])
        assert await column(doing) == ["b", "a"]

    async def test_anchor_from_another_column_is_422(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        a, b = [await _create(client, board, title=t) for t in "ab"]
        r = await client.post(
            f"/api/v1/tasks/{a['id']}/move",
            json={"status_id": board.statuses["Done"]["id"], "after_id": b["id"]},
            headers=board.member.headers,
        )
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "after_id"

    async def test_many_moves_keep_a_total_order(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        tasks = [await _create(client, board, title=f"t{i}") for i in range(4)]
        todo = board.statuses["Todo"]["id"]
        first, last = tasks[0], tasks[-1]
        # Repeatedly squeeze the last task right after the first: keys grow, order holds.
        for i in range(30):
            mover = tasks[1 + i % 3]
            expect(
                await client.post(
                    f"/api/v1/tasks/{mover['id']}/move",
                    json={"status_id": todo, "after_id": first["id"]},
                    headers=board.member.headers,
                ),
                200,
            )
        body = expect(
            await client.get(
                f"/api/v1/projects/{board.pid}/tasks",
                params={"status_id": todo},
                headers=board.member.headers,
            ),
            200,
        )
        positions = [t["position"] for t in body["items"]]
        assert len(set(positions)) == 4
        assert body["items"][0]["id"] == first["id"]
        assert last["id"] in [t["id"] for t in body["items"]]


class TestTrash:
    async def test_delete_restore_cycle(self, client: httpx.AsyncClient, board: Board) -> None:
        task = await _create(client, board)
        r = await client.delete(f"/api/v1/tasks/{task['key']}", headers=board.member.headers)
        assert r.status_code == 204
        assert (
            await client.get(f"/api/v1/tasks/{task['id']}", headers=board.member.headers)
        ).status_code == 404
        trash = expect(
            await client.get(f"/api/v1/projects/{board.pid}/trash", headers=board.member.headers),
            200,
        )
        assert [t["id"] for t in trash["items"]] == [task["id"]]
        assert trash["items"][0]["deleted_at"] is not None
        restored = expect(
            await client.post(f"/api/v1/tasks/{task['id']}/restore", headers=board.member.headers),
            200,
        )
        assert restored["deleted_at"] is None
        assert restored["key"] == task["key"]

    async def test_restore_after_retention_is_409(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        task = await _create(client, board)
        with frozen(utcnow() - timedelta(days=31)):
            r = await client.delete(f"/api/v1/tasks/{task['id']}", headers=board.member.headers)
            assert r.status_code == 204
        r = await client.post(f"/api/v1/tasks/{task['id']}/restore", headers=board.member.headers)
        assert r.status_code == 409
        assert r.json()["code"] == "trash_expired"


class TestRelations:
    async def test_blocks_is_seen_from_both_ends(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        a, b = [await _create(client, board, title=t) for t in "ab"]
        rel = expect(
            await client.post(
                f"/api/v1/tasks/{a['id']}/relations",
                json={"type": "blocks", "task_id": b["key"]},
                headers=board.member.headers,
            ),
            201,
        )
        assert rel["type"] == "blocks"
        assert rel["task"]["key"] == b["key"]
        seen_from_b = expect(
            await client.get(f"/api/v1/tasks/{b['id']}/relations", headers=board.member.headers),
            200,
        )
        assert [(r["type"], r["task"]["id"]) for r in seen_from_b["items"]] == [
            ("blocked_by", a["id"])
        ]
        dup = await client.post(
            f"/api/v1/tasks/{b['id']}/relations",
            json={"type": "blocked_by", "task_id": a["id"]},
            headers=board.member.headers,
        )
        assert dup.status_code == 409
        r = await client.delete(
            f"/api/v1/tasks/{b['id']}/relations/{rel['id']}", headers=board.member.headers
        )
        assert r.status_code == 204
        assert (
            expect(
                await client.get(
                    f"/api/v1/tasks/{a['id']}/relations", headers=board.member.headers
                ),
                200,
            )["items"]
            == []
        )

    async def test_self_and_unknown_are_422(self, client: httpx.AsyncClient, board: Board) -> None:
        a = await _create(client, board)
        for target in (a["id"], "ENG-99"):
            r = await client.post(
                f"/api/v1/tasks/{a['id']}/relations",
                json={"type": "relates_to", "task_id": target},
                headers=board.member.headers,
            )
            assert r.status_code == 422


async def relate_to_many(app: FastAPI, board: Board, task: dict[str, Any], n: int) -> None:
    """Store `n` relations between `task` and `n` new tasks (half with `task` as the source,
    half as the target) straight in the database: the API would take long to build them."""
    task_id = UUID(task["id"])
    position = None
    async with app.state.runtime.db.transaction() as session:
        others = []
        for i in range(n):
            position = key_between(position, None)
            others.append(
                Task(
                    project_id=UUID(board.pid),
                    number=10_000 + i,
                    title=f"seed {i}",
                    status_id=UUID(board.statuses["Backlog"]["id"]),
                    position=position,
                )
            )
        session.add_all(others)
        await session.flush()
        session.add_all(
            TaskRelation(
                source_id=task_id if i % 2 else other.id,
                target_id=other.id if i % 2 else task_id,
                type="relates_to",
                created_at=utcnow(),
            )
            for i, other in enumerate(others)
        )


async def relation_count(app: FastAPI, task: dict[str, Any]) -> int:
    task_id = UUID(task["id"])
    async with app.state.runtime.db.transaction(write=False) as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(TaskRelation)
                .where(or_(TaskRelation.source_id == task_id, TaskRelation.target_id == task_id))
            )
            or 0
        )


class TestRelationLimit:
    def relate(
        self,
        client: httpx.AsyncClient,
        board: Board,
        frm: dict[str, Any],
        to: dict[str, Any],
        type: str = "blocks",
    ) -> Any:
        return client.post(
            f"/api/v1/tasks/{frm['id']}/relations",
            json={"type": type, "task_id": to["id"]},
            headers=board.member.headers,
        )

    async def test_one_below_the_limit_is_added(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        a, c = [await _create(client, board, title=t) for t in "ac"]
        await relate_to_many(app, board, a, MAX_RELATIONS - 1)
        expect(await self.relate(client, board, a, c), 201)
        listed = expect(
            await client.get(f"/api/v1/tasks/{a['id']}/relations", headers=board.member.headers),
            200,
        )
        assert len(listed["items"]) == MAX_RELATIONS
        assert listed["next_cursor"] is None
        assert listed["items"][-1]["task"]["id"] == c["id"]

    async def test_past_the_limit_is_409_from_either_end_and_changes_nothing(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        a, c = [await _create(client, board, title=t) for t in "ac"]
        await relate_to_many(app, board, a, MAX_RELATIONS)
        before = await event_count(app)
        for frm, to in ((a, c), (c, a)):
            body = problem(await self.relate(client, board, frm, to), 409, "too_many_relations")
            assert body["detail"].startswith(f"{a['key']} has {MAX_RELATIONS} relations")
        assert await relation_count(app, a) == MAX_RELATIONS
        assert await relation_count(app, c) == 0
        assert await event_count(app) == before

    async def test_parallel_adds_stop_at_the_limit(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        """Both tasks' rows are locked before counting, whichever end the request names."""
        a = await _create(client, board, title="a")
        others = [await _create(client, board, title=f"b{i}") for i in range(4)]
        await relate_to_many(app, board, a, MAX_RELATIONS - 2)
        responses = await asyncio.gather(
            *(
                self.relate(client, board, a, b) if i % 2 else self.relate(client, board, b, a)
                for i, b in enumerate(others)
            )
        )
        assert sorted(r.status_code for r in responses) == [201, 201, 409, 409]
        assert await relation_count(app, a) == MAX_RELATIONS

    async def test_relating_one_pair_from_both_ends_at_once_succeeds(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        """The two rows are locked in one order, so opposite requests queue, not deadlock."""
        a, b = [await _create(client, board, title=t) for t in "ab"]
        responses = await asyncio.gather(
            *(
                self.relate(client, board, frm, to, type)
                for type in ("blocks", "duplicates")
                for frm, to in ((a, b), (b, a))
            )
        )
        assert [r.status_code for r in responses] == [201] * 4


class TestArchivedProject:
    async def test_writes_are_409(self, client: httpx.AsyncClient, board: Board) -> None:
        task = await _create(client, board)
        expect(
            await client.patch(
                f"/api/v1/projects/{board.pid}",
                json={"archived": True},
                headers=board.owner.headers,
            ),
            200,
        )
        r = await client.patch(
            f"/api/v1/tasks/{task['id']}", json={"title": "x"}, headers=board.member.headers
        )
        assert r.status_code == 409
        assert r.json()["code"] == "project_archived"
        r = await client.post(
            f"/api/v1/projects/{board.pid}/tasks", json={"title": "x"}, headers=board.member.headers
        )
        assert r.status_code == 409
