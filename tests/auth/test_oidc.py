"""Single sign-on with OpenID Connect (Authorization Code with PKCE) against a real provider on
loopback (oidc-provider-mock): the first sign-in makes the account, later ones reuse it; an
existing account is linked only when the provider says its address is verified; a state works
once, in the browser that started it, before it expires; an ID token for another client, with
a bad signature, a wrong nonce or past its expiry signs nobody in; an account with two-factor
sign-in still gives its code unless the installation trusts the provider's `amr`.

The provider keeps one store per server (its users, codes and signing key): the second,
expired-token provider shares nothing with the first."""

from __future__ import annotations

import base64
import socket
import uuid
import warnings
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit
from uuid import UUID

import httpx
import pyotp
import pytest
from sqlalchemy import func, select, update

from tasklane.auth import oidc
from tasklane.auth.principal import ACCESS_COOKIE, CSRF_COOKIE, CSRF_HEADER, REFRESH_COOKIE
from tasklane.config import Settings
from tasklane.db import Database
from tasklane.kit.clock import utcnow
from tasklane.models import OidcLogin, User, UserIdentity
from tests.conftest import make_settings
from tests.factories import (
    PASSWORD,
    add_member,
    api_token_headers,
    expect,
    make_user,
    make_workspace,
)

with warnings.catch_warnings():  # it imports Authlib modules that are deprecated
    warnings.simplefilter("ignore", DeprecationWarning)
    from oidc_provider_mock import run_server_in_thread

# The provider runs on Authlib's older API, which warns on every ID token it makes.
pytestmark = pytest.mark.filterwarnings(
    r"ignore:get_jwt_config\(self, grant\) is deprecated:DeprecationWarning:authlib"
)

LOGIN = "/api/v1/auth/oidc/login"
CALLBACK = "/api/v1/auth/oidc/callback"
ME = "/api/v1/users/me"
CLIENT_ID = "tasklane"
NEW_PASSWORD = "a brand new first password"


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with run_server_in_thread() as server:
        yield f"http://127.0.0.1:{server.server_port}"


@pytest.fixture(scope="module")
def expired_provider() -> Iterator[str]:
    """A provider whose ID tokens expired five minutes before they were issued."""
    with run_server_in_thread(access_token_max_age=timedelta(seconds=-300)) as server:
        yield f"http://127.0.0.1:{server.server_port}"


@pytest.fixture(scope="module")
def silent_provider() -> Iterator[str]:
    """A loopback port that is bound but never listens: connecting is refused."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{held.getsockname()[1]}"


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, object]:
    """SSO set up for `provider`; a test changes it with `configured(...)`."""
    extra: dict[str, object] = dict(getattr(request, "param", {}))
    issuer = request.getfixturevalue(str(extra.pop("provider", "provider")))
    return {
        "oidc_issuer": issuer,
        "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": "s3cret",
        "public_url": "http://testserver",
        **extra,
    }


def configured(**extra: object) -> pytest.MarkDecorator:
    """This test's settings: `provider=<fixture name>` picks another provider."""
    label = ",".join(f"{k}={v}" for k, v in extra.items())
    return pytest.mark.parametrize("settings_overrides", [extra], indirect=True, ids=[label])


# The provider and the browser's trip through it.


def new_sub() -> str:
    return f"sso-{uuid.uuid4().hex[:12]}"


async def at_provider(provider: str, sub: str, **claims: object) -> None:
    async with httpx.AsyncClient(timeout=10) as p:
        r = await p.put(f"{provider}/users/{sub}", json=claims)
    assert r.status_code == 204, r.text


async def start(client: httpx.AsyncClient, next_path: str | None = None) -> str:
    """`GET /auth/oidc/login`: the provider's authorize URL Tasklane sent the browser to."""
    params = {} if next_path is None else {"next": next_path}
    r = await client.get(LOGIN, params=params)
    assert r.status_code == 303, r.text
    assert r.cookies.get(oidc.STATE_COOKIE) == query_of(r.headers["location"])["state"]
    return r.headers["location"]


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=urlencode({**query_of(url), **changes})))


