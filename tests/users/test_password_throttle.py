"""A wrong `current_password` on a password change is throttled like a failed sign-in: it spends
the same per-account budget from that address, and parallel guesses are reserved before any
is checked."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import PASSWORD, User, expect, make_user

PASSWORD_URL = "/api/v1/users/me/password"
LOGIN = "/api/v1/auth/login"
NEW_PASSWORD = "a brand new password"
LIMIT = 3


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"login_failures_per_account": LIMIT}


def client_at(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def change(client: httpx.AsyncClient, user: User, current: str) -> httpx.Response:
    return await client.post(
        PASSWORD_URL,
        json={"current_password": current, "new_password": NEW_PASSWORD},
        headers=user.headers,
    )


async def test_wrong_guesses_then_429_even_for_the_right_password(app: FastAPI) -> None:
    async with client_at(app, "10.30.0.1") as c:
        user = await make_user(c)
        for i in range(LIMIT):
            r = await change(c, user, f"guess {i}")
            assert r.status_code == 422, r.text
            assert r.json()["errors"][0]["code"] == "wrong_password"
        r = await change(c, user, PASSWORD)
        assert r.status_code == 429, r.text
        assert r.json()["code"] == "rate_limited"
        assert 1 <= int(r.headers["retry-after"]) <= 60
        # Nothing changed: the old password still signs in (from another address).
    async with client_at(app, "10.30.0.2") as other:
        expect(await other.post(LOGIN, json={"email": user.email, "password": PASSWORD}), 200)


async def test_shares_the_sign_in_budget(app: FastAPI) -> None:
    async with client_at(app, "10.30.1.1") as c:
        user = await make_user(c)
        for i in range(LIMIT):
            assert (await change(c, user, f"guess {i}")).status_code == 422
        r = await c.post(LOGIN, json={"email": user.email, "password": PASSWORD})
        assert r.status_code == 429


async def test_parallel_guesses_are_reserved_before_checking(app: FastAPI) -> None:
    for n in range(10):
        async with client_at(app, f"10.30.2.{n + 1}") as c:
            user = await make_user(c)
            answers = await asyncio.wait_for(
                asyncio.gather(*(change(c, user, f"guess {i}") for i in range(20))), timeout=60
            )
        statuses = [r.status_code for r in answers]
        assert set(statuses) <= {422, 429}, statuses
        assert statuses.count(422) <= LIMIT, f"round {n}: {statuses.count(422)} checked"


async def test_the_right_password_still_works_below_the_limit(app: FastAPI) -> None:
    async with client_at(app, "10.30.3.1") as c:
        user = await make_user(c)
        for i in range(LIMIT - 1):
            assert (await change(c, user, f"guess {i}")).status_code == 422
        assert (await change(c, user, PASSWORD)).status_code == 204
