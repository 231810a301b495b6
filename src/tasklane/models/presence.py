from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tasklane.models.base import Base


class PresenceEntry(Base):
    """One WebSocket connection viewing one room (`project:<id>` or `task:<id>`), shared by
    every app process when Redis is not configured. Its process pushes `expires_at` forward
    every few seconds; the entries of a process that died expire and are swept away."""

    __tablename__ = "presence"

    room: Mapped[str] = mapped_column(String(64), primary_key=True)
    member: Mapped[str] = mapped_column(String(64), primary_key=True)
    """`<process token>:<connection id>`: one entry per connection and room."""
    user_id: Mapped[UUID] = mapped_column(Uuid)
    name: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(index=True)