async def authorize(authorize_url: str, form: dict[str, str]) -> str:
    """The person signs in at the provider; the path and query it sends the browser back to."""
    async with httpx.AsyncClient(timeout=10) as p:
        r = await p.post(authorize_url, data=form)
    assert r.status_code == 302, r.text
    back = urlsplit(r.headers["location"])
    assert (back.scheme, back.netloc, back.path) == ("http", "testserver", CALLBACK)
    return f"{back.path}?{back.query}"


async def sso(client: httpx.AsyncClient, sub: str, next_path: str | None = None) -> httpx.Response:
    """A whole sign-in: start, the provider's form, the callback."""
    back = await authorize(await start(client, next_path), {"sub": sub})
    return await client.get(back)


def signed_in_to(response: httpx.Response, location: str) -> None:
    assert response.status_code == 303, response.text
    assert response.headers["location"] == location
    assert {ACCESS_COOKIE, REFRESH_COOKIE, CSRF_COOKIE} <= set(response.cookies)


async def refused(client: httpx.AsyncClient, response: httpx.Response, code: str) -> None:
    """Back to the sign-in page with `code`, and nobody signed in."""
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/signin?sso_error={code}"
    assert ACCESS_COOKIE not in response.cookies
    assert ACCESS_COOKIE not in client.cookies
    assert (await client.get(ME)).status_code == 401


def csrf(client: httpx.AsyncClient) -> dict[str, str]:
    return {CSRF_HEADER: client.cookies[CSRF_COOKIE]}


async def identities(database: Database, **where: Any) -> list[UserIdentity]:
    async with database.transaction(write=False) as session:
        query = select(UserIdentity).filter_by(**where)
        return list((await session.scalars(query)).all())


async def account_log(
    client: httpx.AsyncClient, workspace_id: str, headers: dict[str, str] | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """The account's sign-in rows as the owner of `workspace_id` reads them, oldest first."""
    body = expect(
        await client.get(
            f"/api/v1/workspaces/{workspace_id}/audit-log",
            params={"action": "auth."},
            headers=headers or {},
        ),
        200,
    )
    return [(row["action"], row["details"]) for row in reversed(body["items"])]


async def turn_on_totp(client: httpx.AsyncClient, headers: dict[str, str]) -> pyotp.TOTP:
    setup = expect(await client.post("/api/v1/users/me/mfa/totp", headers=headers), 201)
    totp = pyotp.TOTP(setup["secret"])
    expect(
        await client.post(
            "/api/v1/users/me/mfa/totp/confirm", json={"code": totp.now()}, headers=headers
        ),
        200,
    )
    return totp


def mfa_token_of(response: httpx.Response, sign_in_page: str = "/signin") -> str:
    assert response.status_code == 303, response.text
    page, _, fragment = response.headers["location"].partition("#")
    assert page == sign_in_page
    assert ACCESS_COOKIE not in response.cookies
    return parse_qs(fragment)["mfa_token"][0]


# Tokens fetched straight from the provider, for validate_id_token.


async def provider_metadata(provider: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=10) as p:
        document: dict[str, Any] = (
            await p.get(f"{provider}/.well-known/openid-configuration")
        ).json()
    return document


async def id_token_from(provider: str, *, client_id: str, sub: str, nonce: str | None) -> str:
    """An ID token the provider really issues to `client_id`, by the code flow done by hand
    (no `nonce`: the token carries none)."""
    redirect_uri = "http://other-app.example/callback"
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid email",
        "state": "some-state",
    }
    query = urlencode(params if nonce is None else {**params, "nonce": nonce})
    async with httpx.AsyncClient(timeout=10) as p:
        r = await p.post(f"{provider}/oauth2/authorize?{query}", data={"sub": sub})
        assert r.status_code == 302, r.text
        code = query_of(r.headers["location"])["code"]
        r = await p.post(
            f"{provider}/oauth2/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
            auth=(client_id, "any-secret"),
        )
    assert r.status_code == 200, r.text
    token: str = r.json()["id_token"]
    return token


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture
def plain_settings(provider: str, tmp_path: Path) -> Settings:
    """Settings for calling validate_id_token directly (no database is opened)."""
    return make_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}",
        tmp_path / "data",
        oidc_issuer=provider,
        oidc_client_id=CLIENT_ID,
        public_url="http://testserver",
    )


