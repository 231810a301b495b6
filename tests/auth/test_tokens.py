"""Access tokens as Bearer credentials: everything but a genuine, live token is a 401."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import jwt
import pytest
from pydantic import SecretStr

from tasklane.auth import tokens
from tasklane.config import Environment, Settings
from tasklane.errors import Unauthenticated
from tasklane.kit.clock import frozen, utcnow
from tests.factories import User, make_user

ME = "/api/v1/users/me"


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def sign(settings: Settings, claims: dict[str, Any]) -> str:
    return jwt.encode(claims, settings.signing_key, algorithm="HS256")


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


async def call_me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get(ME, headers={"Authorization": f"Bearer {token}"})


async def assert_refused(
    client: httpx.AsyncClient, token: str, code: str = "invalid_token"
) -> None:
    r = await call_me(client, token)
    assert r.status_code == 401, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["code"] == code


@pytest.fixture
def plain_settings(tmp_path: Path) -> Settings:
    """Settings for the token functions alone; no database behind them."""
    return Settings(
        environment=Environment.TEST,
        data_dir=tmp_path,
        secret_key=SecretStr("unit-test-secret-key-that-is-long-enough-0123"),
    )


@pytest.fixture
async def user(client: httpx.AsyncClient) -> User:
    return await make_user(client)


class TestBearer:
    async def test_access_token_works(self, client: httpx.AsyncClient, user: User) -> None:
        r = await call_me(client, user.access_token)
        assert r.status_code == 200
        assert r.json()["id"] == user.id

    async def test_missing_header_is_401(self, client: httpx.AsyncClient) -> None:
        r = await client.get(ME)
        assert r.status_code == 401
        assert r.json()["code"] == "unauthenticated"

    async def test_other_scheme_is_401(self, client: httpx.AsyncClient, user: User) -> None:
        r = await client.get(ME, headers={"Authorization": f"Token {user.access_token}"})
        assert r.status_code == 401

    async def test_garbage_is_401(self, client: httpx.AsyncClient) -> None:
        await assert_refused(client, "garbage")

    async def test_expired_is_401(
        self, client: httpx.AsyncClient, settings: Settings, user: User
    ) -> None:
        claims = claims_of(user.access_token)
        with frozen(utcnow() - timedelta(minutes=16)):
            expired = tokens.issue_access_token(
                settings, user_id=UUID(claims["sub"]), session_id=UUID(claims["sid"])
            )
        await assert_refused(client, expired, code="token_expired")

    async def test_not_yet_valid_is_401(
        self, client: httpx.AsyncClient, settings: Settings, user: User
    ) -> None:
        claims = claims_of(user.access_token)
        with frozen(utcnow() + timedelta(hours=1)):
            early = tokens.issue_access_token(
                settings, user_id=UUID(claims["sub"]), session_id=UUID(claims["sid"])
            )
        await assert_refused(client, early)

    async def test_tampered_signature_is_401(self, client: httpx.AsyncClient, user: User) -> None:
        header, payload, signature = user.access_token.split(".")
        flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
        await assert_refused(client, f"{header}.{payload}.{flipped}")

    async def test_tampered_payload_is_401(self, client: httpx.AsyncClient, user: User) -> None:
        other = await make_user(client)
        header, _, signature = user.access_token.split(".")
        claims = {**claims_of(user.access_token), "sub": other.id}
        await assert_refused(client, f"{header}.{b64(claims)}.{signature}")

    async def test_wrong_secret_is_401(self, client: httpx.AsyncClient, user: User) -> None:
        forged = jwt.encode(
            claims_of(user.access_token),
            "another-secret-that-is-long-enough-0123456789",
            algorithm="HS256",
        )
        await assert_refused(client, forged)

    async def test_alg_none_is_401(self, client: httpx.AsyncClient, user: User) -> None:
        unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims_of(user.access_token))}."
        await assert_refused(client, unsigned)

    @pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
    async def test_other_hmac_algorithm_is_401(
        self, client: httpx.AsyncClient, settings: Settings, user: User
    ) -> None:
        hs512 = jwt.encode(claims_of(user.access_token), settings.signing_key, algorithm="HS512")
        await assert_refused(client, hs512)

    async def test_refresh_token_is_not_an_access_token(
        self, client: httpx.AsyncClient, user: User
    ) -> None:
        await assert_refused(client, user.refresh_token)

    async def test_other_token_type_is_401(
        self, client: httpx.AsyncClient, settings: Settings, user: User
    ) -> None:
        claims = {**claims_of(user.access_token), "typ": "refresh"}
        await assert_refused(client, sign(settings, claims))

    async def test_wrong_audience_is_401(
        self, client: httpx.AsyncClient, settings: Settings, user: User
    ) -> None:
        claims = {**claims_of(user.access_token), "aud": "someone-else"}
        await assert_refused(client, sign(settings, claims))

    async def test_wrong_issuer_is_401(
        self, client: httpx.AsyncClient, settings: Settings, user: User
    ) -> None:
        claims = {**claims_of(user.access_token), "iss": "someone-else"}
        await assert_refused(client, sign(settings, claims))

    @pytest.mark.parametrize("claim", ["exp", "iat", "sub", "sid", "typ"])
    async def test_missing_claim_is_401(
        self, client: httpx.AsyncClient, settings: Settings, user: User, claim: str
    ) -> None:
        claims = claims_of(user.access_token)
        del claims[claim]
        await assert_refused(client, sign(settings, claims))

    async def test_malformed_subject_is_401(
        self, client: httpx.AsyncClient, settings: Settings, user: User
    ) -> None:
        claims = {**claims_of(user.access_token), "sub": "not-a-uuid"}
        await assert_refused(client, sign(settings, claims))

    async def test_unknown_session_is_401(
        self, client: httpx.AsyncClient, settings: Settings, user: User
    ) -> None:
        forged = tokens.issue_access_token(settings, user_id=UUID(user.id), session_id=uuid4())
        await assert_refused(client, forged, code="session_revoked")

    async def test_someone_elses_session_is_401(
        self, client: httpx.AsyncClient, settings: Settings, user: User
    ) -> None:
        other = await make_user(client)
        claims = claims_of(other.access_token)
        forged = tokens.issue_access_token(
            settings, user_id=UUID(user.id), session_id=UUID(claims["sid"])
        )
        await assert_refused(client, forged, code="session_revoked")


class TestReadAccessToken:
    def test_round_trips(self, plain_settings: Settings) -> None:
        user_id, session_id = uuid4(), uuid4()
        token = tokens.issue_access_token(plain_settings, user_id=user_id, session_id=session_id)
        claims = tokens.read_access_token(plain_settings, token)
        assert (claims.user_id, claims.session_id) == (user_id, session_id)

    def test_expires_after_the_configured_minutes(self, plain_settings: Settings) -> None:
        token = tokens.issue_access_token(plain_settings, user_id=uuid4(), session_id=uuid4())
        claims = claims_of(token)
        assert claims["exp"] - claims["iat"] == plain_settings.access_token_minutes * 60

    def test_expired_says_so(self, plain_settings: Settings) -> None:
        with frozen(utcnow() - timedelta(days=1)):
            token = tokens.issue_access_token(plain_settings, user_id=uuid4(), session_id=uuid4())
        with pytest.raises(Unauthenticated) as caught:
            tokens.read_access_token(plain_settings, token)
        assert caught.value.code == "token_expired"


class TestCsrfToken:
    def test_is_stable_per_session(self, plain_settings: Settings) -> None:
        session_id = uuid4()
        first = tokens.csrf_token_for(plain_settings, session_id)
        assert tokens.csrf_token_for(plain_settings, session_id) == first

    def test_matches_only_its_session(self, plain_settings: Settings) -> None:
        mine, theirs = uuid4(), uuid4()
        token = tokens.csrf_token_for(plain_settings, mine)
        assert tokens.csrf_matches(plain_settings, mine, token)
        assert not tokens.csrf_matches(plain_settings, theirs, token)
        assert not tokens.csrf_matches(plain_settings, mine, token[:-1])


class TestRefreshTokens:
    def test_are_random_and_stored_hashed(self) -> None:
        a, b = tokens.new_refresh_token(), tokens.new_refresh_token()
        assert a != b
        assert len(a) >= 40
        assert tokens.hash_refresh_token(a) != a
        assert tokens.hash_refresh_token(a) == tokens.hash_refresh_token(a)


class TestHeaderKeyHints:
    """Tokens are only ever signed with the server's one key: a header that names a key
    (`kid`, `jku`, `x5u`, `jwk`, ...) is refused even when the signature is right."""

    @pytest.mark.parametrize(
        "hint",
        [
            {"kid": "1"},
            {"kid": ""},
            {"jku": "https://attacker.example/jwks.json"},
            {"x5u": "https://attacker.example/cert.pem"},
            {"jwk": {"kty": "oct", "k": "c2VjcmV0"}},
            {"x5c": ["MIIB"]},
            {"crit": ["exp"]},
        ],
        ids=["kid", "empty-kid", "jku", "x5u", "jwk", "x5c", "crit"],
    )
    async def test_key_hints_are_refused(
        self, client: httpx.AsyncClient, user: User, settings: Settings, hint: dict[str, Any]
    ) -> None:
        forged = jwt.encode(
            claims_of(user.access_token), settings.signing_key, algorithm="HS256", headers=hint
        )
        await assert_refused(client, forged)

    def test_read_access_token_refuses_a_kid(self, plain_settings: Settings) -> None:
        token = tokens.issue_access_token(plain_settings, user_id=uuid4(), session_id=uuid4())
        hinted = jwt.encode(
            claims_of(token), plain_settings.signing_key, algorithm="HS256", headers={"kid": "k"}
        )
        tokens.read_access_token(plain_settings, token)
        with pytest.raises(Unauthenticated):
            tokens.read_access_token(plain_settings, hinted)
