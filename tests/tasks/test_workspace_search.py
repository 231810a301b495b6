"""GET /workspaces/{id}/tasks: the tasks of every project of a workspace the caller can see,
selected by the query language, sorted and paged."""

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


async def _page(
    client: httpx.AsyncClient, board: Board, user: User, q: str | None = None, **params: Any
) -> dict[str, Any]:
    query = {"q": q} if q is not None else {}
    return dict(
        expect(
            await client.get(
                f"/api/v1/workspaces/{board.workspace['id']}/tasks",
                params={**query, **params},
                headers=user.headers,
            ),
            200,
        )
    )


async def _keys(
    client: httpx.AsyncClient, board: Board, user: User, q: str | None = None, **params: Any
) -> list[str]:
    return [t["key"] for t in (await _page(client, board, user, q, **params))["items"]]


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
        """The member's own second workspace has an ENG project too: one workspace's list
        never shows the other's tasks, by project, words or anything else."""
        mine = await make_task(client, board.member, board.pid, title="Shared word here")
        other_ws = await make_workspace(client, board.member, name="Elsewhere")
        other = await make_project(client, board.member, other_ws["id"], key="ENG")
        theirs = await make_task(client, board.member, other["id"], title="Shared word there")
        assert mine["key"] == theirs["key"] == "ENG-1"
        for q in (None, "project:ENG", "shared word", "assignee:none is:open"):
            body = await _page(client, board, board.member, q)
            assert [t["id"] for t in body["items"]] == [mine["id"]], q

    async def test_guest_sees_only_their_projects(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        ops = await make_project(client, board.owner, board.workspace["id"], key="OPS")
        await make_task(client, board.member, board.pid, title="Rollout in ENG")
        await make_task(client, board.owner, ops["id"], title="Rollout in OPS")
        guest = await join(client, board, workspace_role="guest", project_role="member")
        assert await _keys(client, board, guest, "rollout") == ["ENG-1"]
        assert await _keys(client, board, guest) == ["ENG-1"]
        assert await _keys(client, board, guest, "project:OPS") == []
        # A member sees both, a project viewer too.
        assert sorted(await _keys(client, board, board.member, "rollout")) == ["ENG-1", "OPS-1"]
        viewer = await join(client, board, project_role="viewer")
        assert sorted(await _keys(client, board, viewer)) == ["ENG-1", "OPS-1"]

    async def test_guest_without_projects_finds_nothing(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        await make_task(client, board.member, board.pid, title="Anything")
        guest = await make_user(client)
        await add_member(client, board.owner, board.workspace["id"], guest, "guest")
        assert await _keys(client, board, guest) == []
        assert await _keys(client, board, guest, "anything") == []


class TestQueriesSortsAndPages:
    async def test_my_open_tasks_across_projects_newest_first(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        start = utcnow() - timedelta(hours=1)
        ops = await make_project(client, board.owner, board.workspace["id"], key="OPS")
        me = board.member
        with frozen(start):
            await make_task(client, me, board.pid, title="Deploy the API", assignee_ids=[me.id])
        with frozen(start + timedelta(minutes=1)):
            await make_task(client, me, board.pid, title="Not mine")
        with frozen(start + timedelta(minutes=2)):
            await make_task(
                client, board.owner, ops["id"], title="OPS notes", assignee_ids=[me.id],
                due_date="2020-01-01",
            )  # fmt: skip
        with frozen(start + timedelta(minutes=3)):
            await make_task(
                client, me, board.pid, title="Finished", assignee_ids=[me.id],
                status_id=board.statuses["Done"]["id"],
            )  # fmt: skip
        # "My tasks": mine, open, across projects, most recently updated first.
        assert await _keys(client, board, me, "assignee:me is:open") == ["OPS-1", "ENG-1"]
        assert await _keys(client, board, me, "assignee:me") == ["ENG-3", "OPS-1", "ENG-1"]
        assert await _keys(client, board, me, "assignee:me", sort="created") == [
            "ENG-1",
            "OPS-1",
            "ENG-3",
        ]
        assert await _keys(client, board, me, "is:overdue") == ["OPS-1"]
        assert await _keys(client, board, me, "deploy api") == ["ENG-1"]
        assert await _keys(client, board, me, "-assignee:me") == ["ENG-2"]
        # By due date; those without one last, in the order they were made.
        assert await _keys(client, board, me, "assignee:me", sort="due") == [
            "OPS-1",
            "ENG-1",
            "ENG-3",
        ]
        with frozen(start + timedelta(minutes=4)):
            expect(
                await client.patch(
                    "/api/v1/tasks/ENG-1", json={"title": "Deploy it"}, headers=me.headers
                ),
                200,
            )
        assert await _keys(client, board, me, "assignee:me is:open") == ["ENG-1", "OPS-1"]

    async def test_trashed_tasks_are_left_out(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        await make_task(client, board.member, board.pid, title="Keep me")
        await make_task(client, board.member, board.pid, title="Keep me not")
        expect(await client.delete("/api/v1/tasks/ENG-2", headers=board.member.headers), 204)
        assert await _keys(client, board, board.member, "keep") == ["ENG-1"]
        assert await _keys(client, board, board.member) == ["ENG-1"]

    async def test_pages_follow_one_another(self, client: httpx.AsyncClient, board: Board) -> None:
        for i in range(5):
            await make_task(client, board.member, board.pid, title=f"Batch {i}")
        seen: list[str] = []
        cursor = None
        for _ in range(5):
            extra = {"cursor": cursor} if cursor else {}
            body = await _page(client, board, board.member, "batch", limit=2, **extra)
            seen += [t["key"] for t in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert seen == [f"ENG-{n}" for n in range(5, 0, -1)]


class TestBadInput:
    async def test_rejected_with_422(self, client: httpx.AsyncClient, board: Board) -> None:
        url = f"/api/v1/workspaces/{board.workspace['id']}/tasks"
        for params in (
            {"q": "x" * 501},
            {"q": "asignee:me"},
            {"q": 'label:"open'},
            {"limit": 0},
            {"limit": 101},
            {"limit": "many"},
            {"sort": "sideways"},
            {"cursor": "abc.def"},
        ):
            r = await client.get(url, params=params, headers=board.member.headers)
            assert r.status_code == 422, (params, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            field = r.json()["errors"][0]["field"]
            assert field.endswith(("q", "limit", "sort", "cursor")), r.json()

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
    """The list reads the projects a caller can see without checking roles row by row
    (`authz.access.workspace_projects_read_statement`): that holds while seeing a project is
    reading it."""
    assert all(project_can(role, Action.PROJECT_READ) for role in ProjectRole)
