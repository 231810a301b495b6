"""Passkeys (WebAuthn discoverable credentials): registered by a signed-in user, then enough
on their own to sign in. A passkey is two factors (something held, unlocked by the device's
PIN or biometrics), so no authenticator-app code is asked after it.

Each ceremony's challenge is kept in `webauthn_challenges` and taken by one conditional
DELETE: the request whose DELETE removed the row is the only one that may use it, so a
challenge works once, and only before it expires. Origin and RP id are checked against
`Settings.passkey_origin` / `passkey_rp_id`; a signature counter that goes backwards (when
the authenticator keeps one) is refused, as a sign of a cloned authenticator.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import timedelta
from typing import Any
from uuid import UUID

import webauthn
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from webauthn.helpers import parse_authentication_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from tasklane.auth.principal import Principal
from tasklane.auth.schemas import PasskeyCreate, PasskeyLoginOptions, PasskeyRead
from tasklane.auth.service import (
    Issued,
    checking_password,
    login_failed,
    login_recorded,
    start_session,
)
from tasklane.config import Settings
from tasklane.errors import NotFound, Unauthenticated, ValidationFailed
from tasklane.kit.clock import utcnow
from tasklane.kit.pagination import Page
from tasklane.models import Passkey, User, WebauthnChallenge
from tasklane.runtime import Runtime

RP_NAME = "Tasklane"
CHALLENGE_SECONDS = 300
MAX_PASSKEYS = 20
REGISTER = "register"
AUTHENTICATE = "authenticate"
UNKNOWN_ACCOUNT = "passkey:unknown"
"""The throttle's account key for a credential no user holds (the address budget still counts)."""


def _read(passkey: Passkey) -> PasskeyRead:
    return PasskeyRead(
        id=passkey.id,
        name=passkey.name,
        created_at=passkey.created_at,
        last_used_at=passkey.last_used_at,
    )


def _new_challenge(
    session: AsyncSession, challenge: bytes, *, purpose: str, user_id: UUID | None
) -> WebauthnChallenge:
    now = utcnow()
    row = WebauthnChallenge(
        challenge=challenge,
        user_id=user_id,
        purpose=purpose,
        expires_at=now + timedelta(seconds=CHALLENGE_SECONDS),
    )
    session.add(row)
    return row


async def _sweep(session: AsyncSession) -> None:
    """Expired challenges nobody used (ceremonies the browser abandoned) go away."""
    await session.execute(delete(WebauthnChallenge).where(WebauthnChallenge.expires_at <= utcnow()))


async def _take(session: AsyncSession, row_id: UUID) -> bool:
    """Delete the challenge if it is still live: True for the one request that did."""
    result = await session.execute(
        delete(WebauthnChallenge).where(
            WebauthnChallenge.id == row_id, WebauthnChallenge.expires_at > utcnow()
        )
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def _options_json(options: Any) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(webauthn.options_to_json(options))
    return parsed


def _client_challenge(credential: dict[str, Any]) -> bytes | None:
    """The challenge the browser signed, from clientDataJSON; None when unreadable."""
    try:
        response = credential["response"]
        raw = response["clientDataJSON"]
        client_data = json.loads(_b64url(raw))
        return _b64url(client_data["challenge"])
    except (KeyError, TypeError, ValueError, binascii.Error):
        return None


def _b64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


# --- registration ----------------------------------------------------------------------------


async def registration_options(
    session: AsyncSession, principal: Principal, settings: Settings
) -> dict[str, Any]:
    count = await session.scalar(
        select(func.count()).select_from(Passkey).where(Passkey.user_id == principal.user_id)
    )
    if (count or 0) >= MAX_PASSKEYS:
        raise _too_many()
    user = await session.get_one(User, principal.user_id)
    existing = await session.scalars(
        select(Passkey.credential_id).where(Passkey.user_id == user.id)
    )
    options = webauthn.generate_registration_options(
        rp_id=settings.passkey_rp_id,
        rp_name=RP_NAME,
        user_id=user.id.bytes,
        user_name=user.email,
        user_display_name=user.name,
        timeout=CHALLENGE_SECONDS * 1000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            require_resident_key=True,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=cid) for cid in existing],
    )
    await _sweep(session)
    _new_challenge(session, options.challenge, purpose=REGISTER, user_id=user.id)
    return _options_json(options)


async def register(
    session: AsyncSession, principal: Principal, settings: Settings, *, data: PasskeyCreate
) -> PasskeyRead:
    """Verify the browser's attestation against a live registration challenge of the caller,
    and keep the credential. The challenge is deleted in the request's transaction: a passkey
    added spends it; a refused answer rolls back and leaves it (bound to the caller) until it
    expires."""
    credential = data.credential.as_json()
    signed = _client_challenge(credential)
    row_id = None
    if signed is not None:
        row_id = await session.scalar(
            select(WebauthnChallenge.id).where(
                WebauthnChallenge.user_id == principal.user_id,
                WebauthnChallenge.purpose == REGISTER,
                WebauthnChallenge.challenge == signed,
            )
        )
    if signed is None or row_id is None or not await _take(session, row_id):
        raise _invalid_registration("The passkey set-up expired or was already used; try again.")
    try:
        verified = webauthn.verify_registration_response(
            credential=credential,
            expected_challenge=signed,
            expected_rp_id=settings.passkey_rp_id,
            expected_origin=settings.passkey_origin,
            require_user_verification=True,
        )
    except WebAuthnException as exc:
        raise _invalid_registration(f"The passkey was not accepted: {exc}") from exc
    if await session.scalar(
        select(Passkey.id).where(Passkey.credential_id == verified.credential_id)
    ):
        raise _invalid_registration("This passkey is already registered.")
    count = await session.scalar(
        select(func.count()).select_from(Passkey).where(Passkey.user_id == principal.user_id)
    )
    if (count or 0) >= MAX_PASSKEYS:
        raise _too_many()
    passkey = Passkey(
        user_id=principal.user_id,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        name=data.name,
        transports=" ".join(data.credential.response.transports)[:200],
    )
    session.add(passkey)
    await session.flush()
    return _read(passkey)


