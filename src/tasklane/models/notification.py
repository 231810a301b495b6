from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from tasklane.kit.clock import utcnow
from tasklane.kit.sqltypes import JSONType
from tasklane.models.base import Base, IdMixin


class Notification(IdMixin, Base):
    """One thing one person is told (tasklane.notifications). The workspace, project, task and
    comment it is about are plain ids, like an event's: a notification outlives what it names,
    and a consumer writing one must never fail on something deleted meanwhile."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "dedupe_key"),
        Index("ix_notifications_user_id_created_at", "user_id", "created_at"),
        Index("ix_notifications_email_pending", "email_due_at"),
    )

    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[UUID | None] = mapped_column(default=None)
    workspace_id: Mapped[UUID | None] = mapped_column(default=None)
    project_id: Mapped[UUID | None] = mapped_column(default=None)
    task_id: Mapped[UUID | None] = mapped_column(default=None)
    comment_id: Mapped[UUID | None] = mapped_column(default=None)
    summary: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    dedupe_key: Mapped[str] = mapped_column(String(160))
    """What makes it once-only: the event it came from (a repeat of the event is ignored), or
    for due-soon, the task and its due date."""
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    """The newest event folded into it (a burst of edits coalesces into one notification)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(default=None)
    archived_at: Mapped[datetime | None] = mapped_column(default=None)
    snoozed_until: Mapped[datetime | None] = mapped_column(default=None)
    email_due_at: Mapped[datetime | None] = mapped_column(default=None)
    """When it waits for an e-mail: now for "immediate", the next digest otherwise; None when
    no mail is owed (or it went)."""
    emailed_at: Mapped[datetime | None] = mapped_column(default=None)
    shown: Mapped[bool] = mapped_column(default=True, server_default=true())
    """False when the person turned this kind off in the app and it exists only to be mailed:
    in no box, never counted."""


class NotificationSettings(Base):
    """A person's choices, per notification type and channel; absent: the defaults."""

    __tablename__ = "notification_settings"

    user_id: Mapped[UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    channels: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    """{type: {"in_app": "off"|"immediate", "email": "off"|"immediate"|"digest"}}"""
    digest_hour: Mapped[int] = mapped_column(SmallInteger, default=8)
    last_digest_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationMute(Base):
    """A per-project override: `watching` mutes what comes only from watching (comments and
    status changes), `all` mutes everything from the project."""

    __tablename__ = "notification_mutes"

    user_id: Mapped[UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    level: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
