"""The Principal dependency: who is calling, checked against the live sign-in session."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Protocol
from uuid import UUID

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.auth import apitokens, tokens
from tasklane.auth.signedin import SignedIn, SignedInCache
from tasklane.authz import scopes
from tasklane.config import Settings
from tasklane.db import SAFE_METHODS
from tasklane.errors import PermissionDenied, RateLimited, Unauthenticated
from tasklane.kit.clock import utcnow
from tasklane.kit.rawsql import DIALECTS, Dialect, RawConnection, RawSQL, compile_raw, timestamp
from tasklane.models import ApiToken, AuthSession, User

ACCESS_COOKIE = "tasklane_access"
REFRESH_COOKIE = "tasklane_refresh"
CSRF_COOKIE = "tasklane_csrf"
CSRF_HEADER = "X-CSRF-Token"

API_PREFIX = "/api/"
WRITE_LIMITED = "Too many changes in a short time; wait before sending more."

_bearer = HTTPBearer(auto_error=False, description="An access token from /auth/login.")


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: UUID
    session_id: UUID
    email: str
    name: str
    via: str  # "bearer" | "cookie" | "query" | "token"
    scopes: frozenset[str] | None = None
    """What a personal API token may do (tasklane.authz.scopes); None: a sign-in session.
    For a token, `session_id` is the token's id."""


# Built once: it runs on every authenticated request.
_SIGNED_IN = (
    select(User.email, User.name, User.is_active, AuthSession.revoked_at, AuthSession.expires_at)
    .join(AuthSession, AuthSession.user_id == User.id)
    .where(AuthSession.id == bindparam("session_id"), User.id == bindparam("user_id"))
)


async def authenticate(
    session: AsyncSession, settings: Settings, token: str, via: str
) -> Principal:
    """Resolve an access token to a Principal; one query checks user and sign-in session."""
    claims = tokens.read_access_token(settings, token)
    params = {"session_id": claims.session_id, "user_id": claims.user_id}
    row = (await session.execute(_SIGNED_IN, params)).one_or_none()
    if row is None or not row.is_active or row.revoked_at is not None or row.expires_at <= utcnow():
        raise Unauthenticated("The session has ended; sign in again.", code="session_revoked")
    return Principal(
        user_id=claims.user_id,
        session_id=claims.session_id,
        email=row.email,
        name=row.name,
        via=via,
    )


async def session_active(session: AsyncSession, principal: Principal) -> bool:
    """Is the principal's sign-in session (or API token) still valid, for connections that
    outlive their access token?"""
    if principal.scopes is not None:
        live = await session.scalar(
            select(ApiToken.id)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.id == principal.session_id, apitokens.usable(utcnow()))
        )
        return live is not None
    row = (
        await session.execute(
            select(User.is_active, AuthSession.revoked_at, AuthSession.expires_at)
            .join(AuthSession, AuthSession.user_id == User.id)
            .where(AuthSession.id == principal.session_id, User.id == principal.user_id)
        )
    ).one_or_none()
    return (
        row is not None and row.is_active and row.revoked_at is None and row.expires_at > utcnow()
    )


# The same check on a raw connection, compiled per dialect: the session's times are compared
# in SQL; its expiry comes back for the cache (tasklane.auth.signedin).
_SIGNED_IN_NOW = (
    select(User.email, User.name, AuthSession.expires_at)
    .join(AuthSession, AuthSession.user_id == User.id)
    .where(
        AuthSession.id == bindparam("session_id"),
        User.id == bindparam("user_id"),
        User.is_active.is_(True),
        AuthSession.revoked_at.is_(None),
        AuthSession.expires_at > bindparam("now", type_=AuthSession.expires_at.type),
    )
)
_SIGNED_IN_RAW = {dialect: compile_raw(_SIGNED_IN_NOW, dialect) for dialect in DIALECTS}


