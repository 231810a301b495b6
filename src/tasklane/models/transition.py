from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from tasklane.models.base import Base
from tasklane.models.event import Event


class TaskTransition(Base):
    """A task entering a status, with the status's category at that moment (tasklane.insights,
    docs/metrics.md): written in the transaction of the change, and rebuilt from the event log
    by `tasklane.insights.transitions.rebuild`. The category is kept because the log cannot
    always tell it later: a status's category can change, and a deleted status is gone."""

    __tablename__ = "task_transitions"
    __table_args__ = (
        Index("ix_task_transitions_project_id_task_id_at", "project_id", "task_id", "at"),
        Index("ix_task_transitions_task_id_at", "task_id", "at"),
        # The tasks that entered a status in a period (the candidates for throughput, cycle
        # and lead time: tasklane.insights.service._finished_in).
        Index("ix_task_transitions_project_id_at", "project_id", "at"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    task_id: Mapped[UUID] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    project_id: Mapped[UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    status_id: Mapped[UUID] = mapped_column(Uuid)
    """No foreign key: the status may be deleted later, and the history stays."""
    category: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]


# The workflow changes of a project (a status moved to another category, a status deleted and
# its tasks moved) are read from the event log when a metric is computed: a short partial
# index keeps that read to those few events.
Index(
    "ix_events_project_id_seq_workflow",
    Event.project_id,
    Event.seq,
    sqlite_where=text("type IN ('status.updated', 'status.deleted')"),
    postgresql_where=text("type IN ('status.updated', 'status.deleted')"),
)
