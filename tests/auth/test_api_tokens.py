"""Personal API tokens (issue 15, item 1): created once, used as a Bearer token, narrowed by
their scopes and never past their owner's rights, revoked or expired at once, and no token
manages the account. Which scope each route needs is checked route by route in
tests/meta/test_authorization.py."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from tasklane.auth import apitokens
from tasklane.db import Database
from tasklane.kit.clock import utcnow
from tasklane.models import ApiToken, User
from tests.conftest import another_process
from tests.factories import Board, expect, make_task, make_user, make_workspace

TOKENS = "/api/v1/users/me/tokens"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _create(
    client: httpx.AsyncClient, headers: dict[str, str], scopes: list[str], **fields: Any
) -> dict[str, Any]:
    body = {"name": f"{scopes[0]} bot", "scopes": scopes, **fields}
    return expect(await client.post(TOKENS, json=body, headers=headers), 201)  # type: ignore[no-any-return]


def _refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


async def test_a_token_is_shown_once_and_listed_without_its_secret(
    client: httpx.AsyncClient, board: Board, database: Database
) -> None:
    expires = (utcnow() + timedelta(days=90)).isoformat()
    created = await _create(client, board.owner.headers, ["read"], expires_at=expires)
    secret = created["token"]
    assert secret.startswith("tl_pat_")
    assert len(secret) >= 7 + 43
    assert created["prefix"] == secret[:11]
    assert created["scopes"] == ["read"]
    assert created["last_used_at"] is None

    listed = expect(await client.get(TOKENS, headers=board.owner.headers), 200)
    assert [t["id"] for t in listed["items"]] == [created["id"]]
    assert "token" not in listed["items"][0]
    assert secret not in (await client.get(TOKENS, headers=board.owner.headers)).text
    # Only a hash is stored.
    async with database.transaction(write=False) as session:
        stored = await session.scalar(select(ApiToken.token_hash))
    assert stored == apitokens.digest(secret)
    assert secret not in str(stored)
    # Someone else's list is their own.
    assert expect(await client.get(TOKENS, headers=board.member.headers), 200)["items"] == []


async def test_each_scope_allows_what_it_says(client: httpx.AsyncClient, board: Board) -> None:
    task = await make_task(client, board.owner, board.pid, "Scoped")
    read, write, admin = [
        _bearer((await _create(client, board.owner.headers, [s]))["token"])
        for s in ("read", "write", "admin")
    ]
    new_task = {"title": "From a script"}
    for headers in (read, write, admin):
        expect(await client.get(f"/api/v1/projects/{board.pid}/tasks", headers=headers), 200)
        expect(await client.get(f"/api/v1/tasks/{task['key']}", headers=headers), 200)
    _refused(
        await client.post(f"/api/v1/projects/{board.pid}/tasks", json=new_task, headers=read),
        403,
        "token_scope",
    )
    expect(
        await client.post(f"/api/v1/projects/{board.pid}/tasks", json=new_task, headers=write),
        201,
    )
    _refused(
        await client.post("/api/v1/workspaces", json={"name": "By token"}, headers=write),
        403,
        "token_scope",
    )
    made = expect(
        await client.post("/api/v1/workspaces", json={"name": "By token"}, headers=admin), 201
    )
    assert made["role"] == "owner"


async def test_no_token_manages_the_account(client: httpx.AsyncClient, board: Board) -> None:
    admin = _bearer((await _create(client, board.owner.headers, ["admin"]))["token"])
    token_id = expect(await client.get(TOKENS, headers=board.owner.headers), 200)["items"][0]["id"]
    for method, url, body in (
        ("GET", TOKENS, None),
        ("POST", TOKENS, {"name": "more", "scopes": ["admin"]}),
        ("DELETE", f"{TOKENS}/{token_id}", None),
        ("PATCH", "/api/v1/users/me", {"name": "Taken over"}),
        ("POST", "/api/v1/users/me/password", {"current_password": "x", "new_password": "y" * 12}),
        ("POST", "/api/v1/auth/logout", None),
    ):
        _refused(await client.request(method, url, json=body, headers=admin), 403, "token_scope")
    listed = expect(await client.get(TOKENS, headers=board.owner.headers), 200)["items"]
    assert [t["id"] for t in listed] == [token_id]
    me = expect(await client.get("/api/v1/users/me", headers=admin), 200)
    assert me["name"] == board.owner.name


async def test_a_token_never_exceeds_its_owners_rights(
    client: httpx.AsyncClient, board: Board
) -> None:
    """The member's admin token cannot delete the owner's project, and an outsider's token
    does not even see it."""
    member_admin = _bearer((await _create(client, board.member.headers, ["admin"]))["token"])
    _refused(
        await client.delete(f"/api/v1/projects/{board.pid}", headers=member_admin),
        403,
        "permission_denied",
    )
    outsider = await make_user(client)
    theirs = _bearer((await _create(client, outsider.headers, ["admin"]))["token"])
    _refused(await client.get(f"/api/v1/projects/{board.pid}", headers=theirs), 404, "not_found")
    expect(await client.get(f"/api/v1/projects/{board.pid}", headers=board.owner.headers), 200)


async def test_a_revoked_token_stops_at_once_and_only_its_owner_revokes_it(
    client: httpx.AsyncClient, board: Board
) -> None:
    created = await _create(client, board.owner.headers, ["read"])
    headers = _bearer(created["token"])
    expect(await client.get("/api/v1/workspaces", headers=headers), 200)  # now cached
    url = f"{TOKENS}/{created['id']}"
    _refused(await client.delete(url, headers=board.member.headers), 404, "not_found")
    expect(await client.get("/api/v1/workspaces", headers=headers), 200)
    expect(await client.delete(url, headers=board.owner.headers), 204)
    _refused(await client.get("/api/v1/workspaces", headers=headers), 401, "invalid_token")
    _refused(await client.delete(url, headers=board.owner.headers), 404, "not_found")
    assert expect(await client.get(TOKENS, headers=board.owner.headers), 200)["items"] == []


async def test_another_process_sees_a_revocation_within_its_cache_time(
    client: httpx.AsyncClient, board: Board, database_url: str, tmp_path: Path
) -> None:
    created = await _create(client, board.owner.headers, ["read"])
    headers = _bearer(created["token"])
    async with another_process(database_url, tmp_path / "b", signed_in_cache_seconds=0) as other:
        expect(await other.get("/api/v1/workspaces", headers=headers), 200)
        expect(await client.delete(f"{TOKENS}/{created['id']}", headers=board.owner.headers), 204)
        _refused(await other.get("/api/v1/workspaces", headers=headers), 401, "invalid_token")


async def test_expired_tokens_and_deactivated_owners_are_refused(
    client: httpx.AsyncClient, board: Board, database: Database
) -> None:
    expiring = await _create(client, board.owner.headers, ["read"])
    members = await _create(client, board.member.headers, ["read"])
    async with database.transaction() as session:
        await session.execute(
            update(ApiToken)
            .where(ApiToken.token_hash == apitokens.digest(expiring["token"]))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.execute(
            update(User).where(User.email == board.member.email).values(is_active=False)
        )
    for token in (expiring["token"], members["token"]):
        _refused(
            await client.get("/api/v1/workspaces", headers=_bearer(token)), 401, "invalid_token"
        )
    # An expired token is still listed, so its owner sees why a script stopped.
    listed = expect(await client.get(TOKENS, headers=board.owner.headers), 200)["items"]
    assert [t["id"] for t in listed] == [expiring["id"]]
    # A made-up token of the right shape is refused the same way.
    fake = apitokens.new_secret()
    _refused(await client.get("/api/v1/workspaces", headers=_bearer(fake)), 401, "invalid_token")


async def test_last_used_is_recorded_at_most_once_a_minute(
    client: httpx.AsyncClient, board: Board, database: Database, app: Any
) -> None:
    created = await _create(client, board.owner.headers, ["read"])
    headers = _bearer(created["token"])

    async def last_used() -> Any:
        listed = expect(await client.get(TOKENS, headers=board.owner.headers), 200)["items"]
        return listed[0]["last_used_at"]

    assert await last_used() is None
    expect(await client.get("/api/v1/workspaces", headers=headers), 200)
    first = await last_used()
    assert first is not None
    # The next use checks the token again (as after the cache's seconds), within the minute.
    app.state.runtime.signed_in.forget_session(
        apitokens.cache_key(apitokens.digest(created["token"]))
    )
    expect(await client.get("/api/v1/workspaces", headers=headers), 200)
    assert await last_used() == first


BAD_TOKENS: dict[str, tuple[dict[str, Any], str]] = {
    "no-scopes": ({"name": "x", "scopes": []}, "scopes"),
    "unknown-scope": ({"name": "x", "scopes": ["root"]}, "scopes.0"),
    "blank-name": ({"name": " ", "scopes": ["read"]}, "name"),
    "name-too-long": ({"name": "x" * 101, "scopes": ["read"]}, "name"),
    "expired": (
        {"name": "x", "scopes": ["read"], "expires_at": "2020-01-01T00:00:00Z"},
        "expires_at",
    ),
    "expiry-not-a-time": ({"name": "x", "scopes": ["read"], "expires_at": "soon"}, "expires_at"),
    "unknown-field": ({"name": "x", "scopes": ["read"], "owner": "someone"}, "owner"),
}
"""Token requests that are refused, and the field each names, by case name."""


async def test_bad_input_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, board: Board, subtests: pytest.Subtests
) -> None:
    for case, (body, field) in BAD_TOKENS.items():
        with subtests.test(case, body=body):
            response = await client.post(TOKENS, json=body, headers=board.owner.headers)
            assert response.status_code == 422, f"{case}: {response.text}"
            assert field in {e["field"] for e in response.json()["errors"]}, case
            listed = expect(await client.get(TOKENS, headers=board.owner.headers), 200)
            assert listed["items"] == [], case


async def test_live_tokens_are_limited(client: httpx.AsyncClient, board: Board) -> None:
    user = await make_user(client)
    for _ in range(apitokens.MAX_TOKENS):
        await _create(client, user.headers, ["read"])
    _refused(
        await client.post(
            TOKENS, json={"name": "one more", "scopes": ["read"]}, headers=user.headers
        ),
        422,
        "too_many_tokens",
    )
    first = expect(await client.get(TOKENS, headers=user.headers), 200)["items"][0]["id"]
    expect(await client.delete(f"{TOKENS}/{first}", headers=user.headers), 204)
    await _create(client, user.headers, ["read"])


async def test_the_scope_granted_is_stored_in_order_once(
    client: httpx.AsyncClient, board: Board
) -> None:
    created = await _create(client, board.owner.headers, ["admin", "read", "admin"])
    assert created["scopes"] == ["read", "admin"]
    workspace = await make_workspace(client, board.owner, "Second")
    headers = _bearer(created["token"])
    expect(await client.delete(f"/api/v1/workspaces/{workspace['id']}", headers=headers), 204)
