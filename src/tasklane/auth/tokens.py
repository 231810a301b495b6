"""Access tokens (short-lived JWTs), opaque refresh tokens and CSRF tokens."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import jwt

from tasklane.config import Settings
from tasklane.errors import Unauthenticated
from tasklane.kit.clock import utcnow

ALGORITHM = "HS256"
ISSUER = "tasklane"
AUDIENCE = "tasklane-api"
ALLOWED_HEADER = frozenset({"alg", "typ"})


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: UUID
    session_id: UUID


def issue_access_token(settings: Settings, *, user_id: UUID, session_id: UUID) -> str:
    now = utcnow()
    claims = {
        "sub": str(user_id),
        "sid": str(session_id),
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=settings.access_token_minutes),
        "iss": ISSUER,
        "aud": AUDIENCE,
        "typ": "access",
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(claims, settings.signing_key, algorithm=ALGORITHM)


VERIFIED_CACHE_SIZE = 4096
"""Access tokens whose signature and claims were verified, kept (per signing key) so that a
client's next requests with the same token skip the JWT work (about a tenth of a hot read's
CPU); only the expiry is checked again. The sign-in session is still checked on every request
(auth.principal), so revocation is unaffected."""
_verified: dict[tuple[str, str], tuple[AccessClaims, float]] = {}


def read_access_token(settings: Settings, token: str) -> AccessClaims:
    """Verify header, signature, algorithm, expiry, issuer and audience; anything off is a 401.

    The server signs with one key and never lets a token choose it: a header with anything but
    `alg` and `typ` (a key hint such as `kid`, `jku`, `x5u`, `jwk`, `x5c`) is refused."""
    key = (settings.signing_key, token)
    known = _verified.get(key)
    if known is not None and time.time() < known[1]:
        return known[0]
    claims, expires = _verify(settings, token)
    if len(_verified) >= VERIFIED_CACHE_SIZE:
        with contextlib.suppress(StopIteration, KeyError, RuntimeError):
            del _verified[next(iter(_verified))]  # the oldest
    _verified[key] = (claims, expires)
    return claims


def _verify(settings: Settings, token: str) -> tuple[AccessClaims, float]:
    try:
        claims = _decode(settings, token, AUDIENCE, ["exp", "iat", "sub", "sid", "typ"])
        if claims.get("typ") != "access":
            raise Unauthenticated("The token is not an access token.", code="invalid_token")
        access = AccessClaims(user_id=UUID(claims["sub"]), session_id=UUID(claims["sid"]))
        return access, float(claims["exp"])
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("The access token has expired.", code="token_expired") from exc
    except (jwt.InvalidTokenError, ValueError) as exc:
        raise Unauthenticated("The access token is not valid.", code="invalid_token") from exc


MFA_AUDIENCE = "tasklane-mfa"
MFA_TOKEN_MINUTES = 5


@dataclass(frozen=True, slots=True)
class MfaClaims:
    user_id: UUID
    kind: str  # the sign-in session it leads to: "token" or "cookie"
    sso: bool = False  # the first step was single sign-on, not a password


def issue_mfa_token(settings: Settings, *, user_id: UUID, kind: str, sso: bool = False) -> str:
    """Proof that the password was right, good only for giving the second factor next (its
    audience is not the API's, so it opens nothing else) and only for a few minutes."""
    now = utcnow()
    claims = {
        "sub": str(user_id),
        "knd": kind,
        "iat": now,
        "exp": now + timedelta(minutes=MFA_TOKEN_MINUTES),
        "iss": ISSUER,
        "aud": MFA_AUDIENCE,
        "typ": "mfa",
        "sso": sso,
    }
    return jwt.encode(claims, settings.signing_key, algorithm=ALGORITHM)


def read_mfa_token(settings: Settings, token: str) -> MfaClaims:
    try:
        claims = _decode(settings, token, MFA_AUDIENCE, ["exp", "iat", "sub", "knd", "typ"])
        if claims["typ"] != "mfa":
            raise jwt.InvalidTokenError
        return MfaClaims(
            user_id=UUID(claims["sub"]), kind=str(claims["knd"]), sso=claims.get("sso") is True
        )
    except (jwt.InvalidTokenError, ValueError) as exc:
        raise Unauthenticated(
            "The sign-in step has expired or is not valid; sign in again.",
            code="invalid_mfa_token",
        ) from exc


def _decode(settings: Settings, token: str, audience: str, required: list[str]) -> dict[str, Any]:
    """The claims of a token this server signed for `audience`; jwt.InvalidTokenError for
    anything else, a header with a key hint included."""
    if not set(jwt.get_unverified_header(token)) <= ALLOWED_HEADER:
        raise jwt.InvalidTokenError("unexpected header")
    claims: dict[str, Any] = jwt.decode(
        token,
        settings.signing_key,
        algorithms=[ALGORITHM],
        audience=audience,
        issuer=ISSUER,
        options={"require": required},
    )
    return claims


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token_for(settings: Settings, session_id: UUID) -> str:
    """Bound to the sign-in session and the server secret, so it cannot be forged."""
    return hmac.new(
        settings.signing_key.encode(), f"csrf:{session_id}".encode(), hashlib.sha256
    ).hexdigest()


def csrf_matches(settings: Settings, session_id: UUID, candidate: str) -> bool:
    return hmac.compare_digest(csrf_token_for(settings, session_id), candidate)
