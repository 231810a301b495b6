from __future__ import annotations

from typing import Any

import httpx

from tests.factories import Board, add_member, expect, make_project, make_task, make_user


class TestCreate:
    async def test_default_workflow(self, client: httpx.AsyncClient, board: Board) -> None:
        names = [(s["name"], s["category"], s["position"]) for s in board.statuses.values()]
        assert sorted(names, key=lambda n: n[2]) == [
            ("Backlog", "backlog", 0),
            ("Todo", "unstarted", 1),
            ("In Progress", "started", 2),
            ("Done", "done", 3),
            ("Cancelled", "cancelled", 4),
        ]
        assert board.project["key"] == "ENG"
        assert board.project["role"] == "admin"

    async def test_key_rules(self, client: httpx.AsyncClient, board: Board) -> None:
        url = f"/api/v1/workspaces/{board.workspace['id']}/projects"
        for key in ("E", "1ENG", "ENG-X", "TOOLONGKEY1", ""):
            r = await client.post(url, json={"key": key, "name": "x"}, headers=board.owner.headers)
            assert r.status_code == 422, key
            assert r.json()["errors"][0]["field"] == "key"
        lower = expect(
            await client.post(url, json={"key": "ops", "name": "Ops"}, headers=board.owner.headers),
            201,
        )
        assert lower["key"] == "OPS"
        dup = await client.post(
            url, json={"key": "eng", "name": "Again"}, headers=board.owner.headers
        )
        assert dup.status_code == 409
        assert dup.json()["code"] == "key_taken"

    async def test_member_creator_administers_it(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        project = await make_project(client, board.member, board.workspace["id"], key="MINE")
        assert project["role"] == "admin"


class TestVisibility:
    async def test_guest_sees_only_projects_they_are_in(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        guest = await make_user(client)
        await add_member(client, board.owner, board.workspace["id"], guest, "guest")
        other = await make_project(client, board.owner, board.workspace["id"], key="OPS")
        url = f"/api/v1/workspaces/{board.workspace['id']}/projects"
        assert expect(await client.get(url, headers=guest.headers), 200)["items"] == []
        assert (
            await client.get(f"/api/v1/projects/{other['id']}", headers=guest.headers)
        ).status_code == 404
        expect(
            await client.post(
                f"/api/v1/projects/{other['id']}/members",
                json={"user_id": guest.id, "role": "admin"},
                headers=board.owner.headers,
            ),
            201,
        )
        seen = expect(await client.get(url, headers=guest.headers), 200)["items"]
        assert [(p["key"], p["role"]) for p in seen] == [("OPS", "member")]

    async def test_non_member_cannot_get_a_project_role(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        stranger = await make_user(client)
        r = await client.post(
            f"/api/v1/projects/{board.pid}/members",
            json={"user_id": stranger.id, "role": "member"},
            headers=board.owner.headers,
        )
        assert r.status_code == 422
        assert r.json()["errors"][0]["code"] == "not_workspace_member"

    async def test_archived_projects_are_filtered(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        expect(
            await client.patch(
                f"/api/v1/projects/{board.pid}",
                json={"archived": True},
                headers=board.owner.headers,
            ),
            200,
        )
        url = f"/api/v1/workspaces/{board.workspace['id']}/projects"
        assert expect(await client.get(url, headers=board.member.headers), 200)["items"] == []
        archived = expect(
            await client.get(url, params={"archived": "true"}, headers=board.member.headers), 200
        )
        assert [p["archived"] for p in archived["items"]] == [True]


class TestStatuses:
    async def test_add_rename_reorder(self, client: httpx.AsyncClient, board: Board) -> None:
        url = f"/api/v1/projects/{board.pid}/statuses"
        review = expect(
            await client.post(
                url,
                json={"name": "Review", "category": "started", "position": 3},
                headers=board.owner.headers,
            ),
            201,
        )
        assert review["position"] == 3
        dup = await client.post(
            url, json={"name": "review", "category": "started"}, headers=board.owner.headers
        )
        assert dup.status_code == 409
        expect(
            await client.patch(
                f"{url}/{review['id']}",
                json={"position": 0, "name": "In review"},
                headers=board.owner.headers,
            ),
            200,
        )
        items = expect(await client.get(url, headers=board.member.headers), 200)["items"]
        assert [s["name"] for s in items] == [
            "In review",
            "Backlog",
            "Todo",
            "In Progress",
            "Done",
            "Cancelled",
        ]
        assert [s["position"] for s in items] == list(range(6))

    async def test_delete_moves_tasks(self, client: httpx.AsyncClient, board: Board) -> None:
        doing = board.statuses["In Progress"]["id"]
        done = board.statuses["Done"]["id"]
        tasks: list[dict[str, Any]] = [
            await make_task(client, board.member, board.pid, title=f"t{i}", status_id=doing)
            for i in range(3)
        ]
        r = await client.delete(
            f"/api/v1/projects/{board.pid}/statuses/{doing}",
            params={"move_to": done},
            headers=board.owner.headers,
        )
        assert r.status_code == 204
        for task in tasks:
            now = expect(
                await client.get(f"/api/v1/tasks/{task['id']}", headers=board.member.headers), 200
            )
            assert now["status_id"] == done
            assert now["completed_at"] is not None
            assert now["version"] == task["version"] + 1

    async def test_delete_needs_a_valid_target_and_keeps_one(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        url = f"/api/v1/projects/{board.pid}/statuses"
        todo = board.statuses["Todo"]["id"]
        r = await client.delete(
            f"{url}/{todo}", params={"move_to": todo}, headers=board.owner.headers
        )
        assert r.status_code == 422
        ids = [s["id"] for s in board.statuses.values()]
        for status_id in ids[:-1]:
            assert (
                await client.delete(f"{url}/{status_id}", headers=board.owner.headers)
            ).status_code == 204
        last = await client.delete(f"{url}/{ids[-1]}", headers=board.owner.headers)
        assert last.status_code == 409
        assert last.json()["code"] == "last_status"

    async def test_status_of_another_project_is_404(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        other = await make_project(client, board.owner, board.workspace["id"], key="OPS")
        todo = board.statuses["Todo"]["id"]
        r = await client.patch(
            f"/api/v1/projects/{other['id']}/statuses/{todo}",
            json={"name": "x"},
            headers=board.owner.headers,
        )
        assert r.status_code == 404


class TestLabels:
    async def test_crud_and_conflicts(self, client: httpx.AsyncClient, board: Board) -> None:
        url = f"/api/v1/projects/{board.pid}/labels"
        bug = expect(
            await client.post(
                url, json={"name": "Bug", "color": "#FF0000"}, headers=board.member.headers
            ),
            201,
        )
        assert bug["color"] == "#ff0000"
        dup = await client.post(
            url, json={"name": "bug", "color": "#00ff00"}, headers=board.member.headers
        )
        assert dup.status_code == 409
        bad = await client.post(
            url, json={"name": "x", "color": "red"}, headers=board.member.headers
        )
        assert bad.status_code == 422
        task = await make_task(client, board.member, board.pid, label_ids=[bug["id"]])
        assert (
            await client.delete(f"{url}/{bug['id']}", headers=board.member.headers)
        ).status_code == 403
        assert (
            await client.delete(f"{url}/{bug['id']}", headers=board.owner.headers)
        ).status_code == 204
        now = expect(
            await client.get(f"/api/v1/tasks/{task['id']}", headers=board.member.headers), 200
        )
        assert now["label_ids"] == []
