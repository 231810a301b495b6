"""Failed sign-ins are counted per account and per address; too many answer 429."""

from __future__ import annotations

import httpx
import pytest

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
