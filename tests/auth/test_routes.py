"""Accounts and sign-in through HTTP: register, login, refresh, logout, browser sessions."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx

from tasklane.kit.clock import frozen, utcnow
from tests.factories import PASSWORD, expect, make_user

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
SESSION = "/api/v1/auth/session"
SESSION_REFRESH = "/api/v1/auth/session/refresh"
ME = "/api/v1/users/me"


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


async def me_status(client: httpx.AsyncClient, access_token: str) -> int:
    return (await client.get(ME, headers=bearer(access_token))).status_code


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    body: dict[str, Any] = expect(
        await client.post(LOGIN, json={"email": email, "password": password}), 200
    )
    return body


def fields(response: httpx.Response) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


def problem_without_request_id(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    body.pop("request_id", None)
    return body


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """Set-Cookie headers by cookie name."""
    return {c.split("=", 1)[0]: c for c in response.headers.get_list("set-cookie")}


class TestRegister:
    async def test_creates_user_and_hides_the_hash(self, client: httpx.AsyncClient) -> None:
        body = expect(
            await client.post(
                REGISTER, json={"email": "ada@example.com", "password": PASSWORD, "name": "Ada"}
            ),
            201,
        )
        assert set(body) == {
            "id",
            "email",
            "name",
            "handle",
            "avatar_color",
            "time_zone",
            "theme",
            "created_at",
        }
        assert body["name"] == "Ada"
        assert body["theme"] == "system"
        assert "hash" not in str(body)
        assert PASSWORD not in str(body)

    async def test_email_is_normalised_to_lower_case(self, client: httpx.AsyncClient) -> None:
        body = expect(
            await client.post(
                REGISTER, json={"email": "Ada@Example.COM", "password": PASSWORD, "name": "Ada"}
            ),
            201,
        )
        assert body["email"] == "ada@example.com"

    async def test_sign_in_name_is_case_insensitive(self, client: httpx.AsyncClient) -> None:
        await client.post(
            REGISTER, json={"email": "Ada@Example.com", "password": PASSWORD, "name": "Ada"}
        )
        tokens = await login(client, "ADA@EXAMPLE.COM")
        assert await me_status(client, tokens["access_token"]) == 200

    async def test_name_is_stripped(self, client: httpx.AsyncClient) -> None:
        body = expect(
            await client.post(
                REGISTER, json={"email": "a@example.com", "password": PASSWORD, "name": "  Ada "}
            ),
            201,
        )
        assert body["name"] == "Ada"

    async def test_duplicate_email_is_409(self, client: httpx.AsyncClient) -> None:
        await make_user(client, email="bob@example.com")
        r = await client.post(
            REGISTER, json={"email": "bob@example.com", "password": PASSWORD, "name": "Bob"}
        )
        assert r.status_code == 409
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "email_taken"

    async def test_duplicate_email_in_other_case_is_409(self, client: httpx.AsyncClient) -> None:
        await make_user(client, email="bob@example.com")
        r = await client.post(
            REGISTER, json={"email": "BOB@Example.com", "password": PASSWORD, "name": "Bob"}
        )
        assert r.status_code == 409
        assert r.json()["code"] == "email_taken"

    async def test_concurrent_duplicates_create_one_account(
        self, client: httpx.AsyncClient
    ) -> None:
        results = await asyncio.gather(
            *[
                client.post(
                    REGISTER,
                    json={"email": f"{e}@example.com", "password": PASSWORD, "name": "Twin"},
                )
                for e in ("twin", "TWIN", "Twin")
            ]
        )
        assert sorted(r.status_code for r in results) == [201, 409, 409]
        assert all(r.json()["code"] == "email_taken" for r in results if r.status_code == 409)

    async def test_short_password_names_the_field(self, client: httpx.AsyncClient) -> None:
        r = await client.post(
            REGISTER, json={"email": "c@example.com", "password": "x", "name": "C"}
        )
        assert r.status_code == 422
        assert r.json()["code"] == "validation_failed"
        assert fields(r) == ["password"]

    async def test_invalid_email_names_the_field(self, client: httpx.AsyncClient) -> None:
        r = await client.post(
            REGISTER, json={"email": "not-an-address", "password": PASSWORD, "name": "C"}
        )
        assert r.status_code == 422
        assert fields(r) == ["email"]

    async def test_blank_name_names_the_field(self, client: httpx.AsyncClient) -> None:
        r = await client.post(
            REGISTER, json={"email": "c@example.com", "password": PASSWORD, "name": "   "}
        )
        assert r.status_code == 422
        assert fields(r) == ["name"]

    async def test_missing_fields_are_each_named(self, client: httpx.AsyncClient) -> None:
        r = await client.post(REGISTER, json={})
        assert r.status_code == 422
        assert sorted(fields(r)) == ["email", "name", "password"]
        assert {e["code"] for e in r.json()["errors"]} == {"missing"}

    async def test_extra_fields_are_rejected(self, client: httpx.AsyncClient) -> None:
        r = await client.post(
            REGISTER,
            json={"email": "c@example.com", "password": PASSWORD, "name": "C", "is_admin": True},
        )
        assert r.status_code == 422
        assert fields(r) == ["is_admin"]
        assert r.json()["errors"][0]["code"] == "extra_forbidden"


class TestLogin:
    async def test_returns_a_token_pair(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        body = await login(client, user.email)
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == 15 * 60
        assert body["access_token"] != body["refresh_token"]
        assert await me_status(client, body["access_token"]) == 200

    async def test_each_login_is_its_own_session(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        first, second = await login(client, user.email), await login(client, user.email)
        assert first["refresh_token"] != second["refresh_token"]
        assert await me_status(client, first["access_token"]) == 200
        assert await me_status(client, second["access_token"]) == 200

    async def test_wrong_password_is_401(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        r = await client.post(LOGIN, json={"email": user.email, "password": "wrong password"})
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "invalid_credentials"

    async def test_unknown_email_gets_the_same_answer(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        wrong = await client.post(LOGIN, json={"email": user.email, "password": "wrong password"})
        unknown = await client.post(
            LOGIN, json={"email": "nobody@example.com", "password": "wrong password"}
        )
        assert unknown.status_code == wrong.status_code == 401
        assert problem_without_request_id(unknown) == problem_without_request_id(wrong)
        assert unknown.headers.get("www-authenticate") == wrong.headers.get("www-authenticate")

    async def test_extra_fields_are_rejected(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        r = await client.post(
            LOGIN, json={"email": user.email, "password": PASSWORD, "remember": True}
        )
        assert r.status_code == 422
        assert fields(r) == ["remember"]

    async def test_empty_password_is_422(self, client: httpx.AsyncClient) -> None:
        r = await client.post(LOGIN, json={"email": "a@example.com", "password": ""})
        assert r.status_code == 422
        assert fields(r) == ["password"]


class TestRefresh:
    async def test_rotates_the_pair(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        pair = expect(await client.post(REFRESH, json={"refresh_token": user.refresh_token}), 200)
        assert pair["refresh_token"] != user.refresh_token
        assert pair["access_token"] != user.access_token
        assert await me_status(client, pair["access_token"]) == 200

    async def test_old_access_token_keeps_working_until_it_expires(
        self, client: httpx.AsyncClient
    ) -> None:
        user = await make_user(client)
        expect(await client.post(REFRESH, json={"refresh_token": user.refresh_token}), 200)
        assert await me_status(client, user.access_token) == 200

    async def test_the_new_refresh_token_rotates_again(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        first = expect(await client.post(REFRESH, json={"refresh_token": user.refresh_token}), 200)
        second = expect(
            await client.post(REFRESH, json={"refresh_token": first["refresh_token"]}), 200
        )
        assert await me_status(client, second["access_token"]) == 200

    async def test_a_used_token_is_refused(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        expect(await client.post(REFRESH, json={"refresh_token": user.refresh_token}), 200)
        r = await client.post(REFRESH, json={"refresh_token": user.refresh_token})
        assert r.status_code == 401
        assert r.json()["code"] == "refresh_token_reused"

    async def test_reuse_revokes_the_newest_refresh_token(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        newest = expect(await client.post(REFRESH, json={"refresh_token": user.refresh_token}), 200)
        await client.post(REFRESH, json={"refresh_token": user.refresh_token})
        r = await client.post(REFRESH, json={"refresh_token": newest["refresh_token"]})
        assert r.status_code == 401
        assert r.json()["code"] == "invalid_refresh_token"

    async def test_reuse_revokes_the_sessions_access_tokens(
        self, client: httpx.AsyncClient
    ) -> None:
        user = await make_user(client)
        newest = expect(await client.post(REFRESH, json={"refresh_token": user.refresh_token}), 200)
        await client.post(REFRESH, json={"refresh_token": user.refresh_token})
        for access in (user.access_token, newest["access_token"]):
            r = await client.get(ME, headers=bearer(access))
            assert r.status_code == 401
            assert r.json()["code"] == "session_revoked"

    async def test_reuse_leaves_other_sessions_alone(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        other = await login(client, user.email)
        await client.post(REFRESH, json={"refresh_token": user.refresh_token})
        await client.post(REFRESH, json={"refresh_token": user.refresh_token})
        assert await me_status(client, other["access_token"]) == 200
        expect(await client.post(REFRESH, json={"refresh_token": other["refresh_token"]}), 200)

    async def test_concurrent_use_never_yields_two_valid_pairs(
        self, client: httpx.AsyncClient
    ) -> None:
        user = await make_user(client)
        results = await asyncio.gather(
            *[client.post(REFRESH, json={"refresh_token": user.refresh_token}) for _ in range(5)]
        )
        assert all(r.status_code in {200, 401} for r in results), [r.text for r in results]
        pairs = [r.json() for r in results if r.status_code == 200]
        assert len(pairs) <= 1
        working = [p for p in pairs if await me_status(client, p["access_token"]) == 200]
        assert len(working) <= 1

    async def test_unknown_token_is_401(self, client: httpx.AsyncClient) -> None:
        r = await client.post(REFRESH, json={"refresh_token": "not-a-refresh-token"})
        assert r.status_code == 401
        assert r.json()["code"] == "invalid_refresh_token"

    async def test_access_token_is_not_a_refresh_token(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        r = await client.post(REFRESH, json={"refresh_token": user.access_token})
        assert r.status_code in {401, 422}

    async def test_expired_session_is_401(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        with frozen(utcnow() - timedelta(days=31)):
            old = await login(client, user.email)
        r = await client.post(REFRESH, json={"refresh_token": old["refresh_token"]})
        assert r.status_code == 401
        assert r.json()["code"] == "invalid_refresh_token"

    async def test_empty_token_is_422(self, client: httpx.AsyncClient) -> None:
        r = await client.post(REFRESH, json={"refresh_token": ""})
        assert r.status_code == 422
        assert fields(r) == ["refresh_token"]


class TestLogout:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient) -> None:
        r = await client.post(LOGOUT)
        assert r.status_code == 401
        assert r.json()["code"] == "unauthenticated"

    async def test_revokes_the_access_token(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        assert (await client.post(LOGOUT, headers=user.headers)).status_code == 204
        r = await client.get(ME, headers=user.headers)
        assert r.status_code == 401
        assert r.json()["code"] == "session_revoked"

    async def test_revokes_the_refresh_token(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        assert (await client.post(LOGOUT, headers=user.headers)).status_code == 204
        r = await client.post(REFRESH, json={"refresh_token": user.refresh_token})
        assert r.status_code == 401
        assert r.json()["code"] == "invalid_refresh_token"

    async def test_revokes_access_tokens_from_earlier_rotations(
        self, client: httpx.AsyncClient
    ) -> None:
        user = await make_user(client)
        pair = expect(await client.post(REFRESH, json={"refresh_token": user.refresh_token}), 200)
        assert (await client.post(LOGOUT, headers=bearer(pair["access_token"]))).status_code == 204
        assert await me_status(client, user.access_token) == 401

    async def test_other_sessions_keep_working(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        other = await login(client, user.email)
        assert (await client.post(LOGOUT, headers=user.headers)).status_code == 204
        assert await me_status(client, other["access_token"]) == 200
        expect(await client.post(REFRESH, json={"refresh_token": other["refresh_token"]}), 200)

    async def test_twice_is_401(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        assert (await client.post(LOGOUT, headers=user.headers)).status_code == 204
        assert (await client.post(LOGOUT, headers=user.headers)).status_code == 401


class TestCreateSession:
    async def test_wrong_password_is_401_without_cookies(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        r = await client.post(SESSION, json={"email": user.email, "password": "wrong password"})
        assert r.status_code == 401
        assert r.json()["code"] == "invalid_credentials"
        assert r.headers.get_list("set-cookie") == []

    async def test_sets_http_only_token_cookies(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        r = await client.post(SESSION, json={"email": user.email, "password": PASSWORD})
        assert r.status_code == 200
        cookies = set_cookies(r)
        access, refresh = cookies["tasklane_access"], cookies["tasklane_refresh"]
        assert "HttpOnly" in access
        assert "Path=/;" in access or access.endswith("Path=/")
        assert "samesite=lax" in access.lower()
        assert "HttpOnly" in refresh
        assert "Path=/api/v1/auth" in refresh
        assert "samesite=strict" in refresh.lower()

    async def test_sets_a_readable_csrf_cookie_and_returns_it(
        self, client: httpx.AsyncClient
    ) -> None:
        user = await make_user(client)
        r = await client.post(SESSION, json={"email": user.email, "password": PASSWORD})
        body = r.json()
        csrf = set_cookies(r)["tasklane_csrf"]
        assert "HttpOnly" not in csrf
        assert body["csrf_token"]
        assert client.cookies.get("tasklane_csrf") == body["csrf_token"]
        assert body["user"]["id"] == user.id
        assert body["expires_in"] == 15 * 60

    async def test_cookies_authenticate_reads(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        expect(await client.post(SESSION, json={"email": user.email, "password": PASSWORD}), 200)
        body = expect(await client.get(ME), 200)
        assert body["id"] == user.id


class TestRefreshSession:
    async def test_without_cookie_is_401(self, client: httpx.AsyncClient) -> None:
        r = await client.post(SESSION_REFRESH)
        assert r.status_code == 401
        assert r.json()["code"] == "invalid_refresh_token"

    async def test_rotates_the_cookies(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        expect(await client.post(SESSION, json={"email": user.email, "password": PASSWORD}), 200)
        access = client.cookies.get("tasklane_access")
        refresh = client.cookies.get("tasklane_refresh")
        r = await client.post(SESSION_REFRESH)
        assert r.status_code == 200
        assert set(set_cookies(r)) == {"tasklane_access", "tasklane_refresh", "tasklane_csrf"}
        assert client.cookies.get("tasklane_access") != access
        assert client.cookies.get("tasklane_refresh") != refresh
        assert expect(await client.get(ME), 200)["id"] == user.id

    async def test_keeps_the_csrf_token(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        first = expect(
            await client.post(SESSION, json={"email": user.email, "password": PASSWORD}), 200
        )
        refreshed = expect(await client.post(SESSION_REFRESH), 200)
        assert refreshed["csrf_token"] == first["csrf_token"]

    async def test_replayed_refresh_cookie_ends_the_session(
        self, client: httpx.AsyncClient
    ) -> None:
        user = await make_user(client)
        expect(await client.post(SESSION, json={"email": user.email, "password": PASSWORD}), 200)
        stolen = client.cookies.get("tasklane_refresh")
        assert stolen
        expect(await client.post(SESSION_REFRESH), 200)
        r = await client.post(SESSION_REFRESH, headers={"Cookie": f"tasklane_refresh={stolen}"})
        assert r.status_code == 401
        assert r.json()["code"] == "refresh_token_reused"
        assert (await client.get(ME)).status_code == 401


class TestLogoutWithCookies:
    async def test_clears_the_cookies(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        session = expect(
            await client.post(SESSION, json={"email": user.email, "password": PASSWORD}), 200
        )
        r = await client.post(LOGOUT, headers={"X-CSRF-Token": session["csrf_token"]})
        assert r.status_code == 204
        cleared = set_cookies(r)
        assert set(cleared) == {"tasklane_access", "tasklane_refresh", "tasklane_csrf"}
        assert all("Max-Age=0" in c for c in cleared.values())
        assert "Path=/api/v1/auth" in cleared["tasklane_refresh"]
        assert not client.cookies
        assert (await client.get(ME)).status_code == 401

    async def test_revokes_the_cookie_tokens(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        session = expect(
            await client.post(SESSION, json={"email": user.email, "password": PASSWORD}), 200
        )
        access = client.cookies.get("tasklane_access")
        assert access
        await client.post(LOGOUT, headers={"X-CSRF-Token": session["csrf_token"]})
        r = await client.get(ME, headers={"Cookie": f"tasklane_access={access}"})
        assert r.status_code == 401
        assert r.json()["code"] == "session_revoked"

    async def test_needs_the_csrf_header(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        expect(await client.post(SESSION, json={"email": user.email, "password": PASSWORD}), 200)
        r = await client.post(LOGOUT)
        assert r.status_code == 403
        assert r.json()["code"] == "csrf_failed"
        assert (await client.get(ME)).status_code == 200
