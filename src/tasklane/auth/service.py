"""Accounts and sign-in sessions.

Password hashing never runs inside a database transaction: these functions take the Database
and open short transactions around the hash, not the request's session.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import cast
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane import audit
from tasklane.auth import mfa, sessions, tokens
from tasklane.auth.password_policy import check_new_password
from tasklane.auth.principal import Principal
from tasklane.auth.schemas import (
    MeRead,
    PasswordChange,
    RegisterRequest,
    Theme,
    UserRead,
    UserUpdate,
)
from tasklane.auth.signedin import SignedInCache
from tasklane.config import SignupMode
from tasklane.db import on_after_commit
from tasklane.errors import Conflict, PermissionDenied, Unauthenticated, ValidationFailed
from tasklane.kit.clock import utcnow
from tasklane.models import (
    AuthSession,
    RefreshToken,
    User,
    Workspace,
    WorkspaceInvitation,
    WorkspaceMember,
)
from tasklane.runtime import Runtime
from tasklane.users import handles


@dataclass(frozen=True, slots=True)
class Issued:
    user: User
    session_id: UUID
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True, slots=True)
class MfaRequired:
    """The password was right; the second factor comes next (`complete_mfa`)."""

    mfa_token: str


def user_read(user: User) -> UserRead:
    return UserRead(
        id=user.id,
        email=user.email,
        name=user.name,
        handle=user.handle,
        avatar_color=user.avatar_color,
        time_zone=user.time_zone,
        theme=cast(Theme, user.theme),  # only ever written from the Theme literal
        created_at=user.created_at,
    )


SIGN_UP_ATTEMPTS = 3


async def register(rt: Runtime, *, data: RegisterRequest, address: str | None = None) -> UserRead:
    """Create an account; `address` is the caller's, for its sign-up budget (None: the command
    line, not limited; off with the other rate limits)."""
    email = data.email.lower()
    mode = rt.settings.signup
    if address is not None and mode is SignupMode.CLOSED:
        raise _signup_closed()
    if address is not None and rt.settings.rate_limit_enabled:
        await rt.login_throttle.sign_up(address=address)
    password_hash = await rt.passwords.hash_new(
        data.password,
        check=partial(check_new_password, field="password", email=email, name=data.name),
    )
    for attempt in range(SIGN_UP_ATTEMPTS):
        try:
            async with rt.db.transaction() as session:
                if await session.scalar(select(User.id).where(User.email == email)):
                    raise _email_taken()
                if (
                    address is not None
                    and mode is SignupMode.INVITE
                    and not await _invited(session, email)
                ):
                    raise PermissionDenied(
                        "Sign-up is by invitation: ask a workspace admin to invite this address.",
                        code="signup_invite_only",
                    )
                handle = await handles.free_handle(
                    session, handles.handle_base(data.name, email), retry=attempt > 0
                )
                user = User(email=email, name=data.name, password_hash=password_hash, handle=handle)
                session.add(user)
            break
        except IntegrityError as exc:
            # A concurrent sign-up took the address (the next attempt says so) or the handle
            # (the next attempt picks another).
            if attempt == SIGN_UP_ATTEMPTS - 1:
                raise Conflict(
                    "Another sign-up got in the way; try again.", code="signup_raced"
                ) from exc
    return user_read(user)


async def _invited(session: AsyncSession, email: str) -> bool:
    """An invitation that has not expired."""
    found = await session.scalar(
        select(WorkspaceInvitation.id)
        .where(WorkspaceInvitation.email == email, WorkspaceInvitation.expires_at > utcnow())
        .limit(1)
    )
    return found is not None


def _signup_closed() -> PermissionDenied:
    return PermissionDenied(
        "This Tasklane does not take sign-ups; ask its administrator for an account.",
        code="signup_closed",
    )


def _email_taken() -> Conflict:
    return Conflict("An account with this e-mail address exists.", code="email_taken")


async def start_session(
    session: AsyncSession,
    rt: Runtime,
    user: User,
    *,
    kind: str,
    user_agent: str | None,
    address: str,
    method: str,
) -> Issued:
    """A new sign-in session; `method` says how it was signed in ("password", "passkey" or
    "sso"). Refused (403 `sso_required`) when the user's workspaces require single sign-on
    and this is not it."""
    if method != "sso":
        await check_sso_not_required(session, rt, user.id)
    now = utcnow()
    auth_session = AuthSession(
        user_id=user.id,
        kind=kind,
        method=method,
        created_at=now,
        expires_at=now + timedelta(days=rt.settings.refresh_token_days),
        user_agent=(user_agent or "")[:400] or None,
        ip=address[:45],
        last_used_at=now,
    )
    session.add(auth_session)
    await session.flush()
    return await _issue(session, rt, user, auth_session.id)


async def sso_is_required(session: AsyncSession, rt: Runtime, user_id: UUID) -> bool:
    """Whether a workspace of the user requires single sign-on (only while this installation
    has it: turning SSO off must not lock everyone out)."""
    if not rt.settings.oidc_enabled:
        return False
    found = await session.scalar(
        select(WorkspaceMember.workspace_id)
        .join(Workspace, Workspace.id == WorkspaceMember.workspace_id)
        .where(WorkspaceMember.user_id == user_id, Workspace.require_sso)
        .limit(1)
    )
    return found is not None


async def check_sso_not_required(session: AsyncSession, rt: Runtime, user_id: UUID) -> None:
    if await sso_is_required(session, rt, user_id):
        raise PermissionDenied(
            f"Your workspace requires single sign-on: use “Sign in with "
            f"{rt.settings.oidc_display_name}”.",
            code="sso_required",
        )


async def _issue(session: AsyncSession, rt: Runtime, user: User, session_id: UUID) -> Issued:
    refresh = tokens.new_refresh_token()
    session.add(RefreshToken(session_id=session_id, token_hash=tokens.hash_refresh_token(refresh)))
    access = tokens.issue_access_token(rt.settings, user_id=user.id, session_id=session_id)
    return Issued(
        user=user,
        session_id=session_id,
        access_token=access,
        refresh_token=refresh,
        expires_in=rt.settings.access_token_minutes * 60,
    )


async def login(
    rt: Runtime,
    *,
    email: str,
    password: str,
    address: str,
    kind: str,
    user_agent: str | None,
) -> Issued | MfaRequired:
    """Check the password; then a new sign-in session, or, for an account with two-factor
    sign-in on, the token that `complete_mfa` takes with the code."""
    email = email.lower()
    async with checking_password(rt, account=email, address=address) as attempt:
        async with rt.db.transaction(write=False) as session:
            user = await session.scalar(select(User).where(User.email == email))
            second_factor = user is not None and await mfa.factor(session, user.id) is not None
        ok = await rt.passwords.verify(user.password_hash if user else None, password)
        if user is None or not ok or not user.is_active:
            await login_failed(rt, user, email=email, address=address, kind=kind, step="password")
            raise Unauthenticated(
                "Incorrect e-mail address or password.", code="invalid_credentials"
            )
        attempt.succeeded = True
    new_hash = None
    if rt.passwords.needs_rehash(user.password_hash):
        new_hash = await rt.passwords.rehash(password)
    async with rt.db.transaction() as session:
        if new_hash is not None:
            await session.execute(
                update(User).where(User.id == user.id).values(password_hash=new_hash)
            )
        if second_factor:
            # Refused before the code is asked for, not after.
            await check_sso_not_required(session, rt, user.id)
            return MfaRequired(tokens.issue_mfa_token(rt.settings, user_id=user.id, kind=kind))
        issued = await start_session(
            session,
            rt,
            user,
            kind=kind,
            user_agent=user_agent,
            address=address,
            method="password",
        )
        await login_recorded(session, issued, kind=kind, address=address, mfa=False)
        return issued


async def login_recorded(
    session: AsyncSession, issued: Issued, *, kind: str, address: str, mfa: bool, sso: bool = False
) -> None:
    await audit.record(
        session,
        "auth.login",
        actor=issued.user,
        workspace_id=None,
        address=address,
        details={
            "via": kind,
            "session_id": issued.session_id,
            "second_factor": mfa,
            **({"sso": True} if sso else {}),
        },
    )


async def login_failed(
    rt: Runtime, user: User | None, *, email: str, address: str, kind: str, step: str
) -> None:
    """A failed sign-in changes nothing: it is recorded in a short transaction of its own."""
    async with rt.db.transaction() as session:
        await audit.record(
            session,
            "auth.login_failed",
            actor=user,
            workspace_id=None,
            address=address,
            details={"email": email, "via": kind, "step": step},
        )


async def complete_mfa(
    rt: Runtime,
    *,
    mfa_token: str,
    code: str,
    address: str,
    kind: str,
    user_agent: str | None,
) -> Issued:
    """The second step of a two-factor sign-in: a code from the app or a recovery code, each
    accepted once. Wrong codes spend the account's sign-in budget, as wrong passwords do."""
    claims = tokens.read_mfa_token(rt.settings, mfa_token)
    async with rt.db.transaction(write=False) as session:
        user = await session.get(User, claims.user_id)
    if user is None or not user.is_active or claims.kind != kind:
        raise Unauthenticated(
            "The sign-in step is not valid; sign in again.", code="invalid_mfa_token"
        )
    async with checking_password(rt, account=user.email, address=address) as attempt:
        async with rt.db.transaction() as session:
            spent = await mfa.spend_code(session, user.id, code)
            if spent:
                issued = await start_session(
                    session,
                    rt,
                    user,
                    kind=kind,
                    user_agent=user_agent,
                    address=address,
                    method="sso" if claims.sso else "password",
                )
                await login_recorded(
                    session, issued, kind=kind, address=address, mfa=True, sso=claims.sso
                )
        if not spent:  # recorded after the code's transaction: SQLite has one writer
            await login_failed(
                rt, user, email=user.email, address=address, kind=kind, step="second_factor"
            )
            raise Unauthenticated(
                "That code is not valid: use the current code from your authenticator "
                "app (each code works once) or an unused recovery code.",
                code="invalid_code",
            )
        attempt.succeeded = True
    return issued