# 1. A first sign-in makes the account; later ones reuse it.


class TestNewAccount:
    async def test_first_sign_in_makes_an_account_that_sets_a_first_password(
        self, client: httpx.AsyncClient, provider: str, database: Database
    ) -> None:
        sub = new_sub()
        email = f"{sub}@example.com"
        await at_provider(provider, sub, email=email, email_verified=True, name="Alice Able")
        signed_in_to(await sso(client, sub, "/w/x"), "/w/x")
        me = expect(await client.get(ME), 200)
        assert (me["email"], me["name"], me["has_password"]) == (email, "Alice Able", False)
        assert me["handle"] == "alice-able"  # made from the name, as at sign-up
        [identity] = await identities(database, subject=sub)
        assert (identity.user_id, identity.issuer, identity.email) == (
            UUID(me["id"]),
            provider,
            email,
        )

        # No password yet: no password signs in.
        for password in (PASSWORD, "anything at all"):
            r = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
            assert r.status_code == 401, r.text
            assert r.json()["code"] == "invalid_credentials"

        # The first password needs no current one...
        expect(
            await client.post(
                f"{ME}/password", json={"new_password": NEW_PASSWORD}, headers=csrf(client)
            ),
            204,
        )
        assert expect(await client.get(ME), 200)["has_password"] is True
        tokens = expect(
            await client.post(
                "/api/v1/auth/login", json={"email": email, "password": NEW_PASSWORD}
            ),
            200,
        )
        assert "access_token" in tokens
        # ...and from then on the current one is asked for.
        r = await client.post(
            f"{ME}/password",
            json={"new_password": "yet another new password"},
            headers=csrf(client),
        )
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["code"] == "wrong_password"

        # A second SSO sign-in is the same account, through the same identity.
        client.cookies.clear()
        signed_in_to(await sso(client, sub), "/")
        assert expect(await client.get(ME), 200)["id"] == me["id"]
        assert len(await identities(database, subject=sub)) == 1

        workspace = expect(
            await client.post("/api/v1/workspaces", json={"name": "Mine"}, headers=csrf(client)),
            201,
        )
        log = await account_log(client, workspace["id"])
        assert [action for action, _ in log] == [
            "auth.sso_account_created",
            "auth.login",
            "auth.login_failed",  # the two passwords tried before there was one
            "auth.login_failed",
            "auth.password_changed",
            "auth.login",
            "auth.login",
        ]
        assert log[0][1] == {"issuer": provider, "subject": sub, "email": email}
        assert log[1][1]["sso"] is True
        assert log[1][1]["via"] == "cookie"
        assert "sso" not in log[5][1]  # the password sign-in
        assert log[6][1]["sso"] is True

    async def test_the_name_falls_back_to_the_address(
        self, client: httpx.AsyncClient, provider: str
    ) -> None:
        sub = new_sub()
        await at_provider(provider, sub, email=f"{sub}@example.com", email_verified=True)
        signed_in_to(await sso(client, sub), "/")
        assert expect(await client.get(ME), 200)["name"] == sub


# 2. Where the browser lands.


class TestNext:
    async def test_a_path_is_kept_and_anything_else_lands_on_the_home_page(
        self, client: httpx.AsyncClient, provider: str
    ) -> None:
        sub = new_sub()
        await at_provider(provider, sub, email=f"{sub}@example.com", email_verified=True)
        cases = {
            "/w/x": "/w/x",
            "/w/x/tasks?status=open": "/w/x/tasks?status=open",
            "https://evil.example/": "/",
            "//evil.example": "/",
            "/\\evil.example": "/",
            "javascript:alert(1)": "/",
            "/\tevil": "/",
        }
        for asked, landed in cases.items():
            client.cookies.clear()
            signed_in_to(await sso(client, sub, asked), landed)


# 3. An existing account.


