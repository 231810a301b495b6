from __future__ import annotations

from typing import Any

import httpx

from tests.factories import (
    Board,
    User,
    add_member,
    expect,
    make_project,
    make_task,
    make_user,
    make_workspace,
)


async def _stats(client: httpx.AsyncClient, user: User, project_id: str) -> dict[str, Any]:
    body: dict[str, Any] = expect(
        await client.get(f"/api/v1/projects/{project_id}/task-stats", headers=user.headers), 200
    )
    return body


async def _comment(client: httpx.AsyncClient, user: User, task: dict[str, Any]) -> None:
    expect(
        await client.post(
            f"/api/v1/tasks/{task['id']}/comments",
            json={"body": "Looks good"},
            headers=user.headers,
        ),
        201,
    )


async def _delete(client: httpx.AsyncClient, user: User, task: dict[str, Any]) -> None:
    r = await client.delete(f"/api/v1/tasks/{task['id']}", headers=user.headers)
    assert r.status_code == 204, r.text


class TestTaskStats:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.get(f"/api/v1/projects/{board.pid}/task-stats")
        assert r.status_code == 401

    async def test_outsider_and_guest_are_404(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        outsider = await make_user(client)
        guest = await make_user(client)
        await add_member(client, board.owner, board.workspace["id"], guest, role="guest")
        for user in (outsider, guest):
            r = await client.get(f"/api/v1/projects/{board.pid}/task-stats", headers=user.headers)
            assert r.status_code == 404
            assert r.headers["content-type"].startswith("application/problem+json")

    async def test_viewer_may_read(self, client: httpx.AsyncClient, board: Board) -> None:
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
        parent = await make_task(client, board.member, board.pid, "Parent")
        await make_task(client, board.member, board.pid, "Child", parent_id=parent["id"])
        assert await _stats(client, viewer, board.pid) == {
            parent["id"]: {"subtasks": 1, "subtasks_done": 0, "comments": 0}
        }

    async def test_quiet_project_is_empty(self, client: httpx.AsyncClient, board: Board) -> None:
        await make_task(client, board.member, board.pid, "Alone")
        assert await _stats(client, board.member, board.pid) == {}

    async def test_counts_subtasks_done_and_comments(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        parent = await make_task(client, board.member, board.pid, "Parent")
        s = board.statuses
        for name in ("Todo", "In Progress", "Done", "Cancelled"):
            await make_task(
                client,
                board.member,
                board.pid,
                name,
                parent_id=parent["id"],
                status_id=s[name]["id"],
            )
        talked = await make_task(client, board.member, board.pid, "Talked about")
        for _ in range(3):
            await _comment(client, board.member, talked)
        await _comment(client, board.owner, parent)
        assert await _stats(client, board.member, board.pid) == {
            parent["id"]: {"subtasks": 4, "subtasks_done": 2, "comments": 1},
            talked["id"]: {"subtasks": 0, "subtasks_done": 0, "comments": 3},
        }

    async def test_trashed_tasks_and_subtasks_are_left_out(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        parent = await make_task(client, board.member, board.pid, "Parent")
        kept = await make_task(client, board.member, board.pid, "Kept", parent_id=parent["id"])
        gone = await make_task(client, board.member, board.pid, "Gone", parent_id=parent["id"])
        await _comment(client, board.member, kept)
        await _delete(client, board.member, gone)
        trashed = await make_task(client, board.member, board.pid, "Trashed")
        await make_task(client, board.member, board.pid, "Orphan", parent_id=trashed["id"])
        await _comment(client, board.member, trashed)
        await _delete(client, board.member, trashed)
        stats = await _stats(client, board.member, board.pid)
        assert stats == {
            parent["id"]: {"subtasks": 1, "subtasks_done": 0, "comments": 0},
            kept["id"]: {"subtasks": 0, "subtasks_done": 0, "comments": 1},
        }
        # Back from the trash, its counts are back too.
        expect(
            await client.post(
                f"/api/v1/tasks/{trashed['id']}/restore", headers=board.member.headers
            ),
            200,
        )
        stats = await _stats(client, board.member, board.pid)
        assert stats[trashed["id"]] == {"subtasks": 1, "subtasks_done": 0, "comments": 1}

    async def test_other_projects_do_not_leak(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        mine = await make_task(client, board.member, board.pid, "Mine")
        await _comment(client, board.member, mine)
        # A second project in the same workspace, and a project of another workspace.
        ops = await make_project(client, board.owner, board.workspace["id"], key="OPS", name="Ops")
        ops_task = await make_task(client, board.owner, ops["id"], "Ops task")
        await _comment(client, board.owner, ops_task)
        stranger = await make_user(client)
        theirs_ws = await make_workspace(client, stranger, name="Elsewhere")
        theirs = await make_project(client, stranger, theirs_ws["id"], key="ENG")
        parent = await make_task(client, stranger, theirs["id"], "Their parent")
        await make_task(client, stranger, theirs["id"], "Their child", parent_id=parent["id"])
        await _comment(client, stranger, parent)

        assert list(await _stats(client, board.member, board.pid)) == [mine["id"]]
        assert list(await _stats(client, board.owner, ops["id"])) == [ops_task["id"]]
        assert list(await _stats(client, stranger, theirs["id"])) == [parent["id"]]
        r = await client.get(
            f"/api/v1/projects/{theirs['id']}/task-stats", headers=board.member.headers
        )
        assert r.status_code == 404

    async def test_bad_project_id_is_422(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.get("/api/v1/projects/not-a-uuid/task-stats", headers=board.member.headers)
        assert r.status_code == 422
