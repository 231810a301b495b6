"""Explicit project roles: list, add, change, remove."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import Board, User, expect, make_project, make_user, make_workspace
from tests.projects.helpers import (
    assert_scoped,
    event_count,
    fields,
    join,
    problem,
    recorded,
    statements,
)

MISSING = "00000000-0000-7000-8000-000000000000"


def url(board: Board, user_id: str | None = None) -> str:
    base = f"/api/v1/projects/{board.pid}/members"
    return f"{base}/{user_id}" if user_id else base


async def role_in_project(client: httpx.AsyncClient, board: Board, user: User) -> str | None:
    """The user's effective role as the project reports it; None when they cannot see it."""
    r = await client.get(f"/api/v1/projects/{board.pid}", headers=user.headers)
    if r.status_code == 404:
        return None
    return str(expect(r, 200)["role"])


class TestListMembers:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient, board: Board) -> None:
        problem(await client.get(url(board)), 401)

    async def test_outsider_is_404(self, client: httpx.AsyncClient, board: Board) -> None:
        outsider = await make_user(client)
        problem(await client.get(url(board), headers=outsider.headers), 404)

    async def test_lists_explicit_roles_with_workspace_roles(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        viewer = await join(client, board, "member", "viewer")
        guest = await join(client, board, "guest", "member")
        body = expect(await client.get(url(board), headers=viewer.headers), 200)
        assert body["next_cursor"] is None
        got = {
            m["user_id"]: (m["email"], m["name"], m["role"], m["workspace_role"])
            for m in body["items"]
        }
        assert got == {
            viewer.id: (viewer.email, viewer.name, "viewer", "member"),
            guest.id: (guest.email, guest.name, "member", "guest"),
        }

    async def test_statement_count_does_not_grow_with_members(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        await join(client, board, "member", "viewer")
        one = await client.get(url(board), headers=board.owner.headers)
        for _ in range(3):
            await join(client, board, "guest", "viewer")
        four = await client.get(url(board), headers=board.owner.headers)
        assert len(four.json()["items"]) == 4
        assert statements(four) == statements(one)


class TestAddMember:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.post(url(board), json={"user_id": board.member.id, "role": "viewer"})
        problem(r, 401)

    async def test_outsider_is_404(self, client: httpx.AsyncClient, board: Board) -> None:
        outsider = await make_user(client)
        r = await client.post(
            url(board), json={"user_id": outsider.id, "role": "viewer"}, headers=outsider.headers
        )
        problem(r, 404)

    async def test_member_is_403(self, client: httpx.AsyncClient, board: Board) -> None:
        guest = await join(client, board, "guest")
        r = await client.post(
            url(board), json={"user_id": guest.id, "role": "member"}, headers=board.member.headers
        )
        problem(r, 403)
        assert await role_in_project(client, board, guest) is None

    async def test_gives_a_member_a_role(self, client: httpx.AsyncClient, board: Board) -> None:
        body = expect(
            await client.post(
                url(board),
                json={"user_id": board.member.id, "role": "viewer"},
                headers=board.owner.headers,
            ),
            201,
        )
        assert body == {
            "user_id": board.member.id,
            "email": board.member.email,
            "name": board.member.name,
            "role": "viewer",
            "workspace_role": "member",
        }
        assert await role_in_project(client, board, board.member) == "viewer"

    async def test_lets_a_guest_in(self, client: httpx.AsyncClient, board: Board) -> None:
        guest = await join(client, board, "guest")
        assert await role_in_project(client, board, guest) is None
        expect(
            await client.post(
                url(board),
                json={"user_id": guest.id, "role": "member"},
                headers=board.owner.headers,
            ),
            201,
        )
        assert await role_in_project(client, board, guest) == "member"

    async def test_user_outside_the_workspace_is_422(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        stranger = await make_user(client)
        await make_workspace(client, stranger, name="Theirs")
        before = await event_count(app)
        r = await client.post(
            url(board), json={"user_id": stranger.id, "role": "member"}, headers=board.owner.headers
        )
        body = problem(r, 422)
        assert [(e["field"], e["code"]) for e in body["errors"]] == [
            ("user_id", "not_workspace_member")
        ]
        assert await event_count(app) == before

    async def test_unknown_user_is_422(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.post(
            url(board), json={"user_id": MISSING, "role": "member"}, headers=board.owner.headers
        )
        assert fields(r) == ["user_id"]

    async def test_already_member_is_409(self, client: httpx.AsyncClient, board: Board) -> None:
        viewer = await join(client, board, "member", "viewer")
        r = await client.post(
            url(board), json={"user_id": viewer.id, "role": "admin"}, headers=board.owner.headers
        )
        problem(r, 409, "already_member")
        assert await role_in_project(client, board, viewer) == "viewer"

    @pytest.mark.parametrize("role", ["owner", "guest", "ADMIN", ""])
    async def test_unknown_role_is_422(
        self, client: httpx.AsyncClient, board: Board, role: str
    ) -> None:
        r = await client.post(
            url(board), json={"user_id": board.member.id, "role": role}, headers=board.owner.headers
        )
        assert fields(r) == ["role"]

    async def test_explicit_project_admin_may_add(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        lead = await join(client, board, "member", "admin")
        guest = await join(client, board, "guest")
        expect(
            await client.post(
                url(board), json={"user_id": guest.id, "role": "viewer"}, headers=lead.headers
            ),
            201,
        )

    async def test_records_an_event(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        expect(
            await client.post(
                url(board),
                json={"user_id": board.member.id, "role": "viewer"},
                headers=board.owner.headers,
            ),
            201,
        )
        (event,) = await recorded(app, "project.member_added", board.member.id)
        assert_scoped(event, board, board.member.id)
        assert event.data["changes"]["role"] == {"from": None, "to": "viewer"}


class TestUpdateMember:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient, board: Board) -> None:
        viewer = await join(client, board, "member", "viewer")
        problem(await client.patch(url(board, viewer.id), json={"role": "admin"}), 401)

    async def test_outsider_is_404(self, client: httpx.AsyncClient, board: Board) -> None:
        viewer = await join(client, board, "member", "viewer")
        outsider = await make_user(client)
        r = await client.patch(
            url(board, viewer.id), json={"role": "admin"}, headers=outsider.headers
        )
        problem(r, 404)

    async def test_member_is_403(self, client: httpx.AsyncClient, board: Board) -> None:
        viewer = await join(client, board, "member", "viewer")
        r = await client.patch(
            url(board, viewer.id), json={"role": "admin"}, headers=board.member.headers
        )
        problem(r, 403)
        assert await role_in_project(client, board, viewer) == "viewer"

    async def test_user_without_a_role_is_404(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        r = await client.patch(
            url(board, board.member.id), json={"role": "viewer"}, headers=board.owner.headers
        )
        problem(r, 404)

    async def test_role_in_another_project_is_404(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        other = await make_project(client, board.member, board.workspace["id"], key="OPS")
        assert other["role"] == "admin"
        r = await client.patch(
            url(board, board.member.id), json={"role": "viewer"}, headers=board.owner.headers
        )
        problem(r, 404)

    async def test_changes_the_role(self, client: httpx.AsyncClient, board: Board) -> None:
        viewer = await join(client, board, "member", "viewer")
        body = expect(
            await client.patch(
                url(board, viewer.id), json={"role": "admin"}, headers=board.owner.headers
            ),
            200,
        )
        assert (body["user_id"], body["role"], body["workspace_role"]) == (
            viewer.id,
            "admin",
            "member",
        )
        assert await role_in_project(client, board, viewer) == "admin"

    async def test_records_an_event_once(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        viewer = await join(client, board, "member", "viewer")
        for _ in range(2):
            expect(
                await client.patch(
                    url(board, viewer.id), json={"role": "member"}, headers=board.owner.headers
                ),
                200,
            )
        (event,) = await recorded(app, "project.member_updated", viewer.id)
        assert_scoped(event, board, viewer.id)
        assert event.data["changes"] == {"role": {"from": "viewer", "to": "member"}}


class TestRemoveMember:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient, board: Board) -> None:
        viewer = await join(client, board, "member", "viewer")
        problem(await client.delete(url(board, viewer.id)), 401)

    async def test_outsider_is_404(self, client: httpx.AsyncClient, board: Board) -> None:
        viewer = await join(client, board, "member", "viewer")
        outsider = await make_user(client)
        problem(await client.delete(url(board, viewer.id), headers=outsider.headers), 404)

    async def test_member_is_403(self, client: httpx.AsyncClient, board: Board) -> None:
        viewer = await join(client, board, "member", "viewer")
        problem(await client.delete(url(board, viewer.id), headers=board.member.headers), 403)
        assert await role_in_project(client, board, viewer) == "viewer"

    async def test_user_without_a_role_is_404(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        r = await client.delete(url(board, board.member.id), headers=board.owner.headers)
        problem(r, 404)

    async def test_guest_loses_the_project(self, client: httpx.AsyncClient, board: Board) -> None:
        guest = await join(client, board, "guest", "member")
        r = await client.delete(url(board, guest.id), headers=board.owner.headers)
        assert r.status_code == 204
        assert await role_in_project(client, board, guest) is None

    async def test_workspace_member_falls_back_to_member(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        viewer = await join(client, board, "member", "viewer")
        r = await client.delete(url(board, viewer.id), headers=board.owner.headers)
        assert r.status_code == 204
        assert await role_in_project(client, board, viewer) == "member"

    async def test_records_an_event(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        viewer = await join(client, board, "member", "viewer")
        r = await client.delete(url(board, viewer.id), headers=board.owner.headers)
        assert r.status_code == 204
        (event,) = await recorded(app, "project.member_removed", viewer.id)
        assert_scoped(event, board, viewer.id)
        assert event.data["changes"] == {"role": {"from": "viewer", "to": None}}
