from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from tasklane.models.base import Base, IdMixin, TimestampMixin


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    """Stored lower-cased, so uniqueness is case-insensitive on every database."""
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    password_changed_at: Mapped[datetime | None] = mapped_column(default=None)
    handle: Mapped[str | None] = mapped_column(String(32), unique=True, default=None)
    """Stored lower-cased like the e-mail address; optional (NULLs do not collide)."""
    avatar_color: Mapped[str | None] = mapped_column(String(16), default=None)
    """A palette name or #rrggbb; None lets the web app pick one from the id."""
    time_zone: Mapped[str | None] = mapped_column(String(64), default=None)
    """An IANA name; None means the browser's own."""
    theme: Mapped[str] = mapped_column(String(8), default="system", server_default="system")
