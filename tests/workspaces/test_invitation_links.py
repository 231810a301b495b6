"""Invitation links (issue 15, item 5): an admin invites and gets a one-time link; whoever
opens it sees what it invites to; the invited address accepts it once, within 7 days."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from tasklane.auth import service
from tasklane.auth.schemas import RegisterRequest
from tasklane.kit.clock import utcnow
from tasklane.models import WorkspaceInvitation
from tests.factories import PASSWORD, User, add_member, expect, make_user, make_workspace
from tests.projects.helpers import problem

API = "/api/v1"


async def send(
    client: httpx.AsyncClient, admin: User, workspace_id: str, email: str, role: str = "member"
) -> dict[str, Any]:
    return dict(
        expect(
            await client.post(
                f"{API}/workspaces/{workspace_id}/invitations",
                json={"email": email, "role": role},
                headers=admin.headers,
            ),
            201,
        )
    )


def token_of(invitation: dict[str, Any]) -> str:
    link = str(invitation["link"])
    assert link.startswith("/invite/")
    return link.removeprefix("/invite/")


async def preview(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get(f"{API}/invitations/by-token/{token}")


async def accept(client: httpx.AsyncClient, token: str, user: User) -> httpx.Response:
    return await client.post(f"{API}/invitations/by-token/{token}/accept", headers=user.headers)


async def expire(app: FastAPI, invitation_id: str) -> None:
    async with app.state.runtime.db.transaction() as session:
        await session.execute(
            update(WorkspaceInvitation)
            .where(WorkspaceInvitation.id == UUID(invitation_id))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )


@pytest.fixture
async def owner(client: httpx.AsyncClient) -> User:
    return await make_user(client, name="Alice Owner")


@pytest.fixture
async def workspace(client: httpx.AsyncClient, owner: User) -> dict[str, Any]:
    return await make_workspace(client, owner, "Acme")


class TestLink:
    async def test_read_signed_out_then_accepted_once_by_the_invited_address(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        sent = await send(client, owner, workspace["id"], "Carol@Example.com")
        token = token_of(sent)
        assert len(token) >= 43
        created = datetime.fromisoformat(sent["created_at"])
        assert datetime.fromisoformat(sent["expires_at"]) - created == timedelta(days=7)
        # The admins' list has it, without the link.
        url = f"{API}/workspaces/{workspace['id']}/invitations"
        (listed,) = expect(await client.get(url, headers=owner.headers), 200)
        assert listed == {k: v for k, v in sent.items() if k != "link"}
        # Anyone with the link sees what it invites to, and nothing else.
        assert expect(await preview(client, token), 200) == {
            "workspace_name": "Acme",
            "invited_by_name": "Alice Owner",
            "email": "carol@example.com",
            "role": "member",
            "expires_at": sent["expires_at"],
        }
        problem(
            await client.post(f"{API}/invitations/by-token/{token}/accept"), 401, "unauthenticated"
        )
        carol = await make_user(client, email="carol@example.com", name="Carol")
        joined = expect(await accept(client, token, carol), 200)
        assert (joined["id"], joined["role"]) == (workspace["id"], "member")
        ws = expect(
            await client.get(f"{API}/workspaces/{workspace['id']}", headers=carol.headers), 200
        )
        assert ws["role"] == "member"
        # Single use: the link is dead, the invitation gone.
        problem(await preview(client, token), 404, "not_found")
        problem(await accept(client, token, carol), 404, "not_found")
        assert expect(await client.get(url, headers=owner.headers), 200) == []

    async def test_another_address_is_refused_and_the_link_stays_good(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        token = token_of(await send(client, owner, workspace["id"], "carol@example.com"))
        mallory = await make_user(client, email="mallory@example.com")
        r = await accept(client, token, mallory)
        problem(r, 403, "invitation_email_mismatch")
        assert "carol" not in r.text
        r = await client.get(f"{API}/workspaces/{workspace['id']}", headers=mallory.headers)
        problem(r, 404, "not_found")
        # Nor does the inviter join through it; the invited person still can.
        problem(await accept(client, token, owner), 403, "invitation_email_mismatch")
        carol = await make_user(client, email="carol@example.com")
        expect(await accept(client, token, carol), 200)

    async def test_inviting_again_replaces_the_link(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        first = await send(client, owner, workspace["id"], "carol@example.com")
        again = await send(client, owner, workspace["id"], "carol@example.com", "guest")
        assert again["id"] == first["id"]
        assert again["role"] == "guest"
        assert datetime.fromisoformat(again["expires_at"]) >= datetime.fromisoformat(
            first["expires_at"]
        )
        problem(await preview(client, token_of(first)), 404, "not_found")
        assert expect(await preview(client, token_of(again)), 200)["role"] == "guest"
        # The members route invites without a link, so it does not renew a pending one.
        r = await client.post(
            f"{API}/workspaces/{workspace['id']}/members",
            json={"email": "carol@example.com"},
            headers=owner.headers,
        )
        problem(r, 409, "already_invited")
        carol = await make_user(client, email="carol@example.com")
        problem(await accept(client, token_of(first), carol), 404, "not_found")
        assert expect(await accept(client, token_of(again), carol), 200)["role"] == "guest"

    async def test_no_role_above_the_inviters_own(
        self, client: httpx.AsyncClient, owner: User, workspace: dict[str, Any]
    ) -> None:
        admin = await make_user(client)
        await add_member(client, owner, workspace["id"], admin, "admin")
        for route in ("invitations", "members"):
            r = await client.post(
                f"{API}/workspaces/{workspace['id']}/{route}",
                json={"email": "carol@example.com", "role": "owner"},
                headers=admin.headers,
            )
            problem(r, 403, "permission_denied")
        assert (await send(client, admin, workspace["id"], "carol@example.com", "admin"))["link"]
        assert (await send(client, owner, workspace["id"], "dave@example.com", "owner"))["link"]


class TestExpired:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"signup": "invite"}

    @pytest.fixture
    async def owner(self, client: httpx.AsyncClient, app: FastAPI) -> User:
        """The operator's account, from the command line: sign-up is by invitation."""
        data = RegisterRequest(email="alice@example.com", password=PASSWORD, name="Alice")
        user = await service.register(app.state.runtime, data=data)
        body = {"email": user.email, "password": PASSWORD}
        tokens = expect(await client.post(f"{API}/auth/login", json=body), 200)
        access = tokens["access_token"]
        return User(
            id=str(user.id),
            email=user.email,
            name=user.name,
            access_token=access,
            refresh_token=tokens["refresh_token"],
            headers={"Authorization": f"Bearer {access}"},
        )

    async def test_cannot_be_accepted_listed_or_signed_up_with(
        self, client: httpx.AsyncClient, app: FastAPI, owner: User, workspace: dict[str, Any]
    ) -> None:
        sent = await send(client, owner, workspace["id"], "carol@example.com")
        expect(await preview(client, token_of(sent)), 200)
        await expire(app, sent["id"])
        problem(await preview(client, token_of(sent)), 404, "not_found")
        url = f"{API}/workspaces/{workspace['id']}/invitations"
        assert expect(await client.get(url, headers=owner.headers), 200) == []
        # Sign-up by invitation ignores it.
        body = {"email": "carol@example.com", "password": PASSWORD, "name": "Carol"}
        problem(await client.post(f"{API}/auth/register", json=body), 403, "signup_invite_only")
        # Sent again, it works: a new link, another 7 days.
        again = await send(client, owner, workspace["id"], "carol@example.com")
        assert again["id"] != sent["id"]
        carol = await make_user(client, email="carol@example.com")
        await expire(app, again["id"])
        problem(await accept(client, token_of(again), carol), 404, "not_found")
        r = await client.post(f"{API}/invitations/{again['id']}/accept", headers=carol.headers)
        problem(r, 404, "not_found")
        r = await client.get(f"{API}/users/me/invitations", headers=carol.headers)
        assert expect(r, 200) == []
