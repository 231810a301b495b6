from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tasklane.kit.clock import utcnow
from tasklane.models.base import Base, IdMixin


class UserIdentity(IdMixin, Base):
    """An account at the single sign-on provider linked to a Tasklane user: the provider's
    `iss` and `sub` name it for good (an e-mail address can change hands; these cannot)."""

    __tablename__ = "user_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(320))
    """The address the provider gave at the last sign-in."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(default=utcnow)


class OidcLogin(IdMixin, Base):
    """A sign-in sent to the provider and not back yet: the state (stored hashed), the nonce
    the ID token must carry and the PKCE verifier. The callback takes it by one conditional
    DELETE, so a state works once, and only before it expires."""

    __tablename__ = "oidc_logins"

    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(64))
    code_verifier: Mapped[str] = mapped_column(String(128))
    next_path: Mapped[str] = mapped_column(String(2000))
    expires_at: Mapped[datetime] = mapped_column(index=True)
