"""Workspaces and their members through HTTP."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tasklane.kit.pagination import cursor_key, sign_cursor
from tasklane.models import Event
from tests.factories import User, add_member, expect, make_project, make_user, make_workspace

WORKSPACES = "/api/v1/workspaces"
RACE_ROUNDS = 5  # a race that is lost only sometimes still fails within a few rounds


def ws_url(workspace: dict[str, Any]) -> str:
    return f"{WORKSPACES}/{workspace['id']}"


def members_url(workspace: dict[str, Any]) -> str:
    return f"{WORKSPACES}/{workspace['id']}/members"


def member_url(workspace: dict[str, Any], user: User | str) -> str:
    user_id = user if isinstance(user, str) else user.id
    return f"{WORKSPACES}/{workspace['id']}/members/{user_id}"


def fields(response: httpx.Response) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


def assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


async def events(app: FastAPI, workspace_id: str | None = None) -> list[Event]:
    """Every event (of one workspace), in sequence order."""
    async with app.state.runtime.db.transaction(write=False) as session:
        stmt = select(Event).order_by(Event.seq)
        if workspace_id is not None:
            stmt = stmt.where(Event.workspace_id == UUID(workspace_id))
        return list((await session.scalars(stmt)).all())


async def collect_pages(
    client: httpx.AsyncClient, url: str, user: User, limit: int = 1
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        page = expect(await client.get(url, params=params, headers=user.headers), 200)
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


@pytest.fixture
async def owner(client: httpx.AsyncClient) -> User:
    return await make_user(client, name="Olive Owner")


@pytest.fixture
async def outsider(client: httpx.AsyncClient) -> User:
    return await make_user(client, name="Otto Outsider")


@pytest.fixture
async def workspace(client: httpx.AsyncClient, owner: User) -> dict[str, Any]:
    return await make_workspace(client, owner, "Acme")


async def owner_count(client: httpx.AsyncClient, workspace: dict[str, Any], *users: User) -> int:
    """How many owners the workspace has, asked as whichever of `users` is still a member."""
    for user in users:
        r = await client.get(members_url(workspace), headers=user.headers)
        if r.status_code == 200:
            return [m["role"] for m in r.json()["items"]].count("owner")
    return 0


async def member_with_role(
    client: httpx.AsyncClient, owner: User, workspace: dict[str, Any], role: str
) -> User:
    user = await make_user(client, name=f"A {role}")
    await add_member(client, owner, workspace["id"], user, role)
    return user


class TestCreateWorkspace:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient) -> None:
        assert_problem(await client.post(WORKSPACES, json={"name": "Acme"}), 401, "unauthenticated")

    async def test_caller_becomes_owner(self, client: httpx.AsyncClient, owner: User) -> None:
        body = expect(
            await client.post(WORKSPACES, json={"name": " Acme Robotics "}, headers=owner.headers),
            201,
        )
        assert body["name"] == "Acme Robotics"
        assert body["slug"] == "acme-robotics"
        assert body["role"] == "owner"
        assert set(body) == {
            "id",
            "name",
            "slug",
            "role",
            "require_mfa",
            "require_sso",
            "created_at",
            "updated_at",
        }
        members = expect(await client.get(members_url(body), headers=owner.headers), 200)
        assert [(m["user_id"], m["role"]) for m in members["items"]] == [(owner.id, "owner")]

    async def test_generated_slug_collision_gets_a_number(
        self, client: httpx.AsyncClient, owner: User
    ) -> None:
        slugs = [
            (await make_workspace(client, owner, name))["slug"]
            for name in ("Acme Robotics", "Acme  Robotics!", "acme robotics")
        ]
        assert slugs == ["acme-robotics", "acme-robotics-2", "acme-robotics-3"]

    async def test_slug_collision_across_users(
        self, client: httpx.AsyncClient, owner: User, outsider: User
    ) -> None:
        await make_workspace(client, owner, "Acme")
        assert (await make_workspace(client, outsider, "Acme"))["slug"] == "acme-2"

    async def test_accented_name_gets_an_ascii_slug(
        self, client: httpx.AsyncClient, owner: User
    ) -> None:
        assert (await make_workspace(client, owner, "Café Ünïcode"))["slug"] == "cafe-unicode"

    async def test_name_without_latin_letters_gets_a_fallback_slug(
        self, client: httpx.AsyncClient, owner: User
    ) -> None:
        assert (await make_workspace(client, owner, "東京"))["slug"] == "workspace"

    async def test_long_name_gets_a_valid_slug(
        self, client: httpx.AsyncClient, owner: User
    ) -> None:
        body = await make_workspace(client, owner, "a" * 47 + " b" + "c" * 40)
        slug = body["slug"]
        assert 2 <= len(slug) <= 48
        assert not slug.endswith("-")
        # The generated slug is one the API itself would accept.
        expect(await client.patch(ws_url(body), json={"slug": slug}, headers=owner.headers), 200)
        again = await make_workspace(client, owner, "a" * 47 + " b" + "c" * 40)
        assert again["slug"] == f"{slug}-2"

    async def test_explicit_slug_is_used(self, client: httpx.AsyncClient, owner: User) -> None:
        body = expect(
            await client.post(
                WORKSPACES, json={"name": "Acme", "slug": "acme-hq"}, headers=owner.headers
            ),
            201,
        )
        assert body["slug"] == "acme-hq"

    async def test_explicit_slug_taken_is_409(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        r = await client.post(
            WORKSPACES, json={"name": "X", "slug": workspace["slug"]}, headers=owner.headers
        )
        assert_problem(r, 409, "slug_taken")

    @pytest.mark.parametrize("slug", ["Acme", "a", "acme-", "-acme", "ac--me", "ac me", "x" * 65])
    async def test_invalid_slug_is_422(
        self, client: httpx.AsyncClient, owner: User, slug: str
    ) -> None:
        r = await client.post(WORKSPACES, json={"name": "X", "slug": slug}, headers=owner.headers)
        assert_problem(r, 422, "validation_failed")
        assert fields(r) == ["slug"]

    @pytest.mark.parametrize("name", ["", "   ", "x" * 101])
    async def test_invalid_name_is_422(
        self, client: httpx.AsyncClient, owner: User, name: str
    ) -> None:
        r = await client.post(WORKSPACES, json={"name": name}, headers=owner.headers)
        assert_problem(r, 422, "validation_failed")
        assert fields(r) == ["name"]

    async def test_extra_field_is_422(self, client: httpx.AsyncClient, owner: User) -> None:
        r = await client.post(WORKSPACES, json={"name": "X", "role": "x"}, headers=owner.headers)
        assert_problem(r, 422, "validation_failed")
        assert fields(r) == ["role"]

    async def test_concurrent_creates_with_one_name_all_succeed(
        self, client: httpx.AsyncClient, owner: User
    ) -> None:
        results = await asyncio.gather(
            *[
                client.post(WORKSPACES, json={"name": "Race"}, headers=owner.headers)
                for _ in range(4)
            ]
        )
        assert [r.status_code for r in results] == [201] * 4, [r.text for r in results]
        assert sorted(r.json()["slug"] for r in results) == [
            "race",
            "race-2",
            "race-3",
            "race-4",
        ]

    async def test_concurrent_creates_with_one_slug_give_one_workspace(
        self, client: httpx.AsyncClient, owner: User
    ) -> None:
        results = await asyncio.gather(
            *[
                client.post(
                    WORKSPACES, json={"name": "Race", "slug": "race"}, headers=owner.headers
                )
                for _ in range(3)
            ]
        )
        assert sorted(r.status_code for r in results) == [201, 409, 409], [r.text for r in results]
        assert all(r.json()["code"] == "slug_taken" for r in results if r.status_code == 409)


class TestListWorkspaces:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient) -> None:
        assert_problem(await client.get(WORKSPACES), 401, "unauthenticated")

    async def test_outsider_sees_none(
        self, client: httpx.AsyncClient, outsider: User, workspace: dict[str, Any]
    ) -> None:
        body = expect(await client.get(WORKSPACES, headers=outsider.headers), 200)
        assert body == {"items": [], "next_cursor": None}

    async def test_lists_only_mine_with_my_role(
        self, client: httpx.AsyncClient, owner: User, outsider: User
    ) -> None:
        mine = await make_workspace(client, owner, "Mine")
        theirs = await make_workspace(client, outsider, "Theirs")
        await make_workspace(client, outsider, "Private")
        await add_member(client, outsider, theirs["id"], owner, "guest")
        body = expect(await client.get(WORKSPACES, headers=owner.headers), 200)
        roles = {w["id"]: w["role"] for w in body["items"]}
        assert roles == {mine["id"]: "owner", theirs["id"]: "guest"}

    async def test_paginates(self, client: httpx.AsyncClient, owner: User) -> None:
        mine = [await make_workspace(client, owner, f"W{i}") for i in range(3)]
        first = expect(
            await client.get(WORKSPACES, params={"limit": 1}, headers=owner.headers), 200
        )
        assert len(first["items"]) == 1
        assert first["next_cursor"]
        seen = await collect_pages(client, WORKSPACES, owner)
        assert sorted(w["id"] for w in seen) == sorted(w["id"] for w in mine)

    async def test_last_page_has_no_cursor(self, client: httpx.AsyncClient, owner: User) -> None:
        await make_workspace(client, owner, "Only")
        body = expect(await client.get(WORKSPACES, params={"limit": 1}, headers=owner.headers), 200)
        assert len(body["items"]) == 1
        assert body["next_cursor"] is None

    @pytest.mark.parametrize("cursor", ["garbage", "!!!", ["not-a-uuid"], [1, 2]])
    async def test_bad_cursor_is_422(
        self, app: FastAPI, client: httpx.AsyncClient, owner: User, cursor: str | list[Any]
    ) -> None:
        if isinstance(cursor, list):  # well signed, badly shaped
            key = cursor_key(app.state.runtime.settings.signing_key)
            cursor = sign_cursor(cursor, scope="workspaces", key=key)
        r = await client.get(WORKSPACES, params={"cursor": cursor}, headers=owner.headers)
        assert_problem(r, 422, "validation_failed")
        assert fields(r) == ["cursor"]

    @pytest.mark.parametrize("limit", ["0", "201", "x"])
    async def test_bad_limit_is_422(
        self, client: httpx.AsyncClient, owner: User, limit: str
    ) -> None:
        r = await client.get(WORKSPACES, params={"limit": limit}, headers=owner.headers)
        assert_problem(r, 422, "validation_failed")
        assert fields(r) == ["limit"]


class TestGetWorkspace:
    async def test_anonymous_is_401(
        self, client: httpx.AsyncClient, workspace: dict[str, Any]
    ) -> None:
        assert_problem(await client.get(ws_url(workspace)), 401, "unauthenticated")

    async def test_outsider_is_404(
        self, client: httpx.AsyncClient, outsider: User, workspace: dict[str, Any]
    ) -> None:
        r = await client.get(ws_url(workspace), headers=outsider.headers)
        assert_problem(r, 404, "not_found")

    async def test_unknown_id_is_404(self, client: httpx.AsyncClient, owner: User) -> None:
        r = await client.get(f"{WORKSPACES}/{uuid4()}", headers=owner.headers)
        assert_problem(r, 404, "not_found")

    async def test_malformed_id_is_422(self, client: httpx.AsyncClient, owner: User) -> None:
        r = await client.get(f"{WORKSPACES}/not-a-uuid", headers=owner.headers)
        assert_problem(r, 422, "validation_failed")
        assert fields(r) == ["workspace_id"]

    async def test_owner_sees_it(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        assert expect(await client.get(ws_url(workspace), headers=owner.headers), 200) == workspace

    @pytest.mark.parametrize("role", ["admin", "member", "guest"])
    async def test_members_see_it_with_their_role(
        self,
        client: httpx.AsyncClient,
        owner: User,
        workspace: dict[str, Any],
        role: str,
    ) -> None:
        user = await member_with_role(client, owner, workspace, role)
        body = expect(await client.get(ws_url(workspace), headers=user.headers), 200)
        assert body["id"] == workspace["id"]
        assert body["role"] == role


class TestUpdateWorkspace:
    async def test_anonymous_is_401(
        self, client: httpx.AsyncClient, workspace: dict[str, Any]
    ) -> None:
        r = await client.patch(ws_url(workspace), json={"name": "X"})
        assert_problem(r, 401, "unauthenticated")

    async def test_outsider_is_404(
        self, client: httpx.AsyncClient, outsider: User, workspace: dict[str, Any]
    ) -> None:
        r = await client.patch(ws_url(workspace), json={"name": "X"}, headers=outsider.headers)
        assert_problem(r, 404, "not_found")

    @pytest.mark.parametrize("role", ["member", "guest"])
    async def test_member_is_403(
        self,
        client: httpx.AsyncClient,
        owner: User,
        workspace: dict[str, Any],
        role: str,
    ) -> None:
        user = await member_with_role(client, owner, workspace, role)
        r = await client.patch(ws_url(workspace), json={"name": "X"}, headers=user.headers)
        assert_problem(r, 403, "permission_denied")
        body = expect(await client.get(ws_url(workspace), headers=owner.headers), 200)
        assert body["name"] == "Acme"

    async def test_admin_renames(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        admin = await member_with_role(client, owner, workspace, "admin")
        body = expect(
            await client.patch(ws_url(workspace), json={"name": "Renamed"}, headers=admin.headers),
            200,
        )
        assert body["name"] == "Renamed"
        assert body["slug"] == workspace["slug"]
        assert body["role"] == "admin"
        assert body["updated_at"] >= workspace["updated_at"]
        got = expect(await client.get(ws_url(workspace), headers=owner.headers), 200)
        assert got["name"] == "Renamed"

    async def test_owner_changes_the_slug(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        body = expect(
            await client.patch(ws_url(workspace), json={"slug": "acme-hq"}, headers=owner.headers),
            200,
        )
        assert body["slug"] == "acme-hq"
        assert (await make_workspace(client, owner, "Acme"))["slug"] == "acme"

    async def test_taken_slug_is_409(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        other = await make_workspace(client, owner, "Other")
        r = await client.patch(
            ws_url(workspace), json={"slug": other["slug"]}, headers=owner.headers
        )
        assert_problem(r, 409, "slug_taken")

    async def test_own_slug_is_not_a_conflict(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        r = await client.patch(
            ws_url(workspace), json={"slug": workspace["slug"]}, headers=owner.headers
        )
        assert r.status_code == 200

    async def test_invalid_slug_is_422(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        r = await client.patch(ws_url(workspace), json={"slug": "Not OK"}, headers=owner.headers)
        assert_problem(r, 422, "validation_failed")
        assert fields(r) == ["slug"]

    async def test_empty_body_changes_nothing(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        body = expect(await client.patch(ws_url(workspace), json={}, headers=owner.headers), 200)
        assert body == workspace


class TestDeleteWorkspace:
    async def test_anonymous_is_401(
        self, client: httpx.AsyncClient, workspace: dict[str, Any]
    ) -> None:
        assert_problem(await client.delete(ws_url(workspace)), 401, "unauthenticated")

    async def test_outsider_is_404(
        self, client: httpx.AsyncClient, outsider: User, workspace: dict[str, Any]
    ) -> None:
        r = await client.delete(ws_url(workspace), headers=outsider.headers)
        assert_problem(r, 404, "not_found")

    @pytest.mark.parametrize("role", ["admin", "member", "guest"])
    async def test_non_owner_is_403(
        self,
        client: httpx.AsyncClient,
        owner: User,
        workspace: dict[str, Any],
        role: str,
    ) -> None:
        user = await member_with_role(client, owner, workspace, role)
        r = await client.delete(ws_url(workspace), headers=user.headers)
        assert_problem(r, 403, "permission_denied")
        assert (await client.get(ws_url(workspace), headers=owner.headers)).status_code == 200

    async def test_owner_deletes_it(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        r = await client.delete(ws_url(workspace), headers=owner.headers)
        assert r.status_code == 204
        assert r.content == b""
        assert_problem(await client.get(ws_url(workspace), headers=owner.headers), 404, "not_found")
        assert expect(await client.get(WORKSPACES, headers=owner.headers), 200)["items"] == []

    async def test_members_lose_it_too(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        member = await member_with_role(client, owner, workspace, "member")
        expect(await client.delete(ws_url(workspace), headers=owner.headers), 204)
        assert (await client.get(ws_url(workspace), headers=member.headers)).status_code == 404
        assert expect(await client.get(WORKSPACES, headers=member.headers), 200)["items"] == []

    async def test_projects_go_with_it(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        project = await make_project(client, owner, workspace["id"])
        expect(await client.delete(ws_url(workspace), headers=owner.headers), 204)
        r = await client.get(f"/api/v1/projects/{project['id']}", headers=owner.headers)
        assert r.status_code == 404

    async def test_its_slug_is_free_again(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        expect(await client.delete(ws_url(workspace), headers=owner.headers), 204)
        assert (await make_workspace(client, owner, "Acme"))["slug"] == workspace["slug"]

    async def test_twice_is_404(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        expect(await client.delete(ws_url(workspace), headers=owner.headers), 204)
        r = await client.delete(ws_url(workspace), headers=owner.headers)
        assert_problem(r, 404, "not_found")


class TestListMembers:
    async def test_anonymous_is_401(
        self, client: httpx.AsyncClient, workspace: dict[str, Any]
    ) -> None:
        assert_problem(await client.get(members_url(workspace)), 401, "unauthenticated")

    async def test_outsider_is_404(
        self, client: httpx.AsyncClient, outsider: User, workspace: dict[str, Any]
    ) -> None:
        r = await client.get(members_url(workspace), headers=outsider.headers)
        assert_problem(r, 404, "not_found")

    async def test_guest_is_403(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        guest = await member_with_role(client, owner, workspace, "guest")
        r = await client.get(members_url(workspace), headers=guest.headers)
        assert_problem(r, 403, "permission_denied")

    async def test_member_sees_everyone_with_roles(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        member = await member_with_role(client, owner, workspace, "member")
        guest = await member_with_role(client, owner, workspace, "guest")
        body = expect(await client.get(members_url(workspace), headers=member.headers), 200)
        assert {m["user_id"]: m["role"] for m in body["items"]} == {
            owner.id: "owner",
            member.id: "member",
            guest.id: "guest",
        }
        mine = next(m for m in body["items"] if m["user_id"] == member.id)
        assert mine["email"] == member.email
        assert mine["name"] == member.name
        assert set(mine) == {
            "user_id",
            "email",
            "name",
            "handle",
            "avatar_color",
            "role",
            "joined_at",
        }

    async def test_paginates(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        others = [await member_with_role(client, owner, workspace, "member") for _ in range(2)]
        seen = await collect_pages(client, members_url(workspace), owner)
        assert sorted(m["user_id"] for m in seen) == sorted([owner.id, *(u.id for u in others)])

    async def test_bad_cursor_is_422(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        r = await client.get(
            members_url(workspace), params={"cursor": "garbage"}, headers=owner.headers
        )
        assert_problem(r, 422, "validation_failed")
        assert fields(r) == ["cursor"]


class TestAddMember:
    async def test_anonymous_is_401(
        self, client: httpx.AsyncClient, outsider: User, workspace: dict[str, Any]
    ) -> None:
        r = await client.post(members_url(workspace), json={"email": outsider.email})
        assert_problem(r, 401, "unauthenticated")

    async def test_outsider_is_404(
        self, client: httpx.AsyncClient, outsider: User, workspace: dict[str, Any]
    ) -> None:
        r = await client.post(
            members_url(workspace), json={"email": outsider.email}, headers=outsider.headers
        )
        assert_problem(r, 404, "not_found")

    @pytest.mark.parametrize("role", ["member", "guest"])
    async def test_member_is_403(
        self,
        client: httpx.AsyncClient,
        owner: User,
        outsider: User,
        workspace: dict[str, Any],
        role: str,
    ) -> None:
        user = await member_with_role(client, owner, workspace, role)
        r = await client.post(
            members_url(workspace), json={"email": outsider.email}, headers=user.headers
        )
        assert_problem(r, 403, "permission_denied")

    async def test_admin_adds_a_member(
        self, client: httpx.AsyncClient, owner: User, outsider: User, workspace: dict[str, Any]
    ) -> None:
        admin = await member_with_role(client, owner, workspace, "admin")
        body = expect(
            await client.post(
                members_url(workspace), json={"email": outsider.email}, headers=admin.headers
            ),
            201,
        )
        assert body["email"] == outsider.email
        assert body["role"] == "member"
        assert body["invited_by"] == admin.id
        # An invitation, not a membership: nothing until the invitee accepts.
        assert (await client.get(ws_url(workspace), headers=outsider.headers)).status_code == 404
        member = expect(
            await client.post(f"/api/v1/invitations/{body['id']}/accept", headers=outsider.headers),
            200,
        )
        assert member["user_id"] == outsider.id
        assert member["name"] == outsider.name
        got = expect(await client.get(ws_url(workspace), headers=outsider.headers), 200)
        assert got["role"] == "member"

    async def test_email_is_case_insensitive(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        user = await make_user(client, email="casey@example.com")
        body = expect(
            await client.post(
                members_url(workspace),
                json={"email": "Casey@EXAMPLE.com", "role": "guest"},
                headers=owner.headers,
            ),
            201,
        )
        assert body["email"] == "casey@example.com"
        member = expect(
            await client.post(f"/api/v1/invitations/{body['id']}/accept", headers=user.headers),
            200,
        )
        assert member["user_id"] == user.id
        assert member["role"] == "guest"

    async def test_someone_without_an_account_is_invited(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        body = expect(
            await client.post(
                members_url(workspace), json={"email": "Ghost@example.com"}, headers=owner.headers
            ),
            201,
        )
        assert body["email"] == "ghost@example.com"
        ghost = await make_user(client, email="ghost@example.com")
        mine = expect(await client.get("/api/v1/users/me/invitations", headers=ghost.headers), 200)
        assert [i["id"] for i in mine] == [body["id"]]

    async def test_malformed_email_is_422(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        r = await client.post(members_url(workspace), json={"email": "nope"}, headers=owner.headers)
        assert_problem(r, 422, "validation_failed")
        assert fields(r) == ["email"]

    async def test_unknown_role_is_422(
        self, client: httpx.AsyncClient, owner: User, outsider: User, workspace: dict[str, Any]
    ) -> None:
        r = await client.post(
            members_url(workspace),
            json={"email": outsider.email, "role": "emperor"},
            headers=owner.headers,
        )
        assert_problem(r, 422, "validation_failed")
        assert fields(r) == ["role"]

    async def test_existing_member_is_409(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        member = await member_with_role(client, owner, workspace, "member")
        r = await client.post(
            members_url(workspace),
            json={"email": member.email, "role": "admin"},
            headers=owner.headers,
        )
        assert_problem(r, 409, "already_member")

    async def test_concurrent_adds_of_one_user_give_one_membership(
        self, client: httpx.AsyncClient, owner: User, outsider: User, workspace: dict[str, Any]
    ) -> None:
        results = await asyncio.gather(
            *[
                client.post(
                    members_url(workspace), json={"email": outsider.email}, headers=owner.headers
                )
                for _ in range(3)
            ]
        )
        assert sorted(r.status_code for r in results) == [201, 409, 409], [r.text for r in results]
        assert all(r.json()["code"] == "already_invited" for r in results if r.status_code == 409)

    async def test_admin_cannot_add_an_owner(
        self, client: httpx.AsyncClient, owner: User, outsider: User, workspace: dict[str, Any]
    ) -> None:
        admin = await member_with_role(client, owner, workspace, "admin")
        r = await client.post(
            members_url(workspace),
            json={"email": outsider.email, "role": "owner"},
            headers=admin.headers,
        )
        assert_problem(r, 403, "permission_denied")
        assert (await client.get(ws_url(workspace), headers=outsider.headers)).status_code == 404

    async def test_owner_adds_an_owner(
        self, client: httpx.AsyncClient, owner: User, outsider: User, workspace: dict[str, Any]
    ) -> None:
        body = await add_member(client, owner, workspace["id"], outsider, "owner")
        assert body["role"] == "owner"
        got = expect(await client.get(ws_url(workspace), headers=outsider.headers), 200)
        assert got["role"] == "owner"


class TestUpdateMember:
    async def test_anonymous_is_401(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        r = await client.patch(member_url(workspace, owner), json={"role": "admin"})
        assert_problem(r, 401, "unauthenticated")

    async def test_outsider_is_404(
        self, client: httpx.AsyncClient, owner: User, outsider: User, workspace: dict[str, Any]
    ) -> None:
        r = await client.patch(
            member_url(workspace, owner), json={"role": "admin"}, headers=outsider.headers
        )
        assert_problem(r, 404, "not_found")

    async def test_member_is_403(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        member = await member_with_role(client, owner, workspace, "member")
        r = await client.patch(
            member_url(workspace, member), json={"role": "admin"}, headers=member.headers
        )
        assert_problem(r, 403, "permission_denied")

    async def test_admin_promotes_a_member_to_admin(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        admin = await member_with_role(client, owner, workspace, "admin")
        member = await member_with_role(client, owner, workspace, "member")
        body = expect(
            await client.patch(
                member_url(workspace, member), json={"role": "admin"}, headers=admin.headers
            ),
            200,
        )
        assert body["user_id"] == member.id
        assert body["role"] == "admin"
        got = expect(await client.get(ws_url(workspace), headers=member.headers), 200)
        assert got["role"] == "admin"

    async def test_admin_demotes_a_member_to_guest(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        admin = await member_with_role(client, owner, workspace, "admin")
        member = await member_with_role(client, owner, workspace, "member")
        body = expect(
            await client.patch(
                member_url(workspace, member), json={"role": "guest"}, headers=admin.headers
            ),
            200,
        )
        assert body["role"] == "guest"
        r = await client.get(members_url(workspace), headers=member.headers)
        assert r.status_code == 403

    async def test_admin_cannot_make_an_owner(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        admin = await member_with_role(client, owner, workspace, "admin")
        member = await member_with_role(client, owner, workspace, "member")
        r = await client.patch(
            member_url(workspace, member), json={"role": "owner"}, headers=admin.headers
        )
        assert_problem(r, 403, "permission_denied")

    async def test_admin_cannot_promote_themselves_to_owner(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        admin = await member_with_role(client, owner, workspace, "admin")
        r = await client.patch(
            member_url(workspace, admin), json={"role": "owner"}, headers=admin.headers
        )
        assert_problem(r, 403, "permission_denied")

    async def test_admin_cannot_demote_an_owner(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        admin = await member_with_role(client, owner, workspace, "admin")
        r = await client.patch(
            member_url(workspace, owner), json={"role": "member"}, headers=admin.headers
        )
        assert_problem(r, 403, "permission_denied")

    async def test_owner_makes_an_owner(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        admin = await member_with_role(client, owner, workspace, "admin")
        body = expect(
            await client.patch(
                member_url(workspace, admin), json={"role": "owner"}, headers=owner.headers
            ),
            200,
        )
        assert body["role"] == "owner"

    async def test_owner_demotes_another_owner(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        second = await member_with_role(client, owner, workspace, "owner")
        body = expect(
            await client.patch(
                member_url(workspace, second), json={"role": "member"}, headers=owner.headers
            ),
            200,
        )
        assert body["role"] == "member"

    async def test_owner_demotes_themselves_when_another_owner_remains(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        await member_with_role(client, owner, workspace, "owner")
        body = expect(
            await client.patch(
                member_url(workspace, owner), json={"role": "admin"}, headers=owner.headers
            ),
            200,
        )
        assert body["role"] == "admin"

    async def test_last_owner_cannot_be_demoted(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        r = await client.patch(
            member_url(workspace, owner), json={"role": "admin"}, headers=owner.headers
        )
        assert_problem(r, 409, "last_owner")
        got = expect(await client.get(ws_url(workspace), headers=owner.headers), 200)
        assert got["role"] == "owner"

    async def test_two_owners_demoting_each_other_leave_one(
        self, client: httpx.AsyncClient, owner: User
    ) -> None:
        for attempt in range(RACE_ROUNDS):
            ws = await make_workspace(client, owner, f"Race {attempt}")
            second = await member_with_role(client, owner, ws, "owner")
            results = await asyncio.gather(
                client.patch(
                    member_url(ws, second), json={"role": "member"}, headers=owner.headers
                ),
                client.patch(
                    member_url(ws, owner), json={"role": "member"}, headers=second.headers
                ),
            )
            statuses = sorted(r.status_code for r in results)
            assert statuses in ([200, 403], [200, 409]), [r.text for r in results]
            assert await owner_count(client, ws, owner, second) == 1

    async def test_same_role_is_a_no_op(
        self, client: httpx.AsyncClient, app: FastAPI, owner: User, workspace: dict[str, Any]
    ) -> None:
        member = await member_with_role(client, owner, workspace, "member")
        before = len(await events(app, workspace["id"]))
        body = expect(
            await client.patch(
                member_url(workspace, member), json={"role": "member"}, headers=owner.headers
            ),
            200,
        )
        assert body["role"] == "member"
        assert len(await events(app, workspace["id"])) == before

    async def test_non_member_is_404(
        self, client: httpx.AsyncClient, owner: User, outsider: User, workspace: dict[str, Any]
    ) -> None:
        r = await client.patch(
            member_url(workspace, outsider), json={"role": "admin"}, headers=owner.headers
        )
        assert_problem(r, 404, "not_found")

    async def test_unknown_role_is_422(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        member = await member_with_role(client, owner, workspace, "member")
        r = await client.patch(
            member_url(workspace, member), json={"role": "boss"}, headers=owner.headers
        )
        assert_problem(r, 422, "validation_failed")
        assert fields(r) == ["role"]


class TestRemoveMember:
    async def test_anonymous_is_401(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        assert_problem(await client.delete(member_url(workspace, owner)), 401, "unauthenticated")

    async def test_outsider_is_404(
        self, client: httpx.AsyncClient, owner: User, outsider: User, workspace: dict[str, Any]
    ) -> None:
        r = await client.delete(member_url(workspace, owner), headers=outsider.headers)
        assert_problem(r, 404, "not_found")

    async def test_outsider_cannot_leave_what_they_are_not_in(
        self, client: httpx.AsyncClient, outsider: User, workspace: dict[str, Any]
    ) -> None:
        r = await client.delete(member_url(workspace, outsider), headers=outsider.headers)
        assert_problem(r, 404, "not_found")

    async def test_member_cannot_remove_others(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        member = await member_with_role(client, owner, workspace, "member")
        other = await member_with_role(client, owner, workspace, "member")
        r = await client.delete(member_url(workspace, other), headers=member.headers)
        assert_problem(r, 403, "permission_denied")

    async def test_admin_removes_a_member(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        admin = await member_with_role(client, owner, workspace, "admin")
        member = await member_with_role(client, owner, workspace, "member")
        r = await client.delete(member_url(workspace, member), headers=admin.headers)
        assert r.status_code == 204
        listed = expect(await client.get(members_url(workspace), headers=owner.headers), 200)
        assert member.id not in [m["user_id"] for m in listed["items"]]

    async def test_removed_member_loses_access(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        member = await member_with_role(client, owner, workspace, "member")
        expect(await client.get(ws_url(workspace), headers=member.headers), 200)
        expect(await client.delete(member_url(workspace, member), headers=owner.headers), 204)
        r = await client.get(ws_url(workspace), headers=member.headers)
        assert_problem(r, 404, "not_found")
        assert expect(await client.get(WORKSPACES, headers=member.headers), 200)["items"] == []

    async def test_project_roles_go_with_the_member(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        project = await make_project(client, owner, workspace["id"])
        guest = await member_with_role(client, owner, workspace, "guest")
        expect(
            await client.post(
                f"/api/v1/projects/{project['id']}/members",
                json={"user_id": guest.id, "role": "member"},
                headers=owner.headers,
            ),
            201,
        )
        project_url = f"/api/v1/projects/{project['id']}"
        expect(await client.get(project_url, headers=guest.headers), 200)
        expect(await client.delete(member_url(workspace, guest), headers=owner.headers), 204)
        await add_member(client, owner, workspace["id"], guest, "guest")
        assert (await client.get(project_url, headers=guest.headers)).status_code == 404

    async def test_admin_cannot_remove_an_owner(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        admin = await member_with_role(client, owner, workspace, "admin")
        r = await client.delete(member_url(workspace, owner), headers=admin.headers)
        assert_problem(r, 403, "permission_denied")

    async def test_owner_removes_another_owner(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        second = await member_with_role(client, owner, workspace, "owner")
        r = await client.delete(member_url(workspace, second), headers=owner.headers)
        assert r.status_code == 204

    @pytest.mark.parametrize("role", ["admin", "member", "guest"])
    async def test_member_can_leave(
        self,
        client: httpx.AsyncClient,
        owner: User,
        workspace: dict[str, Any],
        role: str,
    ) -> None:
        user = await member_with_role(client, owner, workspace, role)
        r = await client.delete(member_url(workspace, user), headers=user.headers)
        assert r.status_code == 204
        assert (await client.get(ws_url(workspace), headers=user.headers)).status_code == 404

    async def test_owner_can_leave_when_another_owner_remains(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        second = await member_with_role(client, owner, workspace, "owner")
        r = await client.delete(member_url(workspace, owner), headers=owner.headers)
        assert r.status_code == 204
        got = expect(await client.get(ws_url(workspace), headers=second.headers), 200)
        assert got["role"] == "owner"

    async def test_last_owner_cannot_leave(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        await member_with_role(client, owner, workspace, "admin")
        r = await client.delete(member_url(workspace, owner), headers=owner.headers)
        assert_problem(r, 409, "last_owner")
        assert (await client.get(ws_url(workspace), headers=owner.headers)).status_code == 200

    async def test_two_owners_leaving_at_once_leave_one(
        self, client: httpx.AsyncClient, owner: User
    ) -> None:
        for attempt in range(RACE_ROUNDS):
            ws = await make_workspace(client, owner, f"Race {attempt}")
            second = await member_with_role(client, owner, ws, "owner")
            results = await asyncio.gather(
                client.delete(member_url(ws, owner), headers=owner.headers),
                client.delete(member_url(ws, second), headers=second.headers),
            )
            assert sorted(r.status_code for r in results) == [204, 409], [r.text for r in results]
            assert await owner_count(client, ws, owner, second) == 1

    async def test_non_member_is_404(
        self, client: httpx.AsyncClient, owner: User, outsider: User, workspace: dict[str, Any]
    ) -> None:
        r = await client.delete(member_url(workspace, outsider), headers=owner.headers)
        assert_problem(r, 404, "not_found")


class TestEvents:
    async def test_every_write_is_recorded_in_order(
        self, client: httpx.AsyncClient, app: FastAPI, owner: User, outsider: User
    ) -> None:
        ws = await make_workspace(client, owner, "Acme")
        wid = ws["id"]
        expect(await client.patch(ws_url(ws), json={"name": "Acme 2"}, headers=owner.headers), 200)
        await add_member(client, owner, wid, outsider, "member")
        expect(
            await client.patch(
                member_url(ws, outsider), json={"role": "admin"}, headers=owner.headers
            ),
            200,
        )
        expect(await client.delete(member_url(ws, outsider), headers=owner.headers), 204)
        expect(await client.delete(ws_url(ws), headers=owner.headers), 204)
        recorded = await events(app, wid)
        assert [e.type for e in recorded] == [
            "workspace.created",
            "workspace.updated",
            "workspace.member_added",
            "workspace.member_updated",
            "workspace.member_removed",
            "workspace.deleted",
        ]
        # The member joins by accepting: that event is theirs, naming who invited them.
        assert [e.actor_id for e in recorded] == [UUID(owner.id)] * 2 + [UUID(outsider.id)] + [
            UUID(owner.id)
        ] * 3
        assert recorded[2].data["invited_by"] == owner.id
        assert recorded[1].data["changes"] == {"name": {"from": "Acme", "to": "Acme 2"}}
        assert recorded[3].data["changes"] == {"role": {"from": "member", "to": "admin"}}
        assert [e.entity_id for e in recorded[2:5]] == [UUID(outsider.id)] * 3

    async def test_sequence_numbers_have_no_gaps(
        self, client: httpx.AsyncClient, app: FastAPI, owner: User, outsider: User
    ) -> None:
        ws = await make_workspace(client, owner, "Acme")
        await client.post(WORKSPACES, json={"name": "X", "slug": "acme"}, headers=owner.headers)
        await add_member(client, owner, ws["id"], outsider, "admin")
        await client.patch(member_url(ws, owner), json={"role": "admin"}, headers=owner.headers)
        await make_workspace(client, outsider, "Other")
        await asyncio.gather(*[make_workspace(client, owner, f"Parallel {i}") for i in range(4)])
        seqs = [e.seq for e in await events(app)]
        assert len(seqs) == 7
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))

    async def test_refused_writes_record_nothing(
        self, client: httpx.AsyncClient, app: FastAPI, owner: User, outsider: User
    ) -> None:
        ws = await make_workspace(client, owner, "Acme")
        before = await events(app)
        await client.post(WORKSPACES, json={"name": "X", "slug": "acme"}, headers=owner.headers)
        await client.patch(ws_url(ws), json={"name": "Mine"}, headers=outsider.headers)
        await client.patch(member_url(ws, owner), json={"role": "admin"}, headers=owner.headers)
        await client.delete(member_url(ws, owner), headers=owner.headers)
        await client.patch(ws_url(ws), json={"name": "Acme"}, headers=owner.headers)
        assert [e.seq for e in await events(app)] == [e.seq for e in before]


class TestProblems:
    async def test_have_the_problem_fields(self, client: httpx.AsyncClient) -> None:
        r = await client.get(WORKSPACES)
        assert r.headers["content-type"] == "application/problem+json"
        body = r.json()
        assert body["status"] == 401
        assert body["code"] == "unauthenticated"
        assert body["title"] == "Authentication required"
        assert body["type"] == "about:blank"

    async def test_provided_request_id_is_echoed(self, client: httpx.AsyncClient) -> None:
        r = await client.get(WORKSPACES, headers={"X-Request-ID": "abc-123"})
        assert r.status_code == 401
        assert r.headers["x-request-id"] == "abc-123"
        assert r.json()["request_id"] == "abc-123"

    async def test_request_id_is_made_when_missing(self, client: httpx.AsyncClient) -> None:
        r = await client.get(WORKSPACES)
        assert r.headers["x-request-id"]
        assert r.json()["request_id"] == r.headers["x-request-id"]

    async def test_unsafe_request_id_is_replaced(self, client: httpx.AsyncClient) -> None:
        r = await client.get(WORKSPACES, headers={"X-Request-ID": "bad id<script>"})
        assert r.headers["x-request-id"] != "bad id<script>"
        assert r.json()["request_id"] == r.headers["x-request-id"]

    async def test_success_carries_the_request_id(
        self, client: httpx.AsyncClient, owner: User
    ) -> None:
        r = await client.get(WORKSPACES, headers={**owner.headers, "X-Request-ID": "req-7"})
        assert r.status_code == 200
        assert r.headers["x-request-id"] == "req-7"

    async def test_404_is_a_problem(self, client: httpx.AsyncClient, owner: User) -> None:
        r = await client.get(f"{WORKSPACES}/{uuid4()}", headers=owner.headers)
        assert_problem(r, 404, "not_found")
        assert r.json()["status"] == 404
        assert r.json()["title"] == "Not found"

    async def test_409_is_a_problem(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        r = await client.post(
            WORKSPACES, json={"name": "X", "slug": workspace["slug"]}, headers=owner.headers
        )
        assert_problem(r, 409, "slug_taken")
        assert r.json()["status"] == 409
        assert r.json()["title"] == "Conflict"

    async def test_422_names_each_field(self, client: httpx.AsyncClient, owner: User) -> None:
        r = await client.post(
            WORKSPACES, json={"name": "", "slug": "NO", "x": 1}, headers=owner.headers
        )
        assert_problem(r, 422, "validation_failed")
        assert sorted(fields(r)) == ["name", "slug", "x"]
        assert all(e["message"] and e["code"] for e in r.json()["errors"])

    async def test_malformed_json_is_422(self, client: httpx.AsyncClient, owner: User) -> None:
        r = await client.post(
            WORKSPACES,
            content=b"{not json",
            headers={**owner.headers, "content-type": "application/json"},
        )
        assert_problem(r, 422, "validation_failed")

    async def test_unknown_route_is_a_problem(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/api/v1/nowhere", headers={"X-Request-ID": "r-404"})
        assert_problem(r, 404, "not_found")
        assert r.headers["x-request-id"] == "r-404"
