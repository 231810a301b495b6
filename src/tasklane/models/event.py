from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, Index, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from tasklane.kit.clock import utcnow
from tasklane.kit.sqltypes import JSONType
from tasklane.models.base import Base


class Event(Base):
    """The activity log and the outbox. `seq` is handed out at commit time, under one counter
    row on PostgreSQL and under the file's write lock on SQLite (events.service), so sequence
    order is commit order and there are no gaps. No foreign keys: the log outlives what it
    describes."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_task_id_seq", "task_id", "seq"),
        Index("ix_events_project_id_seq", "project_id", "seq"),
        Index("ix_events_workspace_id_seq", "workspace_id", "seq"),
        # The newest event of a workspace that names no project (a member removed, and with
        # them their assignments in every project): a cached page's validator reads it.
        Index(
            "ix_events_workspace_level_seq",
            "workspace_id",
            "seq",
            sqlite_where=text("project_id IS NULL"),
            postgresql_where=text("project_id IS NULL"),
        ),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[UUID | None] = mapped_column(Uuid, default=None)
    workspace_id: Mapped[UUID | None] = mapped_column(Uuid, default=None)
    project_id: Mapped[UUID | None] = mapped_column(Uuid, default=None)
    task_id: Mapped[UUID | None] = mapped_column(Uuid, default=None)
    entity_id: Mapped[UUID | None] = mapped_column(Uuid, default=None)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class Counter(Base):
    """Named monotonic counters (`events` on PostgreSQL, where SQLite numbers events from the
    log itself; `presence`). One row each; taken with UPDATE ... RETURNING."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class IdempotencyRecord(Base):
    """The first response to a creating POST sent with an Idempotency-Key, kept for replay."""

    __tablename__ = "idempotency_records"

    user_id: Mapped[UUID] = mapped_column(Uuid, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    body: Mapped[bytes]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
