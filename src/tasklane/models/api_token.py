from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from tasklane.kit.clock import utcnow
from tasklane.models.base import Base, IdMixin


class ApiToken(IdMixin, Base):
    """A personal API token: a user's long-lived credential for scripts, limited by its scopes
    (tasklane.authz.scopes). Only the SHA-256 of the secret is kept; it has 256 bits of
    entropy, so a fast hash is enough."""

    __tablename__ = "api_tokens"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    """The secret's first characters, shown so a person can tell tokens apart."""
    scopes: Mapped[str] = mapped_column(String(64))
    """Space-separated scope names, as granted (tasklane.authz.scopes)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