class TestExistingAccount:
    # The spec's JSON boolean, and the string some providers (Amazon Cognito) send.
    @pytest.mark.parametrize("verified", [True, "true"], ids=["boolean", "string"])
    async def test_a_verified_address_links_the_account(
        self,
        client: httpx.AsyncClient,
        provider: str,
        database: Database,
        verified: object,
    ) -> None:
        user = await make_user(client)
        workspace = await make_workspace(client, user)
        sub = new_sub()
        await at_provider(
            provider, sub, email=user.email.upper(), email_verified=verified, name="X"
        )
        signed_in_to(await sso(client, sub), "/")
        me = expect(await client.get(ME), 200)
        assert (me["id"], me["name"], me["has_password"]) == (user.id, user.name, True)
        [identity] = await identities(database, user_id=UUID(user.id))
        assert identity.subject == sub
        log = await account_log(client, workspace["id"], user.headers)
        assert [action for action, _ in log][-2:] == ["auth.sso_linked", "auth.login"]
        assert log[-2][1] == {"issuer": provider, "subject": sub, "email": user.email}
        assert log[-1][1]["sso"] is True
        # The password still works.
        expect(
            await client.post(
                "/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}
            ),
            200,
        )

    @pytest.mark.parametrize("verified", [{"email_verified": False}, {}], ids=["false", "absent"])
    async def test_an_unverified_address_does_not_take_it_over(
        self,
        client: httpx.AsyncClient,
        provider: str,
        database: Database,
        verified: dict[str, object],
    ) -> None:
        user = await make_user(client)
        sub = new_sub()
        await at_provider(provider, sub, email=user.email, **verified)
        await refused(client, await sso(client, sub), "sso_unverified_email")
        assert await identities(database, user_id=UUID(user.id)) == []
        assert await identities(database, subject=sub) == []

    async def test_a_second_identity_at_the_provider_does_not_take_a_linked_account(
        self, client: httpx.AsyncClient, provider: str, database: Database
    ) -> None:
        """The address moved to someone else at the provider (a new `sub`): the account stays
        with the identity it is linked to."""
        user = await make_user(client)
        first, second = new_sub(), new_sub()
        await at_provider(provider, first, email=user.email, email_verified=True)
        signed_in_to(await sso(client, first), "/")
        client.cookies.clear()
        await at_provider(provider, second, email=user.email, email_verified=True)
        await refused(client, await sso(client, second), "sso_other_identity")
        assert [i.subject for i in await identities(database, user_id=UUID(user.id))] == [first]


# 4. The state: once, in the browser that started it, before it expires.


class TestState:
    async def test_a_callback_works_once(self, client: httpx.AsyncClient, provider: str) -> None:
        sub = new_sub()
        await at_provider(provider, sub, email=f"{sub}@example.com", email_verified=True)
        authorize_url = await start(client)
        back = await authorize(authorize_url, {"sub": sub})
        signed_in_to(await client.get(back), "/")
        client.cookies.clear()
        # Replayed with the state cookie as well: the state is spent.
        state = query_of(authorize_url)["state"]
        client.cookies.set(oidc.STATE_COOKIE, state, path=oidc.STATE_COOKIE_PATH)
        assert f"{oidc.STATE_COOKIE}={state}" in client.build_request("GET", back).headers["cookie"]
        await refused(client, await client.get(back), "sso_state")

    async def test_without_the_state_cookie(self, client: httpx.AsyncClient, provider: str) -> None:
        sub = new_sub()
        await at_provider(provider, sub, email=f"{sub}@example.com", email_verified=True)
        back = await authorize(await start(client), {"sub": sub})
        client.cookies.clear()
        await refused(client, await client.get(back), "sso_state")

    async def test_with_another_sign_ins_state_cookie(
        self, client: httpx.AsyncClient, provider: str
    ) -> None:
        sub = new_sub()
        await at_provider(provider, sub, email=f"{sub}@example.com", email_verified=True)
        first = await start(client)
        second = await start(client)  # this browser's cookie is now the second state
        assert query_of(first)["state"] != query_of(second)["state"]
        back = await authorize(first, {"sub": sub})
        await refused(client, await client.get(back), "sso_state")

    async def test_an_expired_sign_in(
        self, client: httpx.AsyncClient, provider: str, database: Database
    ) -> None:
        sub = new_sub()
        await at_provider(provider, sub, email=f"{sub}@example.com", email_verified=True)
        back = await authorize(await start(client), {"sub": sub})
        async with database.transaction() as session:
            await session.execute(
                update(OidcLogin).values(expires_at=utcnow() - timedelta(seconds=1))
            )
        await refused(client, await client.get(back), "sso_state")

    async def test_a_callback_without_state_or_code(self, client: httpx.AsyncClient) -> None:
        await refused(client, await client.get(CALLBACK), "sso_state")
        await refused(client, await client.get(CALLBACK, params={"code": "x"}), "sso_state")


