from __future__ import annotations

import httpx

from tests.factories import PASSWORD, expect, make_user


class TestRegister:
    async def test_creates_user_and_hides_the_hash(self, client: httpx.AsyncClient) -> None:
        body = expect(
            await client.post(
                "/api/v1/auth/register",
                json={"email": "Ada@Example.com", "password": PASSWORD, "name": "Ada"},
            ),
            201,
        )
        assert body["email"] == "ada@example.com"
        assert "password" not in str(body)

    async def test_duplicate_email_is_409(self, client: httpx.AsyncClient) -> None:
        await make_user(client, email="bob@example.com")
        r = await client.post(
            "/api/v1/auth/register",
            json={"email": "BOB@example.com", "password": PASSWORD, "name": "Bob"},
        )
        assert r.status_code == 409
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "email_taken"

    async def test_short_password_names_the_field(self, client: httpx.AsyncClient) -> None:
        r = await client.post(
            "/api/v1/auth/register", json={"email": "c@example.com", "password": "x", "name": "C"}
        )
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["password"]


class TestMe:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/api/v1/users/me")
        assert r.status_code == 401
        assert r.json()["code"] == "unauthenticated"

    async def test_returns_the_caller(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        body = expect(await client.get("/api/v1/users/me", headers=user.headers), 200)
        assert body["id"] == user.id
