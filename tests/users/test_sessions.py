"""A user's sign-in sessions (issue 15, item 6): listed with where and when each was used, and
ended one by one or all but the current one; an ended session's tokens stop at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.conftest import another_process
from tests.factories import PASSWORD, User, expect, make_user

SESSIONS = "/api/v1/users/me/sessions"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"


async def _sign_in(client: httpx.AsyncClient, user: User, agent: str) -> dict[str, Any]:
    body: dict[str, Any] = expect(
        await client.post(
            LOGIN,
            json={"email": user.email, "password": PASSWORD},
            headers={"User-Agent": agent},
        ),
        200,
    )
    return {**body, "headers": {"Authorization": f"Bearer {body['access_token']}"}}


async def _listed(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = expect(await client.get(SESSIONS, headers=headers), 200)["items"]
    return items


async def test_sessions_are_listed_current_first_with_device_and_address(
    client: httpx.AsyncClient,
) -> None:
    user = await make_user(client)  # one session, from make_user
    laptop = await _sign_in(client, user, "Laptop/1.0")
    phone = await _sign_in(client, user, "Phone/2.0")
    listed = await _listed(client, phone["headers"])
    assert len(listed) == 3
    assert listed[0]["current"] is True
    assert listed[0]["user_agent"] == "Phone/2.0"
    assert [s["current"] for s in listed[1:]] == [False, False]
    assert {s["user_agent"] for s in listed[1:]} >= {"Laptop/1.0"}
    for s in listed:
        assert (s["kind"], s["method"]) == ("api", "password")
        assert s["ip"] == "127.0.0.1"
        assert s["last_used_at"] >= s["created_at"]
    # From the laptop, the laptop's session is the current one.
    assert (await _listed(client, laptop["headers"]))[0]["user_agent"] == "Laptop/1.0"
    # Nobody else's sessions appear.
    other = await make_user(client)
    assert len(await _listed(client, other.headers)) == 1


async def test_a_refresh_marks_the_session_used(client: httpx.AsyncClient) -> None:
    user = await make_user(client)
    laptop = await _sign_in(client, user, "Laptop/1.0")
    before = {s["id"]: s["last_used_at"] for s in await _listed(client, user.headers)}
    pair = expect(await client.post(REFRESH, json={"refresh_token": laptop["refresh_token"]}), 200)
    after = await _listed(client, {"Authorization": f"Bearer {pair['access_token']}"})
    changed = [s for s in after if s["last_used_at"] != before[s["id"]]]
    assert [s["user_agent"] for s in changed] == ["Laptop/1.0"]


async def test_ending_a_session_stops_its_tokens_at_once(
    client: httpx.AsyncClient, database_url: str, tmp_path: Path
) -> None:
    user = await make_user(client)
    laptop = await _sign_in(client, user, "Laptop/1.0")
    expect(await client.get("/api/v1/users/me", headers=laptop["headers"]), 200)  # cached
    target = next(s for s in await _listed(client, user.headers) if s["user_agent"] == "Laptop/1.0")
    async with another_process(database_url, tmp_path / "b", signed_in_cache_seconds=0) as other:
        expect(await other.get("/api/v1/users/me", headers=laptop["headers"]), 200)
        expect(await client.delete(f"{SESSIONS}/{target['id']}", headers=user.headers), 204)
        for process in (client, other):
            r = await process.get("/api/v1/users/me", headers=laptop["headers"])
            assert r.status_code == 401, r.text
            assert r.json()["code"] == "session_revoked"
    refused = await client.post(REFRESH, json={"refresh_token": laptop["refresh_token"]})
    assert refused.status_code == 401
    assert target["id"] not in {s["id"] for s in await _listed(client, user.headers)}
    # Already ended, or someone else's: 404, and nothing changes.
    r = await client.delete(f"{SESSIONS}/{target['id']}", headers=user.headers)
    assert r.status_code == 404
    other_user = await make_user(client)
    mine = (await _listed(client, user.headers))[0]["id"]
    r = await client.delete(f"{SESSIONS}/{mine}", headers=other_user.headers)
    assert r.status_code == 404
    expect(await client.get("/api/v1/users/me", headers=user.headers), 200)


async def test_ending_the_current_session_signs_out(client: httpx.AsyncClient) -> None:
    user = await make_user(client)
    current = (await _listed(client, user.headers))[0]
    assert current["current"] is True
    expect(await client.delete(f"{SESSIONS}/{current['id']}", headers=user.headers), 204)
    assert (await client.get(SESSIONS, headers=user.headers)).status_code == 401


async def test_end_others_keeps_only_the_current_session(client: httpx.AsyncClient) -> None:
    user = await make_user(client)
    others = [await _sign_in(client, user, f"Device/{i}") for i in range(3)]
    bystander = await make_user(client)
    ended = expect(await client.post(f"{SESSIONS}/end-others", headers=user.headers), 200)
    assert ended == {"ended": 3}
    listed = await _listed(client, user.headers)
    assert [s["current"] for s in listed] == [True]
    for device in others:
        r = await client.get("/api/v1/users/me", headers=device["headers"])
        assert r.status_code == 401
    expect(await client.get("/api/v1/users/me", headers=bystander.headers), 200)
    again = expect(await client.post(f"{SESSIONS}/end-others", headers=user.headers), 200)
    assert again == {"ended": 0}


async def test_a_browser_session_says_so(client: httpx.AsyncClient) -> None:
    user = await make_user(client)
    body = expect(
        await client.post("/api/v1/auth/session", json={"email": user.email, "password": PASSWORD}),
        200,
    )
    csrf = {"X-CSRF-Token": body["csrf_token"]}
    listed = expect(await client.get(SESSIONS), 200)["items"]  # with the cookies
    assert listed[0]["current"] is True
    assert listed[0]["kind"] == "browser"
    ended = expect(await client.post(f"{SESSIONS}/end-others", headers=csrf), 200)
    assert ended == {"ended": 1}  # make_user's API sign-in
    assert (await client.get("/api/v1/users/me", headers=user.headers)).status_code == 401
