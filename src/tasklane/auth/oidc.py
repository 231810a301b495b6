"""Single sign-on with OpenID Connect: Authorization Code with PKCE, one provider per
installation (`TASKLANE_OIDC_*`).

`begin` keeps the state (hashed), the nonce and the PKCE verifier in `oidc_logins` and sends
the browser to the provider, with the state also in a cookie bound to that browser. `finish`
takes the row by one conditional DELETE (a state works once, before it expires), checks the
cookie, trades the code at the token endpoint and validates the ID token: signature against
the provider's JWKS, `iss`, `aud`, `exp`, `iat`, `nonce`. The account is the one linked to
(`iss`, `sub`); else the one with the same e-mail address, linked only when the provider
says the address is verified; else a new one (no password until its owner sets one). An
account with two-factor sign-in still gives its code after SSO unless the installation
trusts the provider's `amr` claim (`TASKLANE_OIDC_TRUST_MFA`).

Authlib makes the PKCE challenge and the random values; joserfc (Authlib's JOSE library)
verifies the ID token.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane import audit
from tasklane.auth import mfa, tokens
from tasklane.auth.service import Issued, MfaRequired, login_recorded, start_session
from tasklane.config import Settings
from tasklane.errors import NotFound
from tasklane.kit.clock import utcnow
from tasklane.models import OidcLogin, User, UserIdentity
from tasklane.runtime import Runtime
from tasklane.users import handles

LOGIN_SECONDS = 600
"""How long a sign-in may stay at the provider."""
METADATA_SECONDS = 3600
"""How long the provider's discovery document and keys are kept before they are read again
(a key the cache does not know makes it read them at once)."""
HTTP_TIMEOUT = 10.0
LEEWAY_SECONDS = 60
"""Clock difference allowed between the provider and this server, for `exp` and `iat`."""
MFA_METHODS = frozenset({"mfa", "otp", "hwk", "sms", "sc"})
"""`amr` values (RFC 8176) that say the provider asked for a second factor."""
CALLBACK_PATH = "/api/v1/auth/oidc/callback"
STATE_COOKIE = "tl_oidc"
STATE_COOKIE_PATH = "/api/v1/auth/oidc"


class SsoFailed(Exception):
    """A sign-in that did not work; `code` goes to the sign-in page, which explains it."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


@dataclass(frozen=True, slots=True)
class Begun:
    redirect_url: str
    state: str


@dataclass(frozen=True, slots=True)
class Finished:
    outcome: Issued | MfaRequired
    next_path: str


_documents: dict[str, tuple[float, dict[str, Any]]] = {}
"""Discovery documents and key sets by URL, with the time they were read (per process)."""


def safe_next(value: str | None) -> str:
    """A path on this site to land on after signing in; anything else (another site, a
    scheme, `//host`, a backslash, a control character) is `/`: no open redirect."""
    if (
        not value
        or len(value) > 2000
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value)
    ):
        return "/"
    return value


def callback_url(settings: Settings) -> str:
    return settings.public_url.rstrip("/") + CALLBACK_PATH


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


async def _fetch_json(url: str, *, fresh: bool = False) -> dict[str, Any]:
    cached = _documents.get(url)
    if cached is not None and not fresh and time.monotonic() - cached[0] < METADATA_SECONDS:
        return cached[1]
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as client:
            response = await client.get(url)
        response.raise_for_status()
        document: dict[str, Any] = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise SsoFailed("provider_unreachable", f"The provider did not answer: {exc}") from exc
    _documents[url] = (time.monotonic(), document)
    return document


async def _metadata(settings: Settings) -> dict[str, Any]:
    issuer = settings.oidc_issuer.rstrip("/")
    document = await _fetch_json(f"{issuer}/.well-known/openid-configuration")
    if document.get("issuer", "").rstrip("/") != issuer:
        raise SsoFailed("provider_misconfigured", "The provider names another issuer.")
    return document


