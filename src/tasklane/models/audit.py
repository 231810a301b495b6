from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tasklane.kit.clock import utcnow
from tasklane.kit.sqltypes import JSONType
from tasklane.models.base import Base


class AuditEntry(Base):
    """One row of the audit log (tasklane.audit): who did what security-relevant thing, when,
    from where. Rows are hash-chained in `seq` order: `hash` covers the row's content and
    `prev_hash`, the previous row's `hash`. No foreign keys: a row stays readable (the actor's
    e-mail address is kept as text) after the user or workspace is deleted."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_workspace_id_seq", "workspace_id", "seq"),
        Index("ix_audit_log_actor_id_seq", "actor_id", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[UUID | None] = mapped_column(Uuid, default=None)
    actor_email: Mapped[str | None] = mapped_column(String(320), default=None)
    workspace_id: Mapped[UUID | None] = mapped_column(Uuid, default=None)
    action: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64), default=None)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
