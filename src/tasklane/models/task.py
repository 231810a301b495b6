from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import Float, ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tasklane.kit.clock import utcnow
from tasklane.kit.sqltypes import ordering_key
from tasklane.models.base import Base, IdMixin, TimestampMixin


class Task(IdMixin, TimestampMixin, Base):
    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("project_id", "number"),
        # A board column page reads (position, id) in order from it, with no sort.
        Index("ix_tasks_status_id_position_id", "status_id", "position", "id"),
        Index("ix_tasks_project_id_created_at", "project_id", "created_at"),
        Index("ix_tasks_project_id_updated_at", "project_id", "updated_at"),
        Index("ix_tasks_project_id_due_date", "project_id", "due_date"),
        # The insights of the present (status counts, workload) count a project's live tasks
        # per status with their estimates and list the first ids of each in (created_at, id)
        # order: every column they read, in that order, so neither reads the table nor sorts.
        Index(
            "ix_tasks_project_id_status_id_created_at",
            "project_id",
            "status_id",
            "created_at",
            "id",
            "deleted_at",
            "estimate",
        ),
    )

    project_id: Mapped[UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    attachment_names: Mapped[str] = mapped_column(Text, default="", server_default="")
    """The names of its files, one per line (tasklane.attachments keeps it): full-text search
    finds a task by them."""
    status_id: Mapped[UUID] = mapped_column(ForeignKey("statuses.id"))
    priority: Mapped[int] = mapped_column(SmallInteger, default=0)
    """0 none, 1 low, 2 medium, 3 high, 4 urgent: stored as a number so it sorts."""
    start_date: Mapped[date | None] = mapped_column(default=None)
    due_date: Mapped[date | None] = mapped_column(default=None)
    estimate: Mapped[float | None] = mapped_column(Float, default=None)
    parent_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("tasks.id", ondelete="SET NULL"), index=True, default=None
    )
    position: Mapped[str] = mapped_column(ordering_key())
    version: Mapped[int] = mapped_column(default=1)
    created_by: Mapped[UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)


class TaskAssignee(Base):
    __tablename__ = "task_assignees"

    task_id: Mapped[UUID] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class TaskLabel(Base):
    __tablename__ = "task_labels"

    task_id: Mapped[UUID] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    label_id: Mapped[UUID] = mapped_column(
        ForeignKey("labels.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class TaskWatcher(Base):
    __tablename__ = "task_watchers"

    task_id: Mapped[UUID] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class TaskRelation(IdMixin, Base):
    """A directed relation: source `blocks` target, source `relates_to` / `duplicates` target."""

    __tablename__ = "task_relations"
    __table_args__ = (UniqueConstraint("source_id", "target_id", "type"),)

    source_id: Mapped[UUID] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    target_id: Mapped[UUID] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