async def check_code(rt: Runtime, principal: Principal, code: str, *, address: str) -> None:
    """Spend one of the signed-in user's codes (to change their two-factor settings); a wrong
    one is 422 `invalid_code` and spends their sign-in budget."""
    async with checking_password(rt, account=principal.email.lower(), address=address) as check:
        async with rt.db.transaction() as session:
            if not await mfa.spend_code(session, principal.user_id, code):
                raise mfa.invalid_code()
        check.succeeded = True


async def turn_off_mfa(
    rt: Runtime, principal: Principal, *, password: str, code: str, address: str
) -> None:
    """Two-factor sign-in off: needs the password and a code."""
    await _check_current_password(rt, principal, password, address=address, field="password")
    await check_code(rt, principal, code, address=address)
    async with rt.db.transaction() as session:
        await mfa.turn_off(session, principal.user_id)
        await audit.record(
            session, "auth.mfa_disabled", actor=principal, workspace_id=None, address=address
        )


@dataclass(slots=True)
class _Verdict:
    succeeded: bool = False


@asynccontextmanager
async def checking_password(rt: Runtime, *, account: str, address: str) -> AsyncIterator[_Verdict]:
    """Reserve a password check in the throttle before it runs (429 when the budget is spent),
    slow it down when the account is under a wide attack, and settle the reservation after:
    a wrong password keeps it, a right one (or an error before any verdict) gives it back."""
    attempt = await rt.login_throttle.begin(account=account, address=address)
    if attempt.slowed:
        await asyncio.sleep(rt.settings.login_slowdown_seconds)
    verdict = _Verdict()
    try:
        yield verdict
    except (Unauthenticated, ValidationFailed):
        raise
    except BaseException:
        await asyncio.shield(rt.login_throttle.abandoned(attempt))
        raise
    if verdict.succeeded:
        await rt.login_throttle.succeeded(attempt)