# 5. The ID token: audience, signature, nonce.


class TestIdToken:
    async def test_a_token_for_another_client_is_refused(
        self, provider: str, plain_settings: Settings
    ) -> None:
        metadata = await provider_metadata(provider)
        sub = new_sub()
        token = await id_token_from(provider, client_id="other-app", sub=sub, nonce="n-1")
        with pytest.raises(oidc.SsoFailed) as failed:
            await oidc.validate_id_token(plain_settings, metadata, token, nonce="n-1")
        assert failed.value.code == "sso_invalid_token"
        assert "aud" in str(failed.value)
        # The same, issued to this client, holds.
        token = await id_token_from(provider, client_id=CLIENT_ID, sub=sub, nonce="n-1")
        claims = await oidc.validate_id_token(plain_settings, metadata, token, nonce="n-1")
        assert (claims["sub"], claims["aud"], claims["iss"]) == (sub, [CLIENT_ID], provider)

    async def test_a_bad_signature_is_refused(
        self, provider: str, plain_settings: Settings
    ) -> None:
        metadata = await provider_metadata(provider)
        token = await id_token_from(provider, client_id=CLIENT_ID, sub=new_sub(), nonce="n-2")
        header, payload, signature = token.split(".")
        raw = bytearray(unb64(signature))
        raw[len(raw) // 2] ^= 0x01
        forged = f"{header}.{payload}.{b64(bytes(raw))}"
        with pytest.raises(oidc.SsoFailed) as failed:
            await oidc.validate_id_token(plain_settings, metadata, forged, nonce="n-2")
        assert failed.value.code == "sso_invalid_token"

    async def test_a_token_signed_by_another_provider_is_refused(
        self, provider: str, expired_provider: str, plain_settings: Settings
    ) -> None:
        """Each mock server has its own signing key: a real token from the other one does
        not verify against this provider's key set."""
        metadata = await provider_metadata(provider)
        token = await id_token_from(
            expired_provider, client_id=CLIENT_ID, sub=new_sub(), nonce="n-3"
        )
        with pytest.raises(oidc.SsoFailed) as failed:
            await oidc.validate_id_token(plain_settings, metadata, token, nonce="n-3")
        assert failed.value.code == "sso_invalid_token"

    @pytest.mark.parametrize("nonce", ["another-one", None], ids=["wrong", "missing"])
    async def test_a_wrong_or_missing_nonce_is_refused(
        self, provider: str, plain_settings: Settings, nonce: str | None
    ) -> None:
        metadata = await provider_metadata(provider)
        token = await id_token_from(provider, client_id=CLIENT_ID, sub=new_sub(), nonce=nonce)
        with pytest.raises(oidc.SsoFailed) as failed:
            await oidc.validate_id_token(plain_settings, metadata, token, nonce="the-right-one")
        assert failed.value.code == "sso_invalid_token"
        assert "nonce" in str(failed.value)

    async def test_a_nonce_changed_on_the_way_to_the_provider_signs_nobody_in(
        self, client: httpx.AsyncClient, provider: str, database: Database
    ) -> None:
        sub = new_sub()
        await at_provider(provider, sub, email=f"{sub}@example.com", email_verified=True)
        authorize_url = with_query(await start(client), nonce="chosen-by-an-attacker")
        back = await authorize(authorize_url, {"sub": sub})
        await refused(client, await client.get(back), "sso_invalid_token")
        assert await identities(database, subject=sub) == []

    async def test_a_code_issued_to_another_client_is_refused_by_the_provider(
        self, client: httpx.AsyncClient, provider: str, database: Database
    ) -> None:
        sub = new_sub()
        await at_provider(provider, sub, email=f"{sub}@example.com", email_verified=True)
        authorize_url = with_query(await start(client), client_id="other-app")
        back = await authorize(authorize_url, {"sub": sub})
        await refused(client, await client.get(back), "sso_refused")
        assert await identities(database, subject=sub) == []


# 6. An expired ID token, end to end.


@configured(provider="expired_provider")
async def test_an_expired_id_token_signs_nobody_in(
    client: httpx.AsyncClient, expired_provider: str, database: Database
) -> None:
    sub = new_sub()
    await at_provider(expired_provider, sub, email=f"{sub}@example.com", email_verified=True)
    await refused(client, await sso(client, sub), "sso_invalid_token")
    assert await identities(database, subject=sub) == []
    async with database.transaction(write=False) as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 0


# 7. Two-factor sign-in.


class TestTwoFactor:
    async def test_the_code_is_asked_for_after_sso(
        self, client: httpx.AsyncClient, provider: str
    ) -> None:
        user = await make_user(client)
        totp = await turn_on_totp(client, user.headers)
        sub = new_sub()
        await at_provider(provider, sub, email=user.email, email_verified=True, amr=["mfa"])
        response = await sso(client, sub, "/w/x")
        token = mfa_token_of(response, "/signin?next=/w/x")
        assert ACCESS_COOKIE not in client.cookies
        assert (await client.get(ME)).status_code == 401

        r = await client.post(
            "/api/v1/auth/session/mfa", json={"mfa_token": token, "code": "000000"}
        )
        assert r.status_code == 401, r.text
        assert r.json()["code"] == "invalid_code"
        code = totp.at(utcnow() + timedelta(seconds=30))  # the next step: not used yet
        session = expect(
            await client.post("/api/v1/auth/session/mfa", json={"mfa_token": token, "code": code}),
            200,
        )
        assert session["user"]["id"] == user.id
        assert expect(await client.get(ME), 200)["id"] == user.id
        # A session signed in through SSO, with its second factor.
        sessions = expect(await client.get("/api/v1/users/me/sessions"), 200)["items"]
        assert [(s["method"], s["current"]) for s in sessions] == [
            ("sso", True),
            ("password", False),  # make_user's
        ]

    @configured(oidc_trust_mfa=True)
    async def test_a_trusted_amr_skips_the_code_and_nothing_else_does(
        self, client: httpx.AsyncClient, provider: str
    ) -> None:
        user = await make_user(client)
        workspace = await make_workspace(client, user)
        await turn_on_totp(client, user.headers)
        sub = new_sub()
        await at_provider(provider, sub, email=user.email, email_verified=True, amr=["mfa"])
        signed_in_to(await sso(client, sub, "/w/x"), "/w/x")
        assert expect(await client.get(ME), 200)["id"] == user.id
        log = await account_log(client, workspace["id"], user.headers)
        assert log[-1][0] == "auth.login"
        assert (log[-1][1]["sso"], log[-1][1]["second_factor"]) == (True, True)

        client.cookies.clear()
        for claims in ({}, {"amr": ["pwd"]}):
            await at_provider(provider, sub, email=user.email, email_verified=True, **claims)
            mfa_token_of(await sso(client, sub))
            assert (await client.get(ME)).status_code == 401


# 7b. A workspace that requires single sign-on.


async def require_sso(
    client: httpx.AsyncClient, workspace_id: str, on: bool, headers: dict[str, str]
) -> httpx.Response:
    return await client.patch(
        f"/api/v1/workspaces/{workspace_id}", json={"require_sso": on}, headers=headers
    )


async def password_sign_in(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})


