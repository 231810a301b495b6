"""GET /workspaces/{id}/tasks: finding tasks by key or title across a workspace's projects."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from tasklane.authz.roles import Action, ProjectRole, project_can
from tasklane.kit.clock import frozen, utcnow
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
from tests.projects.helpers import join


async def _search(
    client: httpx.AsyncClient, board: Board, user: User, q: str, **params: Any
) -> list[str]:
    body = expect(
        await client.get(
            f"/api/v1/workspaces/{board.workspace['id']}/tasks",
            params={"q": q, **params},
            headers=user.headers,
        ),
        200,
    )
    assert body["next_cursor"] is None
    return [t["key"] for t in body["items"]]


class TestAccess:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.get(f"/api/v1/workspaces/{board.workspace['id']}/tasks?q=x")
        assert r.status_code == 401

    async def test_outsider_is_404(self, client: httpx.AsyncClient, board: Board) -> None:
        await make_task(client, board.member, board.pid, title="Secret plan")
        outsider = await make_user(client)
        r = await client.get(
            f"/api/v1/workspaces/{board.workspace['id']}/tasks",
            params={"q": "Secret"},
            headers=outsider.headers,
        )
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/problem+json"
        assert "Secret" not in r.text

    async def test_nothing_from_another_workspace(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        """The member's own second workspace has an ENG-1 too: searching one workspace never
        returns the other's, by key or by title."""
        mine = await make_task(client, board.member, board.pid, title="Shared word here")
        other_ws = await make_workspace(client, board.member, name="Elsewhere")
        other = await make_project(client, board.member, other_ws["id"], key="ENG")
        theirs = await make_task(client, board.member, other["id"], title="Shared word there")
        assert mine["key"] == theirs["key"] == "ENG-1"
        body = expect(
            await client.get(
                f"/api/v1/workspaces/{board.workspace['id']}/tasks",
                params={"q": "ENG-1"},
                headers=board.member.headers,
            ),
            200,
        )
        assert [t["id"] for t in body["items"]] == [mine["id"]]
        body = expect(
            await client.get(
                f"/api/v1/workspaces/{other_ws['id']}/tasks",
                params={"q": "shared word"},
                headers=board.member.headers,
            ),
            200,
        )
        assert [t["id"] for t in body["items"]] == [theirs["id"]]

    async def test_guest_sees_only_their_projects(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        ops = await make_project(client, board.owner, board.workspace["id"], key="OPS")
        await make_task(client, board.member, board.pid, title="Rollout in ENG")
        await make_task(client, board.owner, ops["id"], title="Rollout in OPS")
        guest = await join(client, board, workspace_role="guest", project_role="member")
        assert await _search(client, board, guest, "rollout") == ["ENG-1"]
        assert await _search(client, board, guest, "OPS-1") == []
        # A member sees both, a project viewer too.
        assert sorted(await _search(client, board, board.member, "rollout")) == [
            "ENG-1",
            "OPS-1",
        ]
        viewer = await join(client, board, project_role="viewer")
        assert await _search(client, board, viewer, "ENG-1") == ["ENG-1"]

    async def test_guest_without_projects_finds_nothing(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        await make_task(client, board.member, board.pid, title="Anything")
        guest = await make_user(client)
        await add_member(client, board.owner, board.workspace["id"], guest, "guest")
        assert await _search(client, board, guest, "Anything") == []
        assert await _search(client, board, guest, "ENG-1") == []


class TestMatching:
    async def test_key_first_then_titles_by_recency(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        start = utcnow() - timedelta(hours=1)
        ops = await make_project(client, board.owner, board.workspace["id"], key="OPS")
        with frozen(start):
            await make_task(client, board.member, board.pid, title="Deploy the API")  # ENG-1
        with frozen(start + timedelta(minutes=1)):
            await make_task(client, board.member, board.pid, title="Follow up on eng-1")  # ENG-2
        with frozen(start + timedelta(minutes=2)):
            await make_task(client, board.owner, ops["id"], title="OPS notes about ENG-1")
        # The exact key leads even though its task is the oldest; titles follow, newest first.
        assert await _search(client, board, board.member, "eng-1") == ["ENG-1", "OPS-1", "ENG-2"]
        # Titles, case-insensitive, most recently updated first, across projects.
        assert await _search(client, board, board.member, "DEPLOY") == ["ENG-1"]
        with frozen(start + timedelta(minutes=3)):
            expect(
                await client.patch(
                    "/api/v1/tasks/ENG-2",
                    json={"title": "Follow up: notes"},
                    headers=board.member.headers,
                ),
                200,
            )
        assert await _search(client, board, board.member, "notes") == ["ENG-2", "OPS-1"]

    async def test_a_key_that_names_nothing_falls_back_to_titles(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        await make_task(client, board.member, board.pid, title="Mentions ENG-99 somewhere")
        assert await _search(client, board, board.member, "ENG-99") == ["ENG-1"]
        assert await _search(client, board, board.member, "NOPE-1") == []

    async def test_trashed_tasks_are_left_out(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        await make_task(client, board.member, board.pid, title="Keep me")
        await make_task(client, board.member, board.pid, title="Keep me not")
        expect(await client.delete("/api/v1/tasks/ENG-2", headers=board.member.headers), 204)
        assert await _search(client, board, board.member, "keep") == ["ENG-1"]
        assert await _search(client, board, board.member, "ENG-2") == []

    async def test_wildcards_are_literal(self, client: httpx.AsyncClient, board: Board) -> None:
        await make_task(client, board.member, board.pid, title="Grow 100% faster")
        await make_task(client, board.member, board.pid, title="Grow 1000 faster")
        await make_task(client, board.member, board.pid, title="snake_case names")
        await make_task(client, board.member, board.pid, title="snakeXcase names")
        assert await _search(client, board, board.member, "100%") == ["ENG-1"]
        assert await _search(client, board, board.member, "snake_") == ["ENG-3"]

    async def test_limit(self, client: httpx.AsyncClient, board: Board) -> None:
        for i in range(4):
            await make_task(client, board.member, board.pid, title=f"Batch {i}")
        assert len(await _search(client, board, board.member, "batch", limit=3)) == 3
        # The key counts towards the limit too.
        assert await _search(client, board, board.member, "ENG-2", limit=1) == ["ENG-2"]


class TestBadInput:
    async def test_rejected_with_422(self, client: httpx.AsyncClient, board: Board) -> None:
        url = f"/api/v1/workspaces/{board.workspace['id']}/tasks"
        for params in (
            {},
            {"q": ""},
            {"q": "   "},
            {"q": "x" * 201},
            {"q": "x", "limit": 0},
            {"q": "x", "limit": 51},
            {"q": "x", "limit": "many"},
        ):
            r = await client.get(url, params=params, headers=board.member.headers)
            assert r.status_code == 422, (params, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["errors"][0]["field"].endswith(("q", "limit")), r.json()

    async def test_bad_workspace_id(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.get(
            "/api/v1/workspaces/not-a-uuid/tasks", params={"q": "x"}, headers=board.member.headers
        )
        assert r.status_code == 422
        r = await client.get(
            f"/api/v1/workspaces/{board.project['id']}/tasks",
            params={"q": "x"},
            headers=board.member.headers,
        )
        assert r.status_code == 404


def test_every_project_role_may_read() -> None:
    """The search reads the projects a caller can see without checking roles row by row
    (`authz.access.workspace_projects_read_statement`): that holds while seeing a project is
    reading it."""
    assert all(project_can(role, Action.PROJECT_READ) for role in ProjectRole)