async def refresh(rt: Runtime, *, refresh_token: str, address: str) -> Issued:
    """Rotate a refresh token. A token used twice means it leaked: the whole family ends."""
    now = utcnow()
    reused = False
    async with rt.db.transaction() as session:
        stmt = (
            select(RefreshToken, AuthSession, User)
            .join(AuthSession, AuthSession.id == RefreshToken.session_id)
            .join(User, User.id == AuthSession.user_id)
            .where(RefreshToken.token_hash == tokens.hash_refresh_token(refresh_token))
        )
        if rt.db.dialect == "postgresql":
            stmt = stmt.with_for_update(of=[RefreshToken, AuthSession])
        row = (await session.execute(stmt)).one_or_none()
        if row is None:
            raise _refresh_refused()
        token, auth_session, user = row
        if auth_session.revoked_at is not None or auth_session.expires_at <= now:
            raise _refresh_refused()
        if not user.is_active:
            raise _refresh_refused()
        if auth_session.method != "sso" and await sso_is_required(session, rt, user.id):
            raise Unauthenticated(
                "Your workspace now requires single sign-on: sign in again with it.",
                code="sso_required",
            )
        if token.used_at is not None:
            auth_session.revoked_at = now
            auth_session.revoked_reason = "refresh_token_reuse"
            reused = True
        else:
            token.used_at = now
            auth_session.last_used_at = now
            auth_session.ip = address[:45]
            issued = await _issue(session, rt, user, auth_session.id)
    if reused:  # raised after commit, so the revocation sticks
        rt.signed_in.forget_session(auth_session.id)
        raise Unauthenticated(
            "This refresh token was already used; the session has been ended for safety.",
            code="refresh_token_reused",
        )
    return issued