def _credentials(request: Request, bearer: HTTPAuthorizationCredentials | None) -> tuple[str, str]:
    """The access token and how it came (bearer or cookie)."""
    if bearer is not None:
        return bearer.credentials, "bearer"
    cookie = request.cookies.get(ACCESS_COOKIE)
    if not cookie:
        raise Unauthenticated("Sign in, or send an access token as a Bearer token.")
    return cookie, "cookie"


async def _resolve(
    request: Request, session: AsyncSession, bearer: HTTPAuthorizationCredentials | None
) -> Principal:
    settings: Settings = request.app.state.runtime.settings
    token, via = _credentials(request, bearer)
    if token.startswith(apitokens.PREFIX):
        return await _signed_in(request, token, via)  # refused: these routes are the account's
    principal = await authenticate(session, settings, token, via)
    request.state.principal = principal
    _check_csrf(request, principal)
    await charge_user_write(request, str(principal.user_id))
    return principal


def _check_csrf(request: Request, principal: Principal) -> None:
    """A cookie-authenticated write must echo the CSRF cookie in a header."""
    if principal.via != "cookie" or request.method in SAFE_METHODS:
        return
    settings: Settings = request.app.state.runtime.settings
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent or not tokens.csrf_matches(settings, principal.session_id, sent):
        raise PermissionDenied(
            f"Cookie-authenticated writes need the {CSRF_HEADER} header "
            f"with the value of the {CSRF_COOKIE} cookie.",
            code="csrf_failed",
        )


class UserWriteBudget(Protocol):
    async def check_user(self, user: str) -> int | None: ...


async def charge_user_write(request: Request, user_id: str) -> None:
    """Spend one write of a caller whose sign-in session was just checked (the per-address
    budget was spent before, by tasklane.security); RateLimited past the user's budget. Reads
    and non-API paths are free; a request is charged once."""
    limiter: UserWriteBudget | None = getattr(request.app.state, "write_limiter", None)
    if (
        limiter is None
        or request.method in SAFE_METHODS
        or not request.url.path.startswith(API_PREFIX)
        or getattr(request.state, "write_charged", False)
    ):
        return
    request.state.write_charged = True
    wait = await limiter.check_user(user_id)
    if wait is not None:
        raise RateLimited(WRITE_LIMITED, retry_after=wait)


async def get_principal(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, checked before the route's session starts (on a raw read connection of
    its own, unless this process checked the session a moment ago): on SQLite a write's
    transaction takes the write lock at its first statement, and the sign-in check need not
    hold it (issue 11: short write transactions)."""
    token, via = _credentials(request, bearer)
    principal = await _signed_in(request, token, via)
    _check_csrf(request, principal)
    await charge_user_write(request, str(principal.user_id))
    return principal


async def get_principal_detached(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, checked in its own short transaction: for routes that must not hold one
    (password hashing)."""
    async with request.app.state.runtime.db.transaction(write=False) as session:
        return await _resolve(request, session, bearer)


async def _signed_in(
    request: Request, token: str, via: str, raw: RawConnection | None = None
) -> Principal:
    """The token's user, if its sign-in session is live: from the process's cache of sessions
    checked in the last seconds, or one statement (on `raw`, or a connection of its own)."""
    runtime = request.app.state.runtime
    if token.startswith(apitokens.PREFIX):
        principal = token_principal(await token_signed_in(runtime, token, raw))
        request.state.principal = principal
        scopes.require(request, principal.scopes or frozenset())
        return principal
    claims = tokens.read_access_token(runtime.settings, token)
    now = utcnow()
    cache: SignedInCache = runtime.signed_in
    entry = cache.get(claims.session_id, claims.user_id, now)
    if entry is None:
        generation = cache.generation()
        params = {"session_id": claims.session_id, "user_id": claims.user_id, "now": now}
        rows = await _fetch(runtime, raw, _SIGNED_IN_RAW, params)
        if not rows:
            raise Unauthenticated("The session has ended; sign in again.", code="session_revoked")
        email, name, expires_at = rows[0]
        entry = SignedIn(claims.user_id, email, name, timestamp(expires_at), time.monotonic())
        cache.put(claims.session_id, entry, generation)
    principal = Principal(
        user_id=claims.user_id,
        session_id=claims.session_id,
        email=entry.email,
        name=entry.name,
        via=via,
    )
    request.state.principal = principal
    return principal


