from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tasklane.kit.clock import utcnow
from tasklane.kit.sqltypes import JSONType
from tasklane.models.base import Base, IdMixin


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Job(IdMixin, Base):
    """Work that must happen and may fail: run at least once, retried with backoff, and kept
    as `failed` after its last attempt so it can be replayed. A `running` job whose lease
    (`locked_until`) has passed belongs to a worker that died and may be claimed again."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_run_at", "status", "run_at"),)

    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int]
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    unique_key: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)
    """Enqueueing a second job with the same key does nothing (periodic jobs use a time slot)."""
    locked_by: Mapped[str | None] = mapped_column(String(100), default=None)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None, index=True)


class ConsumerPosition(Base):
    """How far each event consumer (the real-time publisher, later webhooks, notifications,
    search) has handled the event log. Advanced only after its batch was handled, so a crash
    resumes at the first unhandled event."""

    __tablename__ = "consumer_positions"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
