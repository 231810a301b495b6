"""Tokens and sign-in sessions through HTTP: rotation, reuse, logout, cookies, throttling."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from uuid import uuid4

import httpx
import jwt
import pytest

from tasklane.auth import tokens
from tasklane.config import Settings
from tasklane.kit.clock import frozen, utcnow
from tests.factories import PASSWORD, expect, make_user


async def _me(client: httpx.AsyncClient, access: str) -> int:
    r = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {access}"})
    return r.status_code


class TestAccessTokens:
    async def test_refused_when_forged_or_expired(
        self, client: httpx.AsyncClient, settings: Settings
    ) -> None:
        user = await make_user(client)
        good = jwt.decode(user.access_token, options={"verify_signature": False})
        header, payload, _sig = user.access_token.split(".")
        none_alg = jwt.encode(good, key=None, algorithm="none")
        wrong_key = jwt.encode(good, "another-secret-that-is-long-enough-123456", algorithm="HS256")
        with frozen(utcnow() - timedelta(hours=1)):
            expired = tokens.issue_access_token(
                settings, user_id=good["sub"], session_id=good["sid"]
            )
        for token in (
            none_alg,
            wrong_key,
            expired,
            f"{header}.{payload}.AAAA",
            user.refresh_token,
            "garbage",
        ):
            assert await _me(client, token) == 401, token
        assert await _me(client, user.access_token) == 200

    async def test_unknown_session_is_refused(
        self, client: httpx.AsyncClient, settings: Settings
    ) -> None:
        user = await make_user(client)
        forged = tokens.issue_access_token(settings, user_id=user.id, session_id=uuid4())
        assert await _me(client, forged) == 401


class TestRefresh:
    async def test_rotates_and_reuse_revokes_the_family(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        first = expect(
            await client.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh_token}),
            200,
        )
        assert first["refresh_token"] != user.refresh_token
        assert await _me(client, first["access_token"]) == 200
        # The old refresh token shows up again: someone copied it. The whole session ends.
        reused = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": user.refresh_token}
        )
        assert reused.status_code == 401
        assert reused.json()["code"] == "refresh_token_reused"
        newest = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
        )
        assert newest.status_code == 401
        assert await _me(client, first["access_token"]) == 401
        assert await _me(client, user.access_token) == 401

    async def test_concurrent_use_never_yields_two_pairs(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        results = await asyncio.gather(
            *[
                client.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh_token})
                for _ in range(4)
            ]
        )
        assert sum(r.status_code == 200 for r in results) <= 1

    async def test_other_sessions_survive_a_revoked_family(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        other = expect(
            await client.post(
                "/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}
            ),
            200,
        )
        await client.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh_token})
        await client.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh_token})
        assert await _me(client, other["access_token"]) == 200


class TestLogout:
    async def test_ends_this_session_only(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        other = expect(
            await client.post(
                "/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}
            ),
            200,
        )
        r = await client.post("/api/v1/auth/logout", headers=user.headers)
        assert r.status_code == 204
        assert await _me(client, user.access_token) == 401
        r = await client.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh_token})
        assert r.status_code == 401
        assert await _me(client, other["access_token"]) == 200


class TestPasswordChange:
    async def test_ends_other_sessions(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        other = expect(
            await client.post(
                "/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}
            ),
            200,
        )
        wrong = await client.post(
            "/api/v1/users/me/password",
            json={"current_password": "nope-nope", "new_password": "a brand new password"},
            headers=user.headers,
        )
        assert wrong.status_code == 422
        assert wrong.json()["errors"][0]["field"] == "current_password"
        r = await client.post(
            "/api/v1/users/me/password",
            json={"current_password": PASSWORD, "new_password": "a brand new password"},
            headers=user.headers,
        )
        assert r.status_code == 204
        assert await _me(client, user.access_token) == 200
        assert await _me(client, other["access_token"]) == 401
        old = await client.post(
            "/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}
        )
        assert old.status_code == 401
        new = await client.post(
            "/api/v1/auth/login", json={"email": user.email, "password": "a brand new password"}
        )
        assert new.status_code == 200


class TestCookieSession:
    async def test_csrf_is_required_for_cookie_writes(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        r = await client.post(
            "/api/v1/auth/session", json={"email": user.email, "password": PASSWORD}
        )
        assert r.status_code == 200
        csrf = r.json()["csrf_token"]
        set_cookie = r.headers.get_list("set-cookie")
        assert any(c.startswith("tasklane_access=") and "HttpOnly" in c for c in set_cookie)
        assert any(c.startswith("tasklane_refresh=") and "HttpOnly" in c for c in set_cookie)
        assert any(c.startswith("tasklane_csrf=") and "HttpOnly" not in c for c in set_cookie)
        assert (await client.get("/api/v1/users/me")).status_code == 200
        no_token = await client.post("/api/v1/workspaces", json={"name": "X"})
        assert no_token.status_code == 403
        assert no_token.json()["code"] == "csrf_failed"
        wrong = await client.post(
            "/api/v1/workspaces", json={"name": "X"}, headers={"X-CSRF-Token": "0" * 64}
        )
        assert wrong.status_code == 403
        ok = await client.post(
            "/api/v1/workspaces", json={"name": "X"}, headers={"X-CSRF-Token": csrf}
        )
        assert ok.status_code == 201
        listed = expect(await client.get("/api/v1/workspaces"), 200)
        assert len(listed["items"]) == 1

    async def test_refresh_and_logout_with_cookies(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        r = await client.post(
            "/api/v1/auth/session", json={"email": user.email, "password": PASSWORD}
        )
        first_access = client.cookies.get("tasklane_access")
        refreshed = await client.post("/api/v1/auth/session/refresh")
        assert refreshed.status_code == 200
        assert client.cookies.get("tasklane_access") != first_access
        csrf = refreshed.json()["csrf_token"]
        assert csrf == r.json()["csrf_token"]  # bound to the sign-in session, not the token
        out = await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
        assert out.status_code == 204
        assert (await client.get("/api/v1/users/me")).status_code == 401


class TestLoginThrottle:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"login_failures_per_account": 3}

    async def test_repeated_failures_get_429_with_retry_after(
        self, client: httpx.AsyncClient
    ) -> None:
        user = await make_user(client)
        bad = {"email": user.email, "password": "wrong password"}
        for _ in range(3):
            r = await client.post("/api/v1/auth/login", json=bad)
            assert r.status_code == 401
            assert r.json()["code"] == "invalid_credentials"
        r = await client.post(
            "/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}
        )
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) >= 1
        assert r.headers["content-type"] == "application/problem+json"
        other = await make_user(client)
        assert other.access_token

    async def test_unknown_email_looks_like_a_wrong_password(
        self, client: httpx.AsyncClient
    ) -> None:
        await make_user(client, email="known@example.com")
        unknown = await client.post(
            "/api/v1/auth/login", json={"email": "nobody@example.com", "password": "x"}
        )
        wrong = await client.post(
            "/api/v1/auth/login", json={"email": "known@example.com", "password": "x"}
        )
        assert unknown.status_code == wrong.status_code == 401
        assert unknown.json()["detail"] == wrong.json()["detail"]
