"""The sign-in sessions a process checked a moment ago (tasklane.auth.signedin): a caller's
next requests skip the check's statement; a session ended in the process stops working there
at once, and in another process once its entry is older than `signed_in_cache_seconds`."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import httpx

from tasklane.auth.signedin import SignedIn, SignedInCache
from tasklane.kit.clock import utcnow
from tests.conftest import another_process
from tests.factories import PASSWORD, Board, expect, make_task, make_user

LOGIN = "/api/v1/auth/login"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/users/me"


def _statements(response: httpx.Response) -> int:
    assert response.status_code == 200, response.text
    return int(response.headers["server-timing"].split('desc="')[1].split(" ")[0])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _sign_in(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    body = expect(await client.post(LOGIN, json={"email": email, "password": PASSWORD}), 200)
    return _bearer(body["access_token"])


async def test_a_callers_next_request_skips_the_session_check(
    client: httpx.AsyncClient, board: Board
) -> None:
    task = await make_task(client, board.owner, board.project["id"], "Cached")
    headers = await _sign_in(client, board.owner.email)  # a new session, not checked yet
    first = await client.get(f"/api/v1/tasks/{task['key']}", headers=headers)
    again = await client.get(f"/api/v1/tasks/{task['key']}", headers=headers)
    assert _statements(first) == 2  # the session check, then access with the task
    assert _statements(again) == 1
    assert again.content == first.content


async def test_with_the_cache_off_every_request_checks_the_session(
    database_url: str, tmp_path: Path
) -> None:
    async with another_process(database_url, tmp_path / "off", signed_in_cache_seconds=0) as client:
        user = await make_user(client)
        counts = {_statements(await client.get(ME, headers=user.headers)) for _ in "ab"}
        assert len(counts) == 1  # the second request checked the session again
    async with another_process(database_url, tmp_path / "on", signed_in_cache_seconds=5) as client:
        first, again = [await client.get(ME, headers=user.headers) for _ in "ab"]
        assert _statements(again) == _statements(first) - 1


async def test_a_sign_out_ends_the_session_in_its_process_at_once(
    client: httpx.AsyncClient,
) -> None:
    user = await make_user(client)
    expect(await client.get(ME, headers=user.headers), 200)  # now cached
    assert (await client.post(LOGOUT, headers=user.headers)).status_code == 204
    r = await client.get(ME, headers=user.headers)
    assert r.status_code == 401
    assert r.json()["code"] == "session_revoked"


async def test_another_process_trusts_an_ended_session_at_most_its_cache_time(
    database_url: str, tmp_path: Path
) -> None:
    async with (
        another_process(database_url, tmp_path / "a", signed_in_cache_seconds=5) as here,
        another_process(database_url, tmp_path / "b", signed_in_cache_seconds=60) as patient,
        another_process(database_url, tmp_path / "c", signed_in_cache_seconds=0.3) as prompt,
    ):
        user = await make_user(here)
        for other in (patient, prompt):
            expect(await other.get(ME, headers=user.headers), 200)
        assert (await here.post(LOGOUT, headers=user.headers)).status_code == 204
        assert (await here.get(ME, headers=user.headers)).status_code == 401
        # The stated delay: the other processes' entries are younger than their cache time.
        expect(await patient.get(ME, headers=user.headers), 200)
        await asyncio.sleep(0.35)
        r = await prompt.get(ME, headers=user.headers)
        assert r.status_code == 401
        assert r.json()["code"] == "session_revoked"
        # A new sign-in works everywhere at once: it was never cached as ended.
        fresh = await _sign_in(here, user.email)
        for other in (patient, prompt):
            expect(await other.get(ME, headers=fresh), 200)


async def test_a_password_change_ends_the_other_cached_sessions_at_once(
    client: httpx.AsyncClient,
) -> None:
    user = await make_user(client)
    other = await _sign_in(client, user.email)
    expect(await client.get(ME, headers=other), 200)  # now cached
    r = await client.post(
        "/api/v1/users/me/password",
        json={"current_password": PASSWORD, "new_password": "a different passphrase 42"},
        headers=user.headers,
    )
    assert r.status_code == 204, r.text
    assert (await client.get(ME, headers=other)).status_code == 401
    expect(await client.get(ME, headers=user.headers), 200)


async def test_a_renamed_user_writes_under_the_new_name_at_once(
    client: httpx.AsyncClient, board: Board
) -> None:
    task = await make_task(client, board.owner, board.project["id"], "Renamed author")
    ref = task["key"]
    first = expect(
        await client.post(
            f"/api/v1/tasks/{ref}/comments", json={"body": "before"}, headers=board.owner.headers
        ),
        201,
    )
    assert first["author"]["name"] == "Olive Owner"
    expect(await client.patch(ME, json={"name": "Olive Renamed"}, headers=board.owner.headers), 200)
    after = expect(
        await client.post(
            f"/api/v1/tasks/{ref}/comments", json={"body": "after"}, headers=board.owner.headers
        ),
        201,
    )
    assert after["author"]["name"] == "Olive Renamed"


def _entry(user_id: object) -> SignedIn:
    return SignedIn(user_id, "a@example.com", "A", utcnow() + timedelta(days=1), 0.0)  # type: ignore[arg-type]


def test_a_check_that_began_before_a_session_ended_does_not_store_it() -> None:
    cache = SignedInCache(60)
    session, user = uuid4(), uuid4()
    began = cache.generation()  # a request reads the session row ...
    cache.forget_session(session)  # ... the session ends and commits meanwhile ...
    cache.put(session, _entry(user), began)  # ... and what the request read is not kept
    assert cache.get(session, user, utcnow()) is None


def test_an_entry_is_for_its_own_user_and_until_the_session_expires() -> None:
    import time

    cache = SignedInCache(60)
    session, user = uuid4(), uuid4()
    entry = SignedIn(user, "a@example.com", "A", utcnow() + timedelta(seconds=30), time.monotonic())
    cache.put(session, entry, cache.generation())
    assert cache.get(session, user, utcnow()) is entry
    assert cache.get(session, uuid4(), utcnow()) is None
    assert cache.get(session, user, utcnow() + timedelta(seconds=31)) is None
