"""Small typed factories that make test data through the public API."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import httpx

PASSWORD = "correct horse battery staple"
_n = itertools.count(1)


@dataclass
class User:
    id: str
    email: str
    name: str
    access_token: str
    refresh_token: str
    headers: dict[str, str] = field(default_factory=dict)


def expect(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, (
        f"{response.request.method} {response.request.url} -> {response.status_code}: "
        f"{response.text}"
    )
    return response.json() if response.content else None


async def make_user(
    client: httpx.AsyncClient, *, email: str | None = None, name: str | None = None
) -> User:
    n = next(_n)
    email = email or f"user{n}@example.com"
    name = name or f"User {n}"
    body = expect(
        await client.post(
            "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "name": name}
        ),
        201,
    )
    tokens = expect(
        await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}), 200
    )
    return User(
        id=body["id"],
        email=email,
        name=name,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )


async def make_workspace(
    client: httpx.AsyncClient, owner: User, name: str = "Acme"
) -> dict[str, Any]:
    return expect(
        await client.post("/api/v1/workspaces", json={"name": name}, headers=owner.headers), 201
    )


async def invite(
    client: httpx.AsyncClient, admin: User, workspace_id: str, email: str, role: str = "member"
) -> dict[str, Any]:
    """A pending invitation (nobody joins without accepting)."""
    return expect(
        await client.post(
            f"/api/v1/workspaces/{workspace_id}/members",
            json={"email": email, "role": role},
            headers=admin.headers,
        ),
        201,
    )


async def api_token_headers(
    client: httpx.AsyncClient, user: User, scope: str = "read", name: str = "script"
) -> dict[str, str]:
    """The Authorization header of a new personal API token of `user` with `scope`."""
    created = expect(
        await client.post(
            "/api/v1/users/me/tokens",
            json={"name": name, "scopes": [scope]},
            headers=user.headers,
        ),
        201,
    )
    return {"Authorization": f"Bearer {created['token']}"}


async def add_member(
    client: httpx.AsyncClient, admin: User, workspace_id: str, user: User, role: str = "member"
) -> dict[str, Any]:
    """Invite `user` and accept as them: the membership, as `GET .../members` lists it."""
    invitation = await invite(client, admin, workspace_id, user.email, role)
    return expect(
        await client.post(f"/api/v1/invitations/{invitation['id']}/accept", headers=user.headers),
        200,
    )


async def make_project(
    client: httpx.AsyncClient,
    user: User,
    workspace_id: str,
    key: str = "ENG",
    name: str = "Engineering",
) -> dict[str, Any]:
    return expect(
        await client.post(
            f"/api/v1/workspaces/{workspace_id}/projects",
            json={"key": key, "name": name},
            headers=user.headers,
        ),
        201,
    )


async def statuses(client: httpx.AsyncClient, user: User, project_id: str) -> list[dict[str, Any]]:
    body = expect(
        await client.get(f"/api/v1/projects/{project_id}/statuses", headers=user.headers), 200
    )
    return list(body["items"])


async def make_task(
    client: httpx.AsyncClient, user: User, project_id: str, title: str = "A task", **fields: Any
) -> dict[str, Any]:
    return expect(
        await client.post(
            f"/api/v1/projects/{project_id}/tasks",
            json={"title": title, **fields},
            headers=user.headers,
        ),
        201,
    )


@dataclass
class Board:
    owner: User
    member: User
    workspace: dict[str, Any]
    project: dict[str, Any]
    statuses: dict[str, dict[str, Any]]  # by name

    @property
    def pid(self) -> str:
        return str(self.project["id"])


async def make_board(client: httpx.AsyncClient) -> Board:
    """A workspace with an owner and a member, and project ENG with the default workflow."""
    owner = await make_user(client, name="Olive Owner")
    member = await make_user(client, name="Max Member")
    workspace = await make_workspace(client, owner)
    await add_member(client, owner, workspace["id"], member)
    project = await make_project(client, owner, workspace["id"], key="ENG")
    by_name = {s["name"]: s for s in await statuses(client, owner, project["id"])}
    return Board(owner, member, workspace, project, by_name)
