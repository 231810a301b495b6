"""Failed sign-ins are counted per account and per address; too many answer 429."""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from tests.conftest import IN_CI
from tests.factories import PASSWORD, expect, make_user

LOGIN = "/api/v1/auth/login"
SESSION = "/api/v1/auth/session"
LIMIT = 3


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"login_failures_per_account": LIMIT}


async def fail(client: httpx.AsyncClient, email: str, times: int = LIMIT) -> None:
    for _ in range(times):
        r = await client.post(LOGIN, json={"email": email, "password": "wrong password"})
        assert r.status_code == 401, r.text
        assert r.json()["code"] == "invalid_credentials"


class TestPerAccount:
    async def test_failures_below_the_limit_are_401(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        await fail(client, user.email, LIMIT)

    async def test_after_the_limit_is_429_with_retry_after(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        await fail(client, user.email)
        r = await client.post(LOGIN, json={"email": user.email, "password": "wrong password"})
        assert r.status_code == 429
        assert 1 <= int(r.headers["retry-after"]) <= 60

    async def test_429_is_a_problem_document(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        await fail(client, user.email)
        r = await client.post(LOGIN, json={"email": user.email, "password": "wrong password"})
        assert r.headers["content-type"] == "application/problem+json"
        body = r.json()
        assert body["status"] == 429
        assert body["code"] == "rate_limited"
        assert body["title"]

    async def test_the_right_password_is_refused_too(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        await fail(client, user.email)
        r = await client.post(LOGIN, json={"email": user.email, "password": PASSWORD})
        assert r.status_code == 429
        assert "retry-after" in r.headers

    async def test_browser_sign_in_is_refused_too(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        await fail(client, user.email)
        r = await client.post(SESSION, json={"email": user.email, "password": PASSWORD})
        assert r.status_code == 429
        assert r.headers.get_list("set-cookie") == []

    async def test_counts_every_spelling_of_the_address(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client, email="casey@example.com")
        for email in ("Casey@example.com", "CASEY@EXAMPLE.COM", "casey@Example.com"):
            await fail(client, email, times=1)
        r = await client.post(LOGIN, json={"email": "casey@example.com", "password": PASSWORD})
        assert r.status_code == 429
        assert user.access_token

    async def test_unknown_accounts_are_throttled_alike(self, client: httpx.AsyncClient) -> None:
        await fail(client, "nobody@example.com")
        r = await client.post(LOGIN, json={"email": "nobody@example.com", "password": "x"})
        assert r.status_code == 429

    async def test_other_accounts_are_not_affected(self, client: httpx.AsyncClient) -> None:
        victim, bystander = await make_user(client), await make_user(client)
        await fail(client, victim.email)
        expect(await client.post(LOGIN, json={"email": bystander.email, "password": PASSWORD}), 200)

    async def test_success_clears_the_count(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        for _ in range(3):
            await fail(client, user.email, LIMIT - 1)
            expect(await client.post(LOGIN, json={"email": user.email, "password": PASSWORD}), 200)


class TestPerAddress:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"login_failures_per_account": 100, "login_failures_per_address": 4}

    async def test_failures_across_accounts_are_429(self, client: httpx.AsyncClient) -> None:
        users = [await make_user(client) for _ in range(2)]
        for user in users:
            await fail(client, user.email, times=2)
        r = await client.post(LOGIN, json={"email": users[0].email, "password": PASSWORD})
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) >= 1

    async def test_success_does_not_clear_the_address_count(
        self, client: httpx.AsyncClient
    ) -> None:
        user, other = await make_user(client), await make_user(client)
        await fail(client, other.email, times=3)
        expect(await client.post(LOGIN, json={"email": user.email, "password": PASSWORD}), 200)
        await fail(client, other.email, times=1)
        r = await client.post(LOGIN, json={"email": user.email, "password": PASSWORD})
        assert r.status_code == 429


# --- concurrency, lock-out, and the shared store ---------------------------------------------

REDIS_URL = os.environ.get("TASKLANE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PARALLEL = 40
ROUNDS = 10


def client_at(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def redis_or_skip() -> str:
    async def ping() -> None:
        client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        try:
            await client.ping()
        finally:
            await client.aclose()

    try:
        asyncio.run(ping())
    except Exception as exc:  # any failure to reach it means: no Redis here
        message = f"Redis is not reachable at {REDIS_URL} ({type(exc).__name__}: {exc})"
        if IN_CI:
            pytest.fail(message + "; CI=true requires it.")
        pytest.skip(message)
    return REDIS_URL


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> dict[str, object]:
    """Where failures are counted: this process, or Redis shared by every process."""
    if request.param == "memory":
        return {}
    return {"redis_url": redis_or_skip(), "redis_prefix": f"test-{uuid.uuid4().hex[:12]}"}


class TestParallelGuesses:
    @pytest.fixture
    def settings_overrides(self, store: dict[str, object]) -> dict[str, object]:
        return {"login_failures_per_account": 5, **store}

    async def test_at_most_the_limit_is_verified(self, app: FastAPI) -> None:
        """40 wrong guesses at once: each is reserved before its password is checked, so at
        most 5 are checked (401) and the rest are refused unchecked (429)."""
        async with client_at(app, "10.20.0.1") as setup:
            users = [await make_user(setup) for _ in range(ROUNDS)]
        for n, user in enumerate(users):
            async with client_at(app, f"10.20.1.{n + 1}") as attacker:
                answers = await asyncio.wait_for(
                    asyncio.gather(
                        *(
                            attacker.post(
                                LOGIN, json={"email": user.email, "password": f"guess {i}"}
                            )
                            for i in range(PARALLEL)
                        )
                    ),
                    timeout=60,
                )
            statuses = [r.status_code for r in answers]
            assert set(statuses) <= {401, 429}, statuses
            assert statuses.count(401) <= 5, f"round {n}: {statuses.count(401)} guesses checked"
            assert statuses.count(429) >= PARALLEL - 5


class TestNoLockOut:
    @pytest.fixture
    def settings_overrides(self, store: dict[str, object]) -> dict[str, object]:
        return {"login_failures_per_account": 5, **store}

    async def test_the_owner_signs_in_from_another_address(self, app: FastAPI) -> None:
        async with client_at(app, "10.21.0.1") as setup:
            user = await make_user(setup)
        async with client_at(app, "10.21.0.66") as attacker:
            for i in range(8):
                r = await attacker.post(LOGIN, json={"email": user.email, "password": f"g{i}"})
                assert r.status_code in (401, 429)
            assert r.status_code == 429
            r = await attacker.post(LOGIN, json={"email": user.email, "password": PASSWORD})
            assert r.status_code == 429, "the guessing address stays refused"
        async with client_at(app, "10.21.0.2") as owner:
            expect(await owner.post(LOGIN, json={"email": user.email, "password": PASSWORD}), 200)
            expect(await owner.post(SESSION, json={"email": user.email, "password": PASSWORD}), 200)


class TestAccountWideSlowdown:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {
            "login_failures_per_account": 2,
            "login_failures_per_account_total": 4,
            "login_slowdown_seconds": 0.4,
        }

    async def test_many_addresses_slow_the_account_but_never_lock_it(self, app: FastAPI) -> None:
        async with client_at(app, "10.22.0.1") as setup:
            user = await make_user(setup)
        for n in range(3):
            async with client_at(app, f"10.22.1.{n + 1}") as attacker:
                for _ in range(2):
                    r = await attacker.post(LOGIN, json={"email": user.email, "password": "nope"})
                    assert r.status_code == 401
        async with client_at(app, "10.22.0.2") as owner:
            started = time.monotonic()
            r = await owner.post(LOGIN, json={"email": user.email, "password": PASSWORD})
            elapsed = time.monotonic() - started
        expect(r, 200)
        assert elapsed >= 0.4, "past the account-wide budget, every attempt is slowed"