def require_enabled(settings: Settings) -> None:
    if not settings.oidc_enabled:
        raise NotFound("Single sign-on is not set up here.", code="sso_not_configured")


async def begin(rt: Runtime, *, next_path: str) -> Begun:
    """Start a sign-in: the row that the callback will take, and the provider's URL."""
    settings = rt.settings
    require_enabled(settings)
    metadata = await _metadata(settings)
    state, nonce, verifier = generate_token(43), generate_token(43), generate_token(64)
    now = utcnow()
    async with rt.db.transaction() as session:
        await session.execute(delete(OidcLogin).where(OidcLogin.expires_at <= now))
        session.add(
            OidcLogin(
                state_hash=_hash(state),
                nonce=nonce,
                code_verifier=verifier,
                next_path=next_path,
                expires_at=now + timedelta(seconds=LOGIN_SECONDS),
            )
        )
    query = urlencode(
        {
            "response_type": "code",
            "client_id": settings.oidc_client_id,
            "redirect_uri": callback_url(settings),
            "scope": settings.oidc_scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    return Begun(redirect_url=f"{metadata['authorization_endpoint']}?{query}", state=state)


async def _take(rt: Runtime, state: str) -> OidcLogin:
    async with rt.db.transaction() as session:
        row = await session.scalar(select(OidcLogin).where(OidcLogin.state_hash == _hash(state)))
        if row is None:
            raise SsoFailed("sso_state", "This sign-in link was used already or is unknown.")
        result = await session.execute(
            delete(OidcLogin).where(OidcLogin.id == row.id, OidcLogin.expires_at > utcnow())
        )
        if getattr(result, "rowcount", 0) != 1:
            raise SsoFailed("sso_state", "This sign-in took too long; start it again.")
        session.expunge(row)
    return row


async def _trade_code(
    settings: Settings, metadata: dict[str, Any], code: str, verifier: str
) -> str:
    secret = settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else ""
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as client:
            response = await client.post(
                metadata["token_endpoint"],
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": callback_url(settings),
                    "code_verifier": verifier,
                },
                auth=(settings.oidc_client_id, secret),
            )
        answer = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise SsoFailed("provider_unreachable", f"The provider did not answer: {exc}") from exc
    if response.status_code != 200 or not isinstance(answer.get("id_token"), str):
        raise SsoFailed("sso_refused", f"The provider refused the code: {answer.get('error')}")
    id_token: str = answer["id_token"]
    return id_token


async def _key_set(metadata: dict[str, Any], *, fresh: bool) -> KeySet:
    return KeySet.import_key_set(await _fetch_json(metadata["jwks_uri"], fresh=fresh))  # type: ignore[arg-type]


async def validate_id_token(
    settings: Settings, metadata: dict[str, Any], id_token: str, *, nonce: str
) -> dict[str, Any]:
    """The ID token's claims once its signature, issuer, audience, times and nonce hold."""
    try:
        token = jwt.decode(id_token, await _key_set(metadata, fresh=False))
    except (JoseError, ValueError):
        # Maybe the provider rotated its keys: read them again, once.
        try:
            token = jwt.decode(id_token, await _key_set(metadata, fresh=True))
        except (JoseError, ValueError) as exc:
            raise SsoFailed("sso_invalid_token", f"The ID token's signature: {exc}") from exc
    registry = jwt.JWTClaimsRegistry(
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": metadata["issuer"]},
        aud={"essential": True, "value": settings.oidc_client_id},
        exp={"essential": True},
        sub={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(token.claims)
    except JoseError as exc:
        raise SsoFailed("sso_invalid_token", f"The ID token: {exc}") from exc
    audience = token.claims.get("aud")
    if (
        isinstance(audience, list)
        and len(audience) > 1
        and token.claims.get("azp") != settings.oidc_client_id
    ):
        raise SsoFailed("sso_invalid_token", "The ID token was issued to another party.")
    claims: dict[str, Any] = token.claims
    return claims


async def finish(
    rt: Runtime,
    *,
    state: str,
    code: str,
    browser_state: str | None,
    address: str,
    user_agent: str | None,
) -> Finished:
    settings = rt.settings
    require_enabled(settings)
    login = await _take(rt, state)
    if browser_state != state:
        raise SsoFailed("sso_state", "This sign-in was started in another browser.")
    metadata = await _metadata(settings)
    id_token = await _trade_code(settings, metadata, code, login.code_verifier)
    claims = await validate_id_token(settings, metadata, id_token, nonce=login.nonce)
    async with rt.db.transaction() as session:
        user = await _account(session, rt, claims, address=address)
        if not user.is_active:
            raise SsoFailed("account_inactive", "This account is deactivated.")
        trusted = settings.oidc_trust_mfa and bool(MFA_METHODS & set(claims.get("amr") or []))
        if not trusted and await mfa.factor(session, user.id) is not None:
            outcome: Issued | MfaRequired = MfaRequired(
                tokens.issue_mfa_token(settings, user_id=user.id, kind="cookie", sso=True)
            )
        else:
            issued = await start_session(
                session,
                rt,
                user,
                kind="cookie",
                user_agent=user_agent,
                address=address,
                method="sso",
            )
            await login_recorded(
                session, issued, kind="cookie", address=address, mfa=trusted, sso=True
            )
            outcome = issued
    return Finished(outcome=outcome, next_path=login.next_path)


async def _account(
    session: AsyncSession, rt: Runtime, claims: dict[str, Any], *, address: str
) -> User:
    issuer, subject = str(claims["iss"]), str(claims["sub"])
    email = str(claims.get("email") or "").strip().lower()
    linked = (
        await session.execute(
            select(UserIdentity, User)
            .join(User, User.id == UserIdentity.user_id)
            .where(UserIdentity.issuer == issuer, UserIdentity.subject == subject)
        )
    ).one_or_none()
    if linked is not None:
        identity, linked_user = linked
        identity.last_used_at = utcnow()
        if email:
            identity.email = email
        return linked_user
    if not email or "@" not in email or len(email) > 320:
        raise SsoFailed("sso_no_email", "The provider did not give an e-mail address.")
    # A JSON boolean, as the spec says; some providers (Amazon Cognito) send the string.
    verified = claims.get("email_verified") in (True, "true")
    existing = await session.scalar(select(User).where(User.email == email))
    if existing is not None and not verified:
        raise SsoFailed(
            "sso_unverified_email",
            "An account with this address exists, and the provider does not confirm that the "
            "address is verified, so SSO does not take it over: sign in with your password.",
        )
    if existing is not None and await session.scalar(
        select(UserIdentity.id).where(
            UserIdentity.user_id == existing.id, UserIdentity.issuer == issuer
        )
    ):
        # The account is linked to another person at this provider, who has (or had) the
        # address: a reassigned address does not take the account over.
        raise SsoFailed(
            "sso_other_identity",
            "This account is linked to a different identity at the provider: sign in with "
            "that one, or ask an administrator.",
        )
    action = "auth.sso_linked"
    user = existing
    if user is None:
        if not rt.settings.oidc_create_accounts:
            raise SsoFailed("sso_no_account", "There is no account with this address here.")
        name = str(claims.get("name") or email.split("@", 1)[0])[:200]
        handle = await handles.free_handle(session, handles.handle_base(name, email))
        user = User(email=email, name=name, password_hash="", handle=handle)
        session.add(user)
        action = "auth.sso_account_created"
    try:
        await session.flush()
        session.add(UserIdentity(user_id=user.id, issuer=issuer, subject=subject, email=email))
        await session.flush()
    except IntegrityError as exc:  # the same e-mail or identity created concurrently
        raise SsoFailed("sso_retry", "Sign-in raced another one; try again.") from exc
    await audit.record(
        session,
        action,
        actor=user,
        workspace_id=None,
        address=address,
        details={"issuer": issuer, "subject": subject, "email": email},
    )
    return user