def _refresh_refused() -> Unauthenticated:
    return Unauthenticated(
        "The refresh token is not valid; sign in again.", code="invalid_refresh_token"
    )


async def logout(session: AsyncSession, principal: Principal, signed_in: SignedInCache) -> None:
    await session.execute(
        update(AuthSession)
        .where(AuthSession.id == principal.session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason="logout")
    )
    on_after_commit(session, "signed_in", lambda: signed_in.forget_session(principal.session_id))


async def get_me(session: AsyncSession, principal: Principal) -> MeRead:
    user = await session.get_one(User, principal.user_id)
    return MeRead(**user_read(user).model_dump(), has_password=bool(user.password_hash))


_CLEARABLE = ("handle", "avatar_color", "time_zone")


async def update_me(
    session: AsyncSession, principal: Principal, signed_in: SignedInCache, *, data: UserUpdate
) -> UserRead:
    user = await session.get_one(User, principal.user_id)
    values = {
        field: getattr(data, field)
        for field in data.model_fields_set
        if field in _CLEARABLE or getattr(data, field) is not None
    }
    values = {k: v for k, v in values.items() if getattr(user, k) != v}
    if not values:
        return user_read(user)
    handle = values.get("handle")
    if handle is not None and await session.scalar(
        select(User.id).where(User.handle == handle, User.id != user.id)
    ):
        raise _handle_taken()
    # The name that signed-in requests carry (a comment's author) is read again.
    on_after_commit(session, "signed_in", lambda: signed_in.forget_user(principal.user_id))
    try:  # in a savepoint: a concurrent update may take the handle between check and write
        async with session.begin_nested():
            for field, value in values.items():
                setattr(user, field, value)
    except IntegrityError as exc:
        raise _handle_taken() from exc
    return user_read(user)


def _handle_taken() -> Conflict:
    return Conflict("That handle is taken.", code="handle_taken")


async def change_password(
    rt: Runtime, principal: Principal, *, data: PasswordChange, address: str
) -> None:
    """Set a new password and end every other sign-in session of the user. A wrong current
    password spends the same budget as a failed sign-in of the account from that address."""
    await _check_current_password(
        rt, principal, data.current_password, address=address, field="current_password"
    )
    new_hash = await rt.passwords.hash_new(
        data.new_password,
        check=partial(check_new_password, field="new_password", email=principal.email),
    )
    now = utcnow()
    async with rt.db.transaction() as session:
        await session.execute(
            update(User)
            .where(User.id == principal.user_id)
            .values(password_hash=new_hash, password_changed_at=now)
        )
        ended = await sessions.end_other_sessions(
            session, principal, rt.signed_in, reason="password_changed"
        )
        await audit.record(
            session,
            "auth.password_changed",
            actor=principal,
            workspace_id=None,
            address=address,
            details={"sessions_ended": ended},
        )
    rt.signed_in.forget_user(principal.user_id)


async def _check_current_password(
    rt: Runtime, principal: Principal, password: str, *, address: str, field: str
) -> None:
    """422 `wrong_password` on `field` unless `password` is the user's; a wrong one spends the
    same budget as a failed sign-in of the account from that address. An account with no
    password (made by single sign-on) is not asked for one: it has none to give."""
    async with checking_password(rt, account=principal.email.lower(), address=address) as check:
        async with rt.db.transaction(write=False) as session:
            current = await session.scalar(
                select(User.password_hash).where(User.id == principal.user_id)
            )
        if current == "":
            check.succeeded = True
            return
        if not await rt.passwords.verify(current, password):
            raise ValidationFailed.for_field(
                field, "The password is not correct.", code="wrong_password"
            )
        check.succeeded = True