def _invalid_registration(message: str) -> ValidationFailed:
    return ValidationFailed.for_field("credential", message, code="invalid_passkey")


def _too_many() -> ValidationFailed:
    return ValidationFailed.for_field(
        "credential",
        f"At most {MAX_PASSKEYS} passkeys: remove one first.",
        code="too_many_passkeys",
    )


# --- managing --------------------------------------------------------------------------------


async def list_passkeys(session: AsyncSession, user_id: UUID) -> Page[PasskeyRead]:
    rows = await session.scalars(
        select(Passkey)
        .where(Passkey.user_id == user_id)
        .order_by(Passkey.created_at.desc(), Passkey.id.desc())
        .limit(MAX_PASSKEYS)
    )
    return Page(items=[_read(row) for row in rows])


async def get_passkey(session: AsyncSession, user_id: UUID, passkey_id: UUID) -> Passkey:
    found = await session.scalar(
        select(Passkey).where(Passkey.id == passkey_id, Passkey.user_id == user_id)
    )
    if found is None:
        raise NotFound("No such passkey.", code="passkey_not_found")
    return found


async def rename(
    session: AsyncSession, principal: Principal, *, passkey_id: UUID, name: str
) -> PasskeyRead:
    passkey = await get_passkey(session, principal.user_id, passkey_id)
    passkey.name = name
    await session.flush()
    return _read(passkey)


async def delete_passkey(session: AsyncSession, principal: Principal, *, passkey_id: UUID) -> None:
    passkey = await get_passkey(session, principal.user_id, passkey_id)
    await session.delete(passkey)


# --- signing in ------------------------------------------------------------------------------


async def authentication_options(rt: Runtime) -> PasskeyLoginOptions:
    options = webauthn.generate_authentication_options(
        rp_id=rt.settings.passkey_rp_id,
        timeout=CHALLENGE_SECONDS * 1000,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    async with rt.db.transaction() as session:
        await _sweep(session)
        row = _new_challenge(session, options.challenge, purpose=AUTHENTICATE, user_id=None)
        await session.flush()
    return PasskeyLoginOptions(challenge_id=row.id, options=_options_json(options))


async def sign_in(
    rt: Runtime,
    *,
    challenge_id: UUID,
    credential: dict[str, Any],
    address: str,
    kind: str,
    user_agent: str | None,
) -> Issued:
    """Sign in with a passkey alone. Any failure is 401 `invalid_passkey` and spends the
    sign-in budget of the address (and of the passkey's account, when it names one)."""
    try:
        parsed = parse_authentication_credential_json(credential)
    except WebAuthnException:
        parsed = None
    async with rt.db.transaction(write=False) as session:
        found = None
        if parsed is not None:
            found = (
                await session.execute(
                    select(Passkey, User)
                    .join(User, User.id == Passkey.user_id)
                    .where(Passkey.credential_id == parsed.raw_id)
                )
            ).one_or_none()
        challenge = await session.scalar(
            select(WebauthnChallenge.challenge).where(
                WebauthnChallenge.id == challenge_id, WebauthnChallenge.purpose == AUTHENTICATE
            )
        )
    passkey, user = found if found is not None else (None, None)
    account = user.email if user is not None else UNKNOWN_ACCOUNT
    async with checking_password(rt, account=account, address=address) as attempt:
        issued = None
        async with rt.db.transaction() as session:
            won = challenge is not None and await _take(session, challenge_id)
            if won and parsed is not None and passkey is not None and user is not None:
                issued = await _verified_session(
                    session,
                    rt,
                    passkey,
                    user,
                    parsed=parsed,
                    challenge=challenge or b"",
                    kind=kind,
                    address=address,
                    user_agent=user_agent,
                )
        if issued is None:  # recorded after the challenge's DELETE committed
            await login_failed(rt, user, email=account, address=address, kind=kind, step="passkey")
            raise Unauthenticated(
                "That passkey sign-in is not valid; try again.", code="invalid_passkey"
            )
        attempt.succeeded = True
    return issued


async def _verified_session(
    session: AsyncSession,
    rt: Runtime,
    passkey: Passkey,
    user: User,
    *,
    parsed: Any,
    challenge: bytes,
    kind: str,
    address: str,
    user_agent: str | None,
) -> Issued | None:
    if not user.is_active:
        return None
    try:
        verified = webauthn.verify_authentication_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=rt.settings.passkey_rp_id,
            expected_origin=rt.settings.passkey_origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except WebAuthnException:
        return None
    # Conditional on the counter read: two sign-ins racing with one counter value, one wins.
    moved = await session.execute(
        update(Passkey)
        .where(Passkey.id == passkey.id, Passkey.sign_count == passkey.sign_count)
        .values(sign_count=verified.new_sign_count, last_used_at=utcnow())
    )
    if getattr(moved, "rowcount", 0) != 1:
        return None
    issued = await start_session(
        session, rt, user, kind=kind, user_agent=user_agent, address=address, method="passkey"
    )
    await login_recorded(session, issued, kind=kind, address=address, mfa=True)
    return issued
