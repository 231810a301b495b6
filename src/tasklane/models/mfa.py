from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from tasklane.kit.clock import utcnow
from tasklane.models.base import Base, IdMixin


class TotpFactor(Base):
    """A user's authenticator app (RFC 6238): pending until a first code confirms it, then
    asked for at every sign-in (tasklane.auth.mfa)."""

    __tablename__ = "totp_factors"

    user_id: Mapped[UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(String(64))
    """Base32, as the authenticator app holds it."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    last_step: Mapped[int | None] = mapped_column(BigInteger, default=None)
    """The time step of the last code accepted: a code is taken only for a later step, so a
    code seen once (over a shoulder, in a proxy) cannot be used again."""


class RecoveryCode(IdMixin, Base):
    """A single-use code that stands in for the authenticator app; only its SHA-256 is kept
    (80 random bits: nothing to brute-force)."""

    __tablename__ = "recovery_codes"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(default=None)
