from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from tasklane.kit.clock import utcnow
from tasklane.kit.sqltypes import JSONType
from tasklane.models.base import Base, IdMixin


class Webhook(IdMixin, Base):
    """A receiver of a workspace's events (tasklane.webhooks). The secret signs every delivery
    (Standard Webhooks); it must be kept to sign, so it is stored as it is shown once."""

    __tablename__ = "webhooks"

    workspace_id: Mapped[UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), default=None
    )
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(500), default="")
    event_types: Mapped[list[str]] = mapped_column(JSONType, default=list)
    secret: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    created_by: Mapped[UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    sending_by: Mapped[str | None] = mapped_column(String(120), default=None)
    sending_until: Mapped[datetime | None] = mapped_column(default=None)
    """The sender that holds this webhook's queue, and until when: deliveries go one at a
    time, in order."""


class WebhookDelivery(IdMixin, Base):
    """One message to one webhook, with its last attempt. Ids are time-ordered: a webhook's
    deliveries go in id order. `manual` ones (a redelivery, a replay, a test ping) repeat a
    message; the others are one per event."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index(
            "ix_webhook_deliveries_one_per_event",
            "webhook_id",
            "event_seq",
            unique=True,
            sqlite_where=text("NOT manual"),
            postgresql_where=text("NOT manual"),
        ),
        Index("ix_webhook_deliveries_webhook_id_status_id", "webhook_id", "status", "id"),
    )

    webhook_id: Mapped[UUID] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(64))
    """The `webhook-id` header: the same for every attempt and redelivery of a message, so
    receivers can drop repeats."""
    event_seq: Mapped[int | None] = mapped_column(BigInteger, default=None)
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    manual: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """pending, delivered, or failed (given up, or refused for good)."""
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    last_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    request_headers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    response_status: Mapped[int | None] = mapped_column(default=None)
    response_body: Mapped[str | None] = mapped_column(Text, default=None)
    duration_ms: Mapped[int | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(String(1000), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
