"""The signed-in user: /users/me and password changes."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import PASSWORD, expect, make_user

ME = "/api/v1/users/me"
PASSWORD_URL = "/api/v1/users/me/password"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
NEW_PASSWORD = "a brand new password"
CHANGE = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    body: dict[str, Any] = expect(
        await client.post(LOGIN, json={"email": email, "password": password}), 200
    )
    return body


def fields(response: httpx.Response) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


class TestGetMe:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient) -> None:
        r = await client.get(ME)
        assert r.status_code == 401
        assert r.json()["code"] == "unauthenticated"
        assert r.headers["www-authenticate"] == "Bearer"

    async def test_returns_the_caller(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client, email="Me@Example.com", name="Mia")
        body = expect(await client.get(ME, headers=user.headers), 200)
        assert body["id"] == user.id
        assert body["email"] == "me@example.com"
        assert body["name"] == "Mia"
        assert body["has_password"] is True
        assert set(body) == {
            "id",
            "email",
            "name",
            "handle",
            "avatar_color",
            "time_zone",
            "theme",
            "created_at",
            "has_password",
        }

    async def test_each_caller_sees_themselves(self, client: httpx.AsyncClient) -> None:
        a, b = await make_user(client), await make_user(client)
        assert expect(await client.get(ME, headers=a.headers), 200)["id"] == a.id
        assert expect(await client.get(ME, headers=b.headers), 200)["id"] == b.id


class TestUpdateMe:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient) -> None:
        r = await client.patch(ME, json={"name": "X"})
        assert r.status_code == 401

    async def test_changes_the_name(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        body = expect(
            await client.patch(ME, json={"name": "  Renamed "}, headers=user.headers), 200
        )
        assert body["name"] == "Renamed"
        assert expect(await client.get(ME, headers=user.headers), 200)["name"] == "Renamed"

    async def test_empty_body_changes_nothing(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client, name="Kept")
        body = expect(await client.patch(ME, json={}, headers=user.headers), 200)
        assert body["name"] == "Kept"

    async def test_null_name_changes_nothing(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client, name="Kept")
        body = expect(await client.patch(ME, json={"name": None}, headers=user.headers), 200)
        assert body["name"] == "Kept"

    async def test_blank_name_is_422(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        r = await client.patch(ME, json={"name": "  "}, headers=user.headers)
        assert r.status_code == 422
        assert fields(r) == ["name"]

    async def test_too_long_name_is_422(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        r = await client.patch(ME, json={"name": "x" * 201}, headers=user.headers)
        assert r.status_code == 422
        assert fields(r) == ["name"]

    async def test_email_cannot_be_changed_here(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        r = await client.patch(ME, json={"email": "new@example.com"}, headers=user.headers)
        assert r.status_code == 422
        assert fields(r) == ["email"]
        assert expect(await client.get(ME, headers=user.headers), 200)["email"] == user.email

    async def test_changes_only_the_caller(self, client: httpx.AsyncClient) -> None:
        user, other = await make_user(client), await make_user(client, name="Other")
        expect(await client.patch(ME, json={"name": "Renamed"}, headers=user.headers), 200)
        assert expect(await client.get(ME, headers=other.headers), 200)["name"] == "Other"


class TestChangePassword:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient) -> None:
        r = await client.post(PASSWORD_URL, json=CHANGE)
        assert r.status_code == 401

    async def test_wrong_current_password_is_422(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        r = await client.post(
            PASSWORD_URL,
            json={"current_password": "not my password", "new_password": NEW_PASSWORD},
            headers=user.headers,
        )
        assert r.status_code == 422
        assert fields(r) == ["current_password"]
        assert r.json()["errors"][0]["code"] == "wrong_password"

    async def test_wrong_current_password_changes_nothing(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        other = await login(client, user.email)
        await client.post(
            PASSWORD_URL,
            json={"current_password": "not my password", "new_password": NEW_PASSWORD},
            headers=user.headers,
        )
        await login(client, user.email)
        assert (await client.get(ME, headers=bearer(other["access_token"]))).status_code == 200

    async def test_short_new_password_is_422(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        r = await client.post(
            PASSWORD_URL,
            json={"current_password": PASSWORD, "new_password": "short"},
            headers=user.headers,
        )
        assert r.status_code == 422
        assert fields(r) == ["new_password"]

    async def test_success_is_204(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        r = await client.post(PASSWORD_URL, json=CHANGE, headers=user.headers)
        assert r.status_code == 204
        assert r.content == b""

    async def test_new_password_signs_in_and_old_does_not(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        expect(await client.post(PASSWORD_URL, json=CHANGE, headers=user.headers), 204)
        old = await client.post(LOGIN, json={"email": user.email, "password": PASSWORD})
        assert old.status_code == 401
        assert old.json()["code"] == "invalid_credentials"
        await login(client, user.email, NEW_PASSWORD)

    async def test_current_session_keeps_working(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        expect(await client.post(PASSWORD_URL, json=CHANGE, headers=user.headers), 204)
        assert (await client.get(ME, headers=user.headers)).status_code == 200
        expect(await client.post(REFRESH, json={"refresh_token": user.refresh_token}), 200)

    async def test_other_sessions_end(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        other = await login(client, user.email)
        expect(await client.post(PASSWORD_URL, json=CHANGE, headers=user.headers), 204)
        r = await client.get(ME, headers=bearer(other["access_token"]))
        assert r.status_code == 401
        assert r.json()["code"] == "session_revoked"
        refresh = await client.post(REFRESH, json={"refresh_token": other["refresh_token"]})
        assert refresh.status_code == 401

    async def test_other_users_are_not_affected(self, client: httpx.AsyncClient) -> None:
        user, other = await make_user(client), await make_user(client)
        expect(await client.post(PASSWORD_URL, json=CHANGE, headers=user.headers), 204)
        assert (await client.get(ME, headers=other.headers)).status_code == 200
        await login(client, other.email)

    async def test_cookie_session_needs_csrf(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        expect(
            await client.post(
                "/api/v1/auth/session", json={"email": user.email, "password": PASSWORD}
            ),
            200,
        )
        r = await client.post(PASSWORD_URL, json=CHANGE)
        assert r.status_code == 403
        assert r.json()["code"] == "csrf_failed"
        await login(client, user.email)
