"""Two-factor sign-in with an authenticator app (TOTP, RFC 6238) and single-use recovery codes.

A code is accepted within one time step either side of now, and only for a step later than
the last one accepted (`TotpFactor.last_step`, moved forward by one conditional UPDATE), so a
code cannot be used twice, even by two requests at once. A recovery code is spent the same way.
Wrong codes spend the account's sign-in budget (tasklane.auth.throttle), like wrong passwords.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime
from uuid import UUID

import pyotp
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.errors import Conflict, NotFound, ValidationFailed
from tasklane.kit.clock import utcnow
from tasklane.models import RecoveryCode, TotpFactor

ISSUER = "Tasklane"
RECOVERY_CODES = 10
RECOVERY_CODE_GROUPS = 4
"""Four groups of four base32 characters: 80 random bits."""
WINDOW = 1
"""Time steps either side of now in which a code is accepted (clocks drift, people type)."""


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def matching_step(secret: str, code: str, now: datetime | None = None) -> int | None:
    """The time step whose code `code` is, within WINDOW of now; None when none is."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():  # six digits, as apps show them
        return None
    totp = pyotp.TOTP(secret)
    now = now or utcnow()
    current = totp.timecode(now)
    found = None
    for offset in range(-WINDOW, WINDOW + 1):  # every candidate is compared: no timing hint
        if hmac.compare_digest(totp.generate_otp(current + offset), code):
            found = current + offset
    return found


def _normal_recovery_code(code: str) -> str:
    return "".join(c for c in code.lower() if c.isalnum())


def _recovery_hash(code: str) -> str:
    return hashlib.sha256(_normal_recovery_code(code).encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()  # 80 bits, 16 characters
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def looks_like_recovery_code(code: str) -> bool:
    return len(_normal_recovery_code(code)) == 4 * RECOVERY_CODE_GROUPS


async def factor(session: AsyncSession, user_id: UUID) -> TotpFactor | None:
    """The user's confirmed authenticator, if two-factor sign-in is on."""
    found = await session.get(TotpFactor, user_id)
    return found if found is not None and found.confirmed_at is not None else None


async def status(session: AsyncSession, user_id: UUID) -> tuple[datetime | None, int]:
    """(when two-factor sign-in was turned on, or None; recovery codes left)."""
    on = await factor(session, user_id)
    if on is None:
        return None, 0
    left = await session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    )
    return on.confirmed_at, left or 0


async def start(session: AsyncSession, user_id: UUID) -> str:
    """A new pending secret (replacing an unconfirmed one); 409 when two-factor is on."""
    current = await session.get(TotpFactor, user_id)
    if current is not None and current.confirmed_at is not None:
        raise Conflict(
            "Two-factor sign-in is already on; turn it off first to use another app.",
            code="mfa_already_enabled",
        )
    if current is not None:
        await session.delete(current)
        await session.flush()
    secret = new_secret()
    session.add(TotpFactor(user_id=user_id, secret=secret))
    return secret


async def confirm(session: AsyncSession, user_id: UUID, code: str) -> list[str]:
    """Turn two-factor sign-in on with a first code from the app; the new recovery codes."""
    pending = await session.get(TotpFactor, user_id, with_for_update=True)
    if pending is None:
        raise NotFound("Start two-factor set-up first.", code="mfa_not_started")
    if pending.confirmed_at is not None:
        raise Conflict("Two-factor sign-in is already on.", code="mfa_already_enabled")
    step = matching_step(pending.secret, code)
    if step is None:
        raise invalid_code()
    pending.confirmed_at = utcnow()
    pending.last_step = step
    return await new_recovery_codes(session, user_id)


async def new_recovery_codes(session: AsyncSession, user_id: UUID) -> list[str]:
    """Replace the user's recovery codes; the new ones are returned this once."""
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(user_id=user_id, code_hash=_recovery_hash(c)) for c in codes)
    return codes


async def turn_off(session: AsyncSession, user_id: UUID) -> None:
    await session.execute(delete(TotpFactor).where(TotpFactor.user_id == user_id))
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))


async def spend_code(session: AsyncSession, user_id: UUID, code: str) -> bool:
    """Accept `code` (from the app, or a recovery code) once: True when it was good and is
    now spent. Concurrent requests with one code: one wins."""
    if looks_like_recovery_code(code):
        spent = await session.execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user_id,
                RecoveryCode.code_hash == _recovery_hash(code),
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=utcnow())
        )
        return getattr(spent, "rowcount", 0) == 1
    secret = await session.scalar(
        select(TotpFactor.secret).where(
            TotpFactor.user_id == user_id, TotpFactor.confirmed_at.is_not(None)
        )
    )
    step = matching_step(secret, code) if secret is not None else None
    if step is None:
        return False
    moved = await session.execute(
        update(TotpFactor)
        .where(
            TotpFactor.user_id == user_id,
            (TotpFactor.last_step.is_(None)) | (TotpFactor.last_step < step),
        )
        .values(last_step=step)
    )
    return getattr(moved, "rowcount", 0) == 1


def invalid_code() -> ValidationFailed:
    return ValidationFailed.for_field(
        "code",
        "That code is not valid: use the current code from your authenticator app "
        "(each code works once) or an unused recovery code.",
        code="invalid_code",
    )
