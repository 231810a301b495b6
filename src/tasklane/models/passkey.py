from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from tasklane.kit.clock import utcnow
from tasklane.models.base import Base, IdMixin


class Passkey(IdMixin, Base):
    """A WebAuthn credential (a passkey) a user signs in with, alone: it is both factors
    (tasklane.auth.passkeys)."""

    __tablename__ = "passkeys"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1023), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    """COSE-encoded, as the authenticator gave it at registration."""
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    """The authenticator's counter at the last sign-in: one that goes backwards is a clone."""
    name: Mapped[str] = mapped_column(String(100))
    transports: Mapped[str] = mapped_column(String(200), default="")
    """Space-separated hints (usb, nfc, internal, hybrid, ...), as the browser reported them."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)


class WebauthnChallenge(IdMixin, Base):
    """A challenge handed to the browser for one ceremony: taken once (deleted by the request
    that uses it), and only before it expires."""

    __tablename__ = "webauthn_challenges"

    challenge: Mapped[bytes] = mapped_column(LargeBinary(64))
    user_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None, index=True
    )
    """The user registering a passkey; None for a sign-in (the passkey says who)."""
    purpose: Mapped[str] = mapped_column(String(16))
    """`register` or `authenticate`."""
    expires_at: Mapped[datetime] = mapped_column(index=True)