class TestRequireSso:
    async def test_only_from_a_session_signed_in_through_sso(
        self, client: httpx.AsyncClient, provider: str
    ) -> None:
        owner = await make_user(client)
        workspace = await make_workspace(client, owner)
        r = await require_sso(client, workspace["id"], True, owner.headers)
        assert (r.status_code, r.json()["code"]) == (409, "sso_session_required")
        by_token = await api_token_headers(client, owner, "admin")
        r = await require_sso(client, workspace["id"], True, by_token)
        assert (r.status_code, r.json()["code"]) == (409, "sso_session_required")
        got = expect(
            await client.get(f"/api/v1/workspaces/{workspace['id']}", headers=owner.headers), 200
        )
        assert got["require_sso"] is False

    async def test_members_then_sign_in_only_through_sso(
        self, client: httpx.AsyncClient, provider: str, database: Database
    ) -> None:
        owner, member, outsider = (
            await make_user(client),
            await make_user(client),
            await make_user(client),
        )
        workspace = await make_workspace(client, owner)
        await add_member(client, owner, workspace["id"], member)
        owner_sub, member_sub = new_sub(), new_sub()
        await at_provider(provider, owner_sub, email=owner.email, email_verified=True)
        signed_in_to(await sso(client, owner_sub), "/")

        body = expect(await require_sso(client, workspace["id"], True, csrf(client)), 200)
        assert body["require_sso"] is True
        # The owner's SSO session goes on; every password session of a member has ended.
        assert expect(await client.get(ME), 200)["id"] == owner.id
        for user in (owner, member):
            assert (await client.get(ME, headers=user.headers)).status_code == 401
            r = await client.post(
                "/api/v1/auth/refresh", json={"refresh_token": user.refresh_token}
            )
            assert r.status_code == 401, r.text
        # A password sign-in is refused, after the password (it reveals nothing to a guesser).
        for user in (owner, member):
            r = await password_sign_in(client, user.email)
            assert (r.status_code, r.json()["code"]) == (403, "sso_required"), r.text
        r = await client.post(
            "/api/v1/auth/login", json={"email": member.email, "password": "not the password"}
        )
        assert r.json()["code"] == "invalid_credentials"
        # Someone outside the workspace is not concerned.
        expect(await password_sign_in(client, outsider.email), 200)
        log = expect(
            await client.get(
                f"/api/v1/workspaces/{workspace['id']}/audit-log",
                params={"action": "workspace.updated"},
            ),
            200,
        )["items"]
        assert log[0]["details"]["changes"] == {"require_sso": {"from": False, "to": True}}
        assert log[0]["details"]["sessions_ended"] == 2

        # The member comes in through SSO.
        member_browser = httpx.AsyncClient(transport=client._transport, base_url=client.base_url)
        async with member_browser:
            await at_provider(provider, member_sub, email=member.email, email_verified=True)
            signed_in_to(await sso(member_browser, member_sub), "/")
            assert expect(await member_browser.get(ME), 200)["id"] == member.id
            sessions = expect(await member_browser.get("/api/v1/users/me/sessions"), 200)
            assert [(s["method"], s["current"]) for s in sessions["items"]] == [("sso", True)]

        # Turned off, passwords work again.
        expect(await require_sso(client, workspace["id"], False, csrf(client)), 200)
        expect(await password_sign_in(client, member.email), 200)

    async def test_joining_such_a_workspace_ends_the_password_session_at_its_refresh(
        self, client: httpx.AsyncClient, provider: str
    ) -> None:
        owner, joiner = await make_user(client), await make_user(client)
        workspace = await make_workspace(client, owner)
        sub = new_sub()
        await at_provider(provider, sub, email=owner.email, email_verified=True)
        signed_in_to(await sso(client, sub), "/")
        expect(await require_sso(client, workspace["id"], True, csrf(client)), 200)
        invitation = expect(
            await client.post(
                f"/api/v1/workspaces/{workspace['id']}/members",
                json={"email": joiner.email, "role": "member"},
                headers=csrf(client),
            ),
            201,
        )
        accept = f"/api/v1/invitations/{invitation['id']}/accept"
        expect(await client.post(accept, headers=joiner.headers), 200)
        r = await client.post("/api/v1/auth/refresh", json={"refresh_token": joiner.refresh_token})
        assert (r.status_code, r.json()["code"]) == (401, "sso_required"), r.text

    @configured(oidc_issuer="")
    async def test_an_installation_without_sso_cannot_require_it(
        self, client: httpx.AsyncClient
    ) -> None:
        owner = await make_user(client)
        workspace = await make_workspace(client, owner)
        r = await require_sso(client, workspace["id"], True, owner.headers)
        assert (r.status_code, r.json()["code"]) == (409, "sso_not_configured")


