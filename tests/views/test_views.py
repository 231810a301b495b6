"""Saved views: kept, shared, changed, run; and who may do what with them."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import Board, User, expect, make_project, make_task, make_user
from tests.projects.helpers import join


async def _create(
    client: httpx.AsyncClient, board: Board, user: User, **body: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/workspaces/{board.workspace['id']}/views", json=body, headers=user.headers
    )


async def _names(client: httpx.AsyncClient, board: Board, user: User) -> list[str]:
    views = expect(
        await client.get(f"/api/v1/workspaces/{board.workspace['id']}/views", headers=user.headers),
        200,
    )
    return [v["name"] for v in views]


async def _run(client: httpx.AsyncClient, view_id: str, user: User, **params: Any) -> Any:
    return await client.get(f"/api/v1/views/{view_id}/tasks", params=params, headers=user.headers)


class TestViews:
    async def test_keep_share_run_change_and_delete(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        ops = await make_project(client, board.owner, board.workspace["id"], key="OPS")
        bug = expect(
            await client.post(
                f"/api/v1/projects/{board.pid}/labels",
                json={"name": "bug", "color": "#ef4444"},
                headers=board.owner.headers,
            ),
            201,
        )
        me = board.member
        await make_task(client, me, board.pid, title="Crash on save", assignee_ids=[me.id],
                        label_ids=[bug["id"]])  # fmt: skip
        await make_task(client, me, board.pid, title="Polish the copy", assignee_ids=[me.id])
        await make_task(client, board.owner, ops["id"], title="Rotate keys", assignee_ids=[me.id])

        created = expect(
            await _create(
                client,
                board,
                me,
                name="My open bugs",
                query="assignee:me label:bug is:open",
                layout="board",
                shared=True,
            ),
            201,
        )
        assert created["owner_id"] == me.id
        assert created["sort"] == "-updated"
        assert created["editable"] is True
        private = expect(
            await _create(
                client,
                board,
                me,
                name="Mine in ENG",
                query="assignee:me",
                project_id=board.pid,
                sort="created",
            ),
            201,
        )

        # Running: the query, the project, the sort.
        body = expect(await _run(client, created["id"], me), 200)
        assert [t["key"] for t in body["items"]] == ["ENG-1"]
        body = expect(await _run(client, private["id"], me), 200)
        assert [t["key"] for t in body["items"]] == ["ENG-1", "ENG-2"]
        page = expect(await _run(client, private["id"], me, limit=1), 200)
        assert [t["key"] for t in page["items"]] == ["ENG-1"]
        rest = expect(await _run(client, private["id"], me, cursor=page["next_cursor"]), 200)
        assert [t["key"] for t in rest["items"]] == ["ENG-2"]

        # The owner of the workspace sees the shared view (not the private one) and, running
        # it, gets the tasks its query selects for *them* ("me" is whoever runs it).
        assert await _names(client, board, board.owner) == ["My open bugs"]
        assert await _names(client, board, me) == ["Mine in ENG", "My open bugs"]
        shared = expect(
            await client.get(f"/api/v1/views/{created['id']}", headers=board.owner.headers), 200
        )
        assert shared["editable"] is True  # an admin may change a shared view
        assert expect(await _run(client, created["id"], board.owner), 200)["items"] == []
        r = await _run(client, private["id"], board.owner)
        assert r.status_code == 404
        r = await client.get(f"/api/v1/views/{private['id']}", headers=board.owner.headers)
        assert r.status_code == 404

        # A plain member may run a colleague's shared view but not change it.
        colleague = await join(client, board)
        assert expect(await _run(client, created["id"], colleague), 200)["items"] == []
        r = await client.patch(
            f"/api/v1/views/{created['id']}", json={"name": "Mine"}, headers=colleague.headers
        )
        assert r.status_code == 403
        r = await client.delete(f"/api/v1/views/{created['id']}", headers=colleague.headers)
        assert r.status_code == 403

        # Changes apply to the next run.
        changed = expect(
            await client.patch(
                f"/api/v1/views/{created['id']}",
                json={"query": "assignee:me is:open", "shared": False, "sort": "created"},
                headers=me.headers,
            ),
            200,
        )
        assert (changed["query"], changed["shared"]) == ("assignee:me is:open", False)
        body = expect(await _run(client, created["id"], me), 200)
        assert [t["key"] for t in body["items"]] == ["ENG-1", "ENG-2", "OPS-1"]
        assert await _names(client, board, board.owner) == []
        r = await _run(client, created["id"], board.owner)
        assert r.status_code == 404

        expect(await client.delete(f"/api/v1/views/{created['id']}", headers=me.headers), 204)
        assert await _names(client, board, me) == ["Mine in ENG"]
        assert (await _run(client, created["id"], me)).status_code == 404

    async def test_outsiders_guests_and_bad_input(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        outsider = await make_user(client)
        r = await _create(client, board, outsider, name="Sneaky")
        assert r.status_code == 404
        view = expect(await _create(client, board, board.member, name="Team", shared=True), 201)
        assert (await _run(client, view["id"], outsider)).status_code == 404
        r = await client.get(f"/api/v1/views/{view['id']}", headers=outsider.headers)
        assert r.status_code == 404

        guest = await join(client, board, workspace_role="guest", project_role="member")
        r = await _create(client, board, guest, name="Shared by a guest", shared=True)
        assert r.status_code == 403
        expect(await _create(client, board, guest, name="Guest's own"), 201)
        # A guest runs a shared view and sees only their projects' tasks.
        ops = await make_project(client, board.owner, board.workspace["id"], key="OPS")
        await make_task(client, board.owner, ops["id"], title="Not for guests")
        await make_task(client, board.owner, board.pid, title="For the guest")
        body = expect(await _run(client, view["id"], guest), 200)
        assert [t["key"] for t in body["items"]] == ["ENG-1"]

        other_ws = expect(
            await client.post(
                "/api/v1/workspaces", json={"name": "Other"}, headers=outsider.headers
            ),
            201,
        )
        theirs = await make_project(client, outsider, other_ws["id"], key="THR")
        cases: dict[str, tuple[dict[str, Any], int, str]] = {
            "no name": ({"name": " "}, 422, "name"),
            "bad query": ({"name": "x", "query": "asignee:me"}, 422, "query"),
            "bad layout": ({"name": "x", "layout": "gantt"}, 422, "layout"),
            "bad sort": ({"name": "x", "sort": "sideways"}, 422, "sort"),
            "unknown field": ({"name": "x", "color": "red"}, 422, "color"),
            "another workspace's project": (
                {"name": "x", "project_id": theirs["id"]},
                422,
                "project_id",
            ),
        }
        for case, (body, status, field) in cases.items():
            r = await _create(client, board, board.member, **body)
            assert r.status_code == status, (case, r.text)
            assert r.json()["errors"][0]["field"].endswith(field), (case, r.json())
        assert await _names(client, board, board.member) == ["Team"]
        r = await client.patch(
            f"/api/v1/views/{view['id']}", json={"name": None}, headers=board.member.headers
        )
        assert r.status_code == 422
