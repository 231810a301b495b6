"""Who is calling: Bearer tokens, browser cookies, and the CSRF check on cookie writes."""

from __future__ import annotations

import httpx

from tests.factories import PASSWORD, User, expect, make_user

SESSION = "/api/v1/auth/session"
ME = "/api/v1/users/me"
WORKSPACES = "/api/v1/workspaces"


async def sign_in_browser(client: httpx.AsyncClient, user: User) -> str:
    """Sign in with cookies on `client`; returns the CSRF token."""
    body = expect(await client.post(SESSION, json={"email": user.email, "password": PASSWORD}), 200)
    return str(body["csrf_token"])


class TestCookieAuthentication:
    async def test_read_needs_no_csrf_token(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        await sign_in_browser(client, user)
        assert expect(await client.get(ME), 200)["email"] == user.email

    async def test_write_without_csrf_token_is_403(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        await sign_in_browser(client, user)
        r = await client.post(WORKSPACES, json={"name": "X"})
        assert r.status_code == 403
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "csrf_failed"

    async def test_write_with_wrong_csrf_token_is_403(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        await sign_in_browser(client, user)
        r = await client.post(WORKSPACES, json={"name": "X"}, headers={"X-CSRF-Token": "0" * 64})
        assert r.status_code == 403
        assert r.json()["code"] == "csrf_failed"

    async def test_write_with_another_sessions_csrf_token_is_403(
        self, client: httpx.AsyncClient
    ) -> None:
        user = await make_user(client)
        other_session = await sign_in_browser(client, user)
        client.cookies.clear()
        await sign_in_browser(client, user)
        r = await client.post(
            WORKSPACES, json={"name": "X"}, headers={"X-CSRF-Token": other_session}
        )
        assert r.status_code == 403
        assert r.json()["code"] == "csrf_failed"

    async def test_write_with_csrf_token_succeeds(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        csrf = await sign_in_browser(client, user)
        r = await client.post(WORKSPACES, json={"name": "X"}, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 201
        listed = expect(await client.get(WORKSPACES), 200)
        assert [w["id"] for w in listed["items"]] == [r.json()["id"]]

    async def test_refused_write_changes_nothing(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        await sign_in_browser(client, user)
        await client.post(WORKSPACES, json={"name": "X"})
        assert expect(await client.get(WORKSPACES), 200)["items"] == []

    async def test_patch_and_delete_need_csrf_too(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        csrf = await sign_in_browser(client, user)
        ws = expect(
            await client.post(WORKSPACES, json={"name": "X"}, headers={"X-CSRF-Token": csrf}), 201
        )
        patch = await client.patch(f"{WORKSPACES}/{ws['id']}", json={"name": "Y"})
        delete = await client.delete(f"{WORKSPACES}/{ws['id']}")
        assert patch.status_code == delete.status_code == 403

    async def test_csrf_cookie_alone_is_not_enough(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        csrf = await sign_in_browser(client, user)
        client.cookies.delete("tasklane_access")
        r = await client.post(WORKSPACES, json={"name": "X"}, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 401


class TestBearerBeatsCookie:
    async def test_bearer_identity_wins(self, client: httpx.AsyncClient) -> None:
        cookie_user, bearer_user = await make_user(client), await make_user(client)
        await sign_in_browser(client, cookie_user)
        body = expect(await client.get(ME, headers=bearer_user.headers), 200)
        assert body["id"] == bearer_user.id

    async def test_bearer_write_needs_no_csrf_token(self, client: httpx.AsyncClient) -> None:
        cookie_user, bearer_user = await make_user(client), await make_user(client)
        await sign_in_browser(client, cookie_user)
        body = expect(
            await client.post(WORKSPACES, json={"name": "X"}, headers=bearer_user.headers), 201
        )
        mine = expect(await client.get(WORKSPACES, headers=bearer_user.headers), 200)
        assert [w["id"] for w in mine["items"]] == [body["id"]]
        assert expect(await client.get(WORKSPACES), 200)["items"] == []

    async def test_bad_bearer_does_not_fall_back_to_the_cookie(
        self, client: httpx.AsyncClient
    ) -> None:
        user = await make_user(client)
        await sign_in_browser(client, user)
        r = await client.get(ME, headers={"Authorization": "Bearer garbage"})
        assert r.status_code == 401
        assert r.json()["code"] == "invalid_token"
