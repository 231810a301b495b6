from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tasklane.kit.clock import utcnow
from tasklane.kit.sqltypes import JSONType
from tasklane.models.base import Base, IdMixin


class ArchiveRun(IdMixin):
    """What an export and an import share: who started it, its state, why it failed."""

    created_by: Mapped[UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True, default=None
    )
    state: Mapped[str] = mapped_column(String(16), default="queued")
    filename: Mapped[str] = mapped_column(String(255))
    summary: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class WorkspaceExport(ArchiveRun, Base):
    """A workspace archive made for its owners through the API (tasklane.archive.service): a
    job writes it, the file is kept in the attachments' store (object `w/<id>`) until the
    housekeeping removes it (TASKLANE_ARCHIVE_KEEP, TASKLANE_ARCHIVE_RETENTION_DAYS)."""

    __tablename__ = "workspace_exports"
    __table_args__ = (
        Index("ix_workspace_exports_workspace_id_created_at", "workspace_id", "created_at"),
    )

    workspace_id: Mapped[UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    size: Mapped[int | None] = mapped_column(BigInteger, default=None)
    """The archive's bytes, once it is done (`summary`: the rows and files it holds)."""


class WorkspaceImport(ArchiveRun, Base):
    """An uploaded workspace archive becoming a new workspace (tasklane.archive.service): the
    file waits in the attachments' store (object `w/<id>`) until the job has imported it."""

    __tablename__ = "workspace_imports"
    __table_args__ = (Index("ix_workspace_imports_created_at", "created_at"),)

    size: Mapped[int] = mapped_column(BigInteger)
    slug: Mapped[str | None] = mapped_column(String(64), default=None)
    """The slug asked for; none: the archive's (or the next free one like it)."""
    source: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    """What the archive's manifest says of its workspace (name, slug), its version and rows."""
    workspace_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("workspaces.id", ondelete="SET NULL"), index=True, default=None
    )
    """The workspace made, once done (`summary`: what the import made)."""
