"""Nobody joins a workspace without accepting: invitations, and sign-up modes."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tasklane.auth import service
from tasklane.auth.schemas import RegisterRequest
from tasklane.models import Event
from tests.factories import (
    PASSWORD,
    User,
    add_member,
    expect,
    invite,
    make_project,
    make_task,
    make_user,
    make_workspace,
)
from tests.projects.helpers import problem

API = "/api/v1"


async def mine(client: httpx.AsyncClient, user: User) -> list[dict[str, Any]]:
    return list(expect(await client.get(f"{API}/users/me/invitations", headers=user.headers), 200))


@pytest.fixture
async def owner(client: httpx.AsyncClient) -> User:
    return await make_user(client, name="Ada Admin")


@pytest.fixture
async def invitee(client: httpx.AsyncClient) -> User:
    return await make_user(client, name="Bea Invitee")


@pytest.fixture
async def workspace(client: httpx.AsyncClient, owner: User) -> dict[str, Any]:
    return await make_workspace(client, owner, "Nora")


class TestPendingInvitee:
    async def test_sees_nothing_of_the_workspace(
        self, client: httpx.AsyncClient, owner: User, invitee: User, workspace: dict[str, Any]
    ) -> None:
        project = await make_project(client, owner, workspace["id"], key="WEB")
        task = await make_task(client, owner, project["id"])
        await invite(client, owner, workspace["id"], invitee.email)
        h = invitee.headers
        assert expect(await client.get(f"{API}/workspaces", headers=h), 200)["items"] == []
        for url in (
            f"{API}/workspaces/{workspace['id']}",
            f"{API}/workspaces/{workspace['id']}/members",
            f"{API}/workspaces/{workspace['id']}/projects",
            f"{API}/workspaces/{workspace['id']}/invitations",
            f"{API}/projects/{project['id']}",
            f"{API}/tasks/{task['id']}",
            f"{API}/tasks/WEB-1",
            f"{API}/tasks/WEB-1?workspace={workspace['slug']}",
        ):
            problem(await client.get(url, headers=h), 404, "not_found")

    async def test_lists_their_invitation_with_names(
        self, client: httpx.AsyncClient, owner: User, invitee: User, workspace: dict[str, Any]
    ) -> None:
        sent = await invite(client, owner, workspace["id"], invitee.email.upper(), "admin")
        (got,) = await mine(client, invitee)
        assert got == sent
        assert got["workspace_name"] == "Nora"
        assert got["workspace_slug"] == workspace["slug"]
        assert got["invited_by_name"] == "Ada Admin"
        assert got["email"] == invitee.email
        assert got["role"] == "admin"
        assert await mine(client, owner) == []


class TestAccept:
    async def test_joins_with_the_invited_role_and_records_it(
        self,
        client: httpx.AsyncClient,
        app: FastAPI,
        owner: User,
        invitee: User,
        workspace: dict[str, Any],
    ) -> None:
        sent = await invite(client, owner, workspace["id"], invitee.email, "guest")
        member = expect(
            await client.post(f"{API}/invitations/{sent['id']}/accept", headers=invitee.headers),
            200,
        )
        assert member["user_id"] == invitee.id
        assert member["role"] == "guest"
        ws = expect(
            await client.get(f"{API}/workspaces/{workspace['id']}", headers=invitee.headers), 200
        )
        assert ws["role"] == "guest"
        assert await mine(client, invitee) == []
        async with app.state.runtime.db.transaction(write=False) as session:
            (event,) = (
                await session.scalars(
                    select(Event).where(
                        Event.type == "workspace.member_added",
                        Event.workspace_id == UUID(workspace["id"]),
                    )
                )
            ).all()
        assert event.actor_id == UUID(invitee.id)
        assert event.entity_id == UUID(invitee.id)
        assert event.data["invited_by"] == owner.id
        # Once used, the invitation is gone.
        r = await client.post(f"{API}/invitations/{sent['id']}/accept", headers=invitee.headers)
        problem(r, 404, "not_found")

    async def test_only_the_invited_address_can(
        self, client: httpx.AsyncClient, owner: User, invitee: User, workspace: dict[str, Any]
    ) -> None:
        sent = await invite(client, owner, workspace["id"], invitee.email)
        thief = await make_user(client)
        for who in (thief, owner):
            for verb in ("accept", "decline"):
                r = await client.post(f"{API}/invitations/{sent['id']}/{verb}", headers=who.headers)
                problem(r, 404, "not_found")
        problem(await client.post(f"{API}/invitations/{sent['id']}/accept"), 401, "unauthenticated")
        r = await client.get(f"{API}/workspaces/{workspace['id']}", headers=thief.headers)
        problem(r, 404, "not_found")
        assert [i["id"] for i in await mine(client, invitee)] == [sent["id"]]

    async def test_an_unknown_invitation_is_404(
        self, client: httpx.AsyncClient, invitee: User
    ) -> None:
        r = await client.post(f"{API}/invitations/{uuid4()}/accept", headers=invitee.headers)
        problem(r, 404, "not_found")
        r = await client.post(f"{API}/invitations/nope/accept", headers=invitee.headers)
        problem(r, 422, "validation_failed")


class TestDecline:
    async def test_removes_it_and_grants_nothing(
        self, client: httpx.AsyncClient, owner: User, invitee: User, workspace: dict[str, Any]
    ) -> None:
        sent = await invite(client, owner, workspace["id"], invitee.email)
        r = await client.post(f"{API}/invitations/{sent['id']}/decline", headers=invitee.headers)
        assert r.status_code == 204, r.text
        assert await mine(client, invitee) == []
        r = await client.get(f"{API}/workspaces/{workspace['id']}", headers=invitee.headers)
        problem(r, 404, "not_found")
        # The admin may invite again.
        await invite(client, owner, workspace["id"], invitee.email)


class TestAdminView:
    async def test_lists_and_cancels_pending_ones(
        self, client: httpx.AsyncClient, owner: User, invitee: User, workspace: dict[str, Any]
    ) -> None:
        url = f"{API}/workspaces/{workspace['id']}/invitations"
        first = await invite(client, owner, workspace["id"], invitee.email)
        second = await invite(client, owner, workspace["id"], "new.person@example.com", "guest")
        listed = expect(await client.get(url, headers=owner.headers), 200)
        assert [i["id"] for i in listed] == [first["id"], second["id"]]
        assert (
            await client.delete(f"{url}/{first['id']}", headers=owner.headers)
        ).status_code == 204
        assert await mine(client, invitee) == []
        r = await client.post(f"{API}/invitations/{first['id']}/accept", headers=invitee.headers)
        problem(r, 404, "not_found")
        problem(
            await client.delete(f"{url}/{first['id']}", headers=owner.headers), 404, "not_found"
        )
        assert [i["id"] for i in expect(await client.get(url, headers=owner.headers), 200)] == [
            second["id"]
        ]

    async def test_members_cannot_see_or_cancel(
        self, client: httpx.AsyncClient, owner: User, invitee: User, workspace: dict[str, Any]
    ) -> None:
        member = await make_user(client)
        await add_member(client, owner, workspace["id"], member)
        sent = await invite(client, owner, workspace["id"], invitee.email)
        url = f"{API}/workspaces/{workspace['id']}/invitations"
        problem(await client.get(url, headers=member.headers), 403, "permission_denied")
        r = await client.delete(f"{url}/{sent['id']}", headers=member.headers)
        problem(r, 403, "permission_denied")
        # An admin of another workspace cannot cancel it through theirs.
        other = await make_workspace(client, member, "Other")
        r = await client.delete(
            f"{API}/workspaces/{other['id']}/invitations/{sent['id']}", headers=member.headers
        )
        problem(r, 404, "not_found")

    async def test_inviting_twice_or_a_member_is_409(
        self, client: httpx.AsyncClient, owner: User, invitee: User, workspace: dict[str, Any]
    ) -> None:
        members = f"{API}/workspaces/{workspace['id']}/members"
        await invite(client, owner, workspace["id"], invitee.email)
        r = await client.post(members, json={"email": invitee.email}, headers=owner.headers)
        problem(r, 409, "already_invited")
        r = await client.post(members, json={"email": owner.email}, headers=owner.headers)
        problem(r, 409, "already_member")


class TestSignupModes:
    @pytest.fixture
    def settings_overrides(self, request: pytest.FixtureRequest) -> dict[str, object]:
        return {"signup": getattr(request, "param", "open")}

    @staticmethod
    async def register(client: httpx.AsyncClient, email: str) -> httpx.Response:
        return await client.post(
            f"{API}/auth/register", json={"email": email, "password": PASSWORD, "name": "N"}
        )

    async def test_open_by_default(self, client: httpx.AsyncClient) -> None:
        config = expect(await client.get(f"{API}/auth/config"), 200)
        assert config == {"signup": "open", "sso": None}
        assert (await self.register(client, "anyone@example.com")).status_code == 201

    @pytest.mark.parametrize("settings_overrides", ["invite"], indirect=True)
    async def test_invite_takes_only_invited_addresses(
        self, client: httpx.AsyncClient, app: FastAPI
    ) -> None:
        config = expect(await client.get(f"{API}/auth/config"), 200)
        assert config == {"signup": "invite", "sso": None}
        problem(await self.register(client, "stranger@example.com"), 403, "signup_invite_only")
        # The operator's first account comes from the command line, which is not limited.
        admin = await service.register(
            app.state.runtime,
            data=RegisterRequest(email="admin@example.com", password=PASSWORD, name="Admin"),
        )
        tokens = expect(
            await client.post(
                f"{API}/auth/login", json={"email": admin.email, "password": PASSWORD}
            ),
            200,
        )
        h = {"Authorization": f"Bearer {tokens['access_token']}"}
        ws = expect(await client.post(f"{API}/workspaces", json={"name": "Acme"}, headers=h), 201)
        expect(
            await client.post(
                f"{API}/workspaces/{ws['id']}/members",
                json={"email": "Newbie@example.com"},
                headers=h,
            ),
            201,
        )
        assert (await self.register(client, "newbie@EXAMPLE.com")).status_code == 201
        problem(await self.register(client, "stranger@example.com"), 403, "signup_invite_only")

    @pytest.mark.parametrize("settings_overrides", ["closed"], indirect=True)
    async def test_closed_takes_nobody(self, client: httpx.AsyncClient) -> None:
        config = expect(await client.get(f"{API}/auth/config"), 200)
        assert config == {"signup": "closed", "sso": None}
        problem(await self.register(client, "anyone@example.com"), 403, "signup_closed")