async def _fetch(
    runtime: Any,
    raw: RawConnection | None,
    statements: Mapping[Dialect, RawSQL],
    params: dict[str, Any],
) -> list[list[Any]]:
    """Rows of a check on `raw`, or on a connection of its own."""
    if raw is None:
        own: RawConnection
        async with runtime.db.raw.connection() as own:
            return await own.fetch(statements[own.dialect], params)
    return await raw.fetch(statements[raw.dialect], params)


NEVER = datetime(9999, 1, 1, tzinfo=UTC)
"""The cache's expiry for a token that never expires."""


async def token_signed_in(runtime: Any, token: str, raw: RawConnection | None = None) -> SignedIn:
    """A personal API token's owner and scopes, if it is live: from the cache, or one
    statement. Its `last_used_at` is written when it is older than a minute."""
    token_hash = apitokens.digest(token)
    key = apitokens.cache_key(token_hash)
    now = utcnow()
    cache: SignedInCache = runtime.signed_in
    entry = cache.get(key, None, now)
    if entry is not None:
        return entry
    generation = cache.generation()
    rows = await _fetch(
        runtime, raw, apitokens.LIVE_TOKEN_RAW, {"token_hash": token_hash, "now": now}
    )
    if not rows:
        raise Unauthenticated(
            "The API token is not valid, or was revoked or has expired.", code="invalid_token"
        )
    user_id, email, name, token_id, granted, expires_at, last_used_at = rows[0]
    entry = SignedIn(
        UUID(user_id),
        email,
        name,
        NEVER if expires_at is None else timestamp(expires_at),
        time.monotonic(),
        token_id=UUID(token_id),
        scopes=scopes.parse(granted),
    )
    cache.put(key, entry, generation)
    if last_used_at is None or now - timestamp(last_used_at) >= apitokens.LAST_USED_EVERY:
        async with runtime.db.transaction() as session:
            await apitokens.touch(session, UUID(token_id), now)
    return entry


def token_principal(entry: SignedIn) -> Principal:
    assert entry.token_id is not None
    assert entry.scopes is not None
    return Principal(entry.user_id, entry.token_id, entry.email, entry.name, "token", entry.scopes)


@dataclass(frozen=True, slots=True)
class HotRead:
    """What a hot read route needs, from one dependency: FastAPI spends tens of microseconds
    of bookkeeping on each dependency it solves, more than these reads' own statements."""

    principal: Principal
    raw: RawConnection
    seq: int
    """The event log's position before the read began: every event up to it is committed and
    visible to the read, so a live subscription from here misses nothing (the `X-Event-Seq`
    header; a few events may arrive twice)."""


async def get_hot_read(request: Request) -> AsyncIterator[HotRead]:
    """The caller, checked on the request's raw read connection, with the event position.
    Routes that take it declare `openapi_extra=BEARER_DOC`, since the bearer scheme is read
    here and not through its own dependency."""
    runtime = request.app.state.runtime
    seq = runtime.hub.position
    token, via = _credentials(request, await _bearer(request))
    async with runtime.db.raw.connection() as raw:
        principal = await _signed_in(request, token, via, raw)
        yield HotRead(principal, raw, seq)


HotReadDep = Annotated[HotRead, Depends(get_hot_read, scope="function")]
BEARER_DOC: dict[str, Any] = {"security": [{"HTTPBearer": []}]}
"""The OpenAPI security requirement that `Depends(_bearer)` would add."""

CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
DetachedPrincipal = Annotated[Principal, Depends(get_principal_detached)]
