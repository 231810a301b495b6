"""Forged credentials beyond tests/auth: every spelling of `alg: none`, other algorithms, header
tricks, empty and huge tokens, tokens in the wrong place, forged cookies. Each is a 401 problem
that changes nothing. (Expiry, tampering, wrong secrets, refresh reuse, logout, password change,
CSRF and sign-in throttling are covered in tests/auth and tests/users.)"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import httpx
import jwt
import pytest

from tasklane.config import Settings
from tests.factories import PASSWORD, User, expect, make_user

ME = "/api/v1/users/me"


@pytest.fixture
def backend() -> str:
    """Not about data: SQLite is enough."""
    return "sqlite"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def token(header: dict[str, Any], claims: dict[str, Any], key: bytes | None = None) -> str:
    """A JWT assembled by hand, signed with HMAC-SHA256 under `key`, or with an empty
    signature when `key` is None."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    if key is None:
        return f"{signing_input}."
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def claims_of(user: User) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(user.access_token, options={"verify_signature": False})
    return claims


async def assert_refused(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    sent = str(headers)[:200]
    r = await client.get(ME, headers=headers)
    assert r.status_code == 401, (sent, r.text)
    assert r.headers["content-type"] == "application/problem+json"
    # A write with the same credentials changes nothing either.
    w = await client.patch(ME, json={"name": "Forged"}, headers=headers)
    assert w.status_code == 401, (sent, w.text)


@pytest.fixture
async def user(client: httpx.AsyncClient) -> User:
    return await make_user(client, name="Real Name")


async def test_unsigned_tokens_are_refused(client: httpx.AsyncClient, user: User) -> None:
    for alg in ("none", "None", "NONE", "nOnE"):
        for signature in ("", "c2ln", "garbage"):
            forged = token({"alg": alg, "typ": "JWT"}, claims_of(user)) + signature
            await assert_refused(client, {"Authorization": f"Bearer {forged}"})


async def test_other_algorithms_are_refused(
    client: httpx.AsyncClient, user: User, settings: Settings
) -> None:
    """Whatever the header claims, only HS256 under the server's key is accepted."""
    for alg in ("RS256", "ES256", "PS256", "EdDSA", "HS384", "hs256", ""):
        forged = token({"alg": alg, "typ": "JWT"}, claims_of(user), settings.signing_key.encode())
        await assert_refused(client, {"Authorization": f"Bearer {forged}"})


async def test_header_tricks_do_not_choose_the_key(client: httpx.AsyncClient, user: User) -> None:
    """A token signed with the attacker's key stays refused whatever its header says."""
    for extra in (
        {"kid": "../../../../dev/null"},
        {"jku": "https://attacker.example/jwks.json"},
        {"x5u": "https://attacker.example/cert.pem"},
        {"jwk": {"kty": "oct", "k": b64(b"attacker-key-that-is-long-enough-000000")}},
        {"crit": ["exp"]},
    ):
        header = {"alg": "HS256", "typ": "JWT", **extra}
        forged = token(header, claims_of(user), b"attacker-key-that-is-long-enough-000000")
        await assert_refused(client, {"Authorization": f"Bearer {forged}"})


async def test_empty_key_is_refused(client: httpx.AsyncClient, user: User) -> None:
    forged = token({"alg": "HS256", "typ": "JWT"}, claims_of(user), b"")
    await assert_refused(client, {"Authorization": f"Bearer {forged}"})


async def test_malformed_credentials_are_refused(client: httpx.AsyncClient) -> None:
    for value in (
        "Bearer",
        "Bearer ",
        "Bearer a.b",
        "Bearer a.b.c.d",
        "Bearer ....",
        "Bearer " + "A" * 65_536,
        "Bearer e30.e30.",
        "Basic " + b64(f"someone@example.com:{PASSWORD}".encode()),
    ):
        await assert_refused(client, {"Authorization": value})


async def test_a_valid_token_in_the_query_string_is_ignored(
    client: httpx.AsyncClient, user: User
) -> None:
    """URLs end up in logs and Referer headers; the REST API never reads tokens from them."""
    for name in ("token", "access_token", "jwt"):
        r = await client.get(ME, params={name: user.access_token})
        assert r.status_code == 401, name


async def test_forged_cookies_are_refused(client: httpx.AsyncClient, user: User) -> None:
    session = expect(
        await client.post("/api/v1/auth/session", json={"email": user.email, "password": PASSWORD}),
        200,
    )
    csrf = {"X-CSRF-Token": session["csrf_token"]}
    genuine = client.cookies["tasklane_access"]
    assert expect(await client.get(ME), 200)["id"] == user.id
    header, payload, _ = genuine.split(".")
    for forged in (
        f"{header}.{payload}.",
        token({"alg": "none"}, claims_of(user)),
        token({"alg": "HS256"}, claims_of(user), b"attacker-key-that-is-long-enough-000000"),
    ):
        client.cookies.set("tasklane_access", forged)
        assert (await client.get(ME)).status_code == 401
        assert (await client.patch(ME, json={"name": "Forged"}, headers=csrf)).status_code == 401
    client.cookies.set("tasklane_access", genuine)
    assert expect(await client.get(ME), 200)["name"] == "Real Name"


async def test_a_refresh_token_never_authenticates_requests(
    client: httpx.AsyncClient, user: User
) -> None:
    for place in ({"Authorization": f"Bearer {user.refresh_token}"},):
        await assert_refused(client, place)
    client.cookies.set("tasklane_access", user.refresh_token)
    assert (await client.get(ME)).status_code == 401