# 8. Refusals.


class TestRefusals:
    async def test_the_person_cancels_at_the_provider(
        self, client: httpx.AsyncClient, provider: str
    ) -> None:
        sub = new_sub()
        await at_provider(provider, sub, email=f"{sub}@example.com", email_verified=True)
        back = await authorize(await start(client), {"sub": sub, "action": "deny"})
        assert query_of(back)["error"] == "access_denied"
        response = await client.get(back)
        await refused(client, response, "sso_cancelled")
        assert oidc.STATE_COOKIE not in client.cookies

    async def test_a_made_up_code_is_refused(
        self, client: httpx.AsyncClient, provider: str
    ) -> None:
        state = query_of(await start(client))["state"]
        response = await client.get(CALLBACK, params={"state": state, "code": "made-up"})
        await refused(client, response, "sso_refused")

    @configured(oidc_issuer="")
    async def test_not_set_up(self, client: httpx.AsyncClient) -> None:
        assert expect(await client.get("/api/v1/auth/config"), 200)["sso"] is None
        for response in (
            await client.get(LOGIN, params={"next": "/w/x"}),
            await client.get(CALLBACK, params={"state": "s", "code": "c"}),
            await client.get(CALLBACK, params={"error": "access_denied"}),
        ):
            assert response.status_code == 404, response.text
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] == "sso_not_configured"

    @configured(oidc_display_name="Acme SSO")
    async def test_the_sign_in_page_learns_the_name(self, client: httpx.AsyncClient) -> None:
        assert expect(await client.get("/api/v1/auth/config"), 200)["sso"] == {
            "display_name": "Acme SSO"
        }

    @configured(oidc_create_accounts=False)
    async def test_no_account_is_made_when_that_is_off(
        self, client: httpx.AsyncClient, provider: str, database: Database
    ) -> None:
        sub = new_sub()
        await at_provider(provider, sub, email=f"{sub}@example.com", email_verified=True)
        await refused(client, await sso(client, sub), "sso_no_account")
        async with database.transaction(write=False) as session:
            found = await session.scalar(select(User).where(User.email == f"{sub}@example.com"))
        assert found is None
        # An existing account still signs in.
        user = await make_user(client)
        await at_provider(provider, sub, email=user.email, email_verified=True)
        signed_in_to(await sso(client, sub), "/")
        assert expect(await client.get(ME), 200)["id"] == user.id

    async def test_a_deactivated_account(
        self, client: httpx.AsyncClient, provider: str, database: Database
    ) -> None:
        sub = new_sub()
        await at_provider(provider, sub, email=f"{sub}@example.com", email_verified=True)
        signed_in_to(await sso(client, sub), "/")
        user_id = UUID(expect(await client.get(ME), 200)["id"])
        client.cookies.clear()
        async with database.transaction() as session:
            await session.execute(update(User).where(User.id == user_id).values(is_active=False))
        await refused(client, await sso(client, sub), "account_inactive")

        # Linking a deactivated password account is undone along with the sign-in.
        other = await make_user(client)
        async with database.transaction() as session:
            await session.execute(
                update(User).where(User.id == UUID(other.id)).values(is_active=False)
            )
        other_sub = new_sub()
        await at_provider(provider, other_sub, email=other.email, email_verified=True)
        await refused(client, await sso(client, other_sub), "account_inactive")
        assert await identities(database, subject=other_sub) == []


# 9. A provider that does not answer.


@configured(provider="silent_provider")
async def test_a_provider_that_does_not_answer(client: httpx.AsyncClient) -> None:
    response = await client.get(LOGIN, params={"next": "/w/x"})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/signin?sso_error=provider_unreachable"
    assert oidc.STATE_COOKIE not in response.cookies
    assert (await client.get(ME)).status_code == 401
