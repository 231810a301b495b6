"""Personal API tokens: a user's long-lived credentials for scripts and other systems.

A token is `tl_pat_` and 43 characters of a 256-bit random secret; only its SHA-256 is stored.
It acts as its owner, narrowed by its scopes (tasklane.authz.scopes), and stops working when it
is revoked, when it expires, or when its owner is deactivated. A check of a token is cached
like a sign-in session's (tasklane.auth.signedin): a revocation in this process works at once,
in the others within `Settings.signed_in_cache_seconds`.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane import audit
from tasklane.auth.schemas import ApiTokenCreate, ApiTokenCreated, ApiTokenRead
from tasklane.auth.signedin import SignedInCache
from tasklane.authz.scopes import SCOPES
from tasklane.db import on_after_commit
from tasklane.errors import NotFound, ValidationFailed
from tasklane.kit.clock import utcnow
from tasklane.kit.pagination import Page
from tasklane.kit.rawsql import DIALECTS, compile_raw
from tasklane.models import ApiToken, User

if TYPE_CHECKING:  # tasklane.auth.principal imports this module
    from tasklane.auth.principal import Principal

PREFIX = "tl_pat_"
SHOWN = len(PREFIX) + 4
"""How much of a token its list shows."""
MAX_TOKENS = 50
"""Tokens per user that are not revoked (expired ones too: they stay listed)."""
LAST_USED_EVERY = timedelta(minutes=1)
"""`last_used_at` is written at most this often per token and process."""


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def cache_key(token_hash: str) -> UUID:
    """The token's key in the sign-in cache, which is keyed by UUID."""
    return UUID(bytes=bytes.fromhex(token_hash)[:16])


def _read(token: ApiToken) -> ApiTokenRead:
    return ApiTokenRead(
        id=token.id,
        name=token.name,
        scopes=token.scopes.split(),
        prefix=token.prefix,
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
    )


async def create(
    session: AsyncSession, principal: Principal, *, data: ApiTokenCreate, address: str
) -> ApiTokenCreated:
    user_id = principal.user_id
    now = utcnow()
    if data.expires_at is not None and data.expires_at <= now:
        raise ValidationFailed.for_field(
            "expires_at", "The expiry must be in the future.", code="in_the_past"
        )
    held = await session.scalar(
        select(func.count(ApiToken.id)).where(
            ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None)
        )
    )
    if (held or 0) >= MAX_TOKENS:
        raise ValidationFailed(
            f"You have {MAX_TOKENS} tokens (expired ones count until revoked); revoke one first.",
            code="too_many_tokens",
        )
    secret = new_secret()
    token = ApiToken(
        user_id=user_id,
        name=data.name,
        token_hash=digest(secret),
        prefix=secret[:SHOWN],
        scopes=" ".join(s for s in SCOPES if s in data.scopes),
        created_at=now,
        expires_at=data.expires_at,
    )
    session.add(token)
    await session.flush()
    await audit.record(
        session,
        "token.created",
        actor=principal,
        workspace_id=None,
        address=address,
        details={
            "token_id": token.id,
            "name": token.name,
            "scopes": token.scopes.split(),
            "expires_at": token.expires_at,
        },
    )
    return ApiTokenCreated(**_read(token).model_dump(), token=secret)


async def list_tokens(session: AsyncSession, user_id: UUID) -> Page[ApiTokenRead]:
    """The caller's tokens that are not revoked, expired ones included, newest first."""
    rows = await session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return Page(items=[_read(token) for token in rows])


async def revoke(
    session: AsyncSession,
    principal: Principal,
    signed_in: SignedInCache,
    *,
    token_id: UUID,
    address: str,
) -> None:
    user_id = principal.user_id
    token_hash = await session.scalar(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            ApiToken.user_id == user_id,
            ApiToken.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
        .returning(ApiToken.token_hash)
    )
    if token_hash is None:
        raise NotFound("No such token.")
    await audit.record(
        session,
        "token.revoked",
        actor=principal,
        workspace_id=None,
        address=address,
        details={"token_id": token_id},
    )
    key = cache_key(token_hash)
    on_after_commit(session, f"signed_in:{key}", lambda: signed_in.forget_session(key))


def usable(now: Any) -> ColumnElement[bool]:
    """A token (joined to its owner) that works at `now` (a datetime or a bind parameter)."""
    return and_(
        User.is_active.is_(True),
        ApiToken.revoked_at.is_(None),
        or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
    )


# The check of a token on every call that is not answered from the cache: compiled per dialect.
_LIVE_TOKEN = (
    select(
        User.id,
        User.email,
        User.name,
        ApiToken.id,
        ApiToken.scopes,
        ApiToken.expires_at,
        ApiToken.last_used_at,
    )
    .join(User, User.id == ApiToken.user_id)
    .where(
        ApiToken.token_hash == bindparam("token_hash"),
        usable(bindparam("now", type_=ApiToken.created_at.type)),
    )
)
LIVE_TOKEN_RAW = {dialect: compile_raw(_LIVE_TOKEN, dialect) for dialect in DIALECTS}


async def touch(session: AsyncSession, token_id: UUID, now: datetime) -> None:
    """Record that the token was used (called at most every LAST_USED_EVERY)."""
    await session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
        .values(last_used_at=now)
    )
