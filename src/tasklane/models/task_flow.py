from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tasklane.models.base import Base


class TaskFlow(Base):
    """A task's transition rows folded into one row (tasklane.insights.flows, docs/metrics.md):
    derived from `task_transitions` alone by database triggers on that table, so every way a
    row is written, moved or removed keeps it exact, and `tasklane insights rebuild` writes it
    again from those rows. The flow metrics choose their tasks by its indexed columns and read
    a task's rows from `line` instead of walking `task_transitions`."""

    __tablename__ = "task_flows"
    __table_args__ = (
        # The tasks whose last transition is at or after a moment (cumulative flow and
        # burndown: the tasks that changed since; throughput, cycle and lead time: the tasks
        # that can have finished in a period).
        Index("ix_task_flows_project_id_changed_at", "project_id", "changed_at"),
    )

    task_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    """The project of the task's last row."""
    changed_at: Mapped[datetime]
    """When the task entered the status of its last row."""
    category: Mapped[str] = mapped_column(String(16))
    """The category its last row gave it."""
    first_start: Mapped[datetime | None]
    """Its first row in a started category."""
    finished_at: Mapped[datetime | None]
    """When its last row is in a done category: the first of its last run of done rows."""
    line: Mapped[str] = mapped_column(Text)
    """Every row in (at, id) order: `at,status_id,category` joined by `;`, spelled alike on
    both databases (the time as `YYYY-MM-DD HH:MM:SS.ffffff` UTC, the id as 32 hex digits)."""
