from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tasklane.kit.clock import utcnow
from tasklane.kit.sqltypes import JSONType
from tasklane.models.base import Base, IdMixin


class ImportRun(IdMixin, Base):
    """One import of a file into a project (tasklane.imports): the file itself until the run
    ends, its progress, and the row-by-row report. The rows are written by a job."""

    __tablename__ = "import_runs"
    __table_args__ = (Index("ix_import_runs_project_id_created_at", "project_id", "created_at"),)

    project_id: Mapped[UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    created_by: Mapped[UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True, default=None
    )
    format: Mapped[str] = mapped_column(String(16), default="csv")
    filename: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default="queued")
    source: Mapped[str | None] = mapped_column(Text, default=None)
    """Only in runs queued before their files went to the store (tasklane.imports.source,
    `i/<run id>`): the file's text while the run may still need it; cleared once it ended.
    New runs leave it empty (a column kept for them: dropped in a later release)."""
    total_rows: Mapped[int] = mapped_column(default=0)
    rows_done: Mapped[int] = mapped_column(default=0)
    counts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    mapping: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    """What the source's statuses, people and labels were mapped to (Trello, Jira)."""
    report: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class ImportLink(Base):
    """Which task an imported row's external id became, so importing it again updates that
    task instead of making another. Written in the same transaction as the task."""

    __tablename__ = "import_links"

    project_id: Mapped[UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    external_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    task_id: Mapped[UUID] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
