from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tasklane.kit.clock import utcnow
from tasklane.models.base import Base, IdMixin


class Attachment(IdMixin, Base):
    """A file on a task (or on one of its comments), kept in the storage under a key made of
    its id (tasklane.attachments.storage). A `pending` one is a direct upload that was handed
    a link and not completed yet: it holds what was declared, counts against the quota, and is
    swept once its link expired."""

    __tablename__ = "attachments"
    __table_args__ = (
        Index("ix_attachments_task_id_created_at", "task_id", "created_at"),
        Index("ix_attachments_workspace_id_state", "workspace_id", "state"),
    )

    workspace_id: Mapped[UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    task_id: Mapped[UUID] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    comment_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("comments.id", ondelete="SET NULL"), default=None, index=True
    )
    state: Mapped[str] = mapped_column(String(8), default="ready")
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    width: Mapped[int | None] = mapped_column(default=None)
    height: Mapped[int | None] = mapped_column(default=None)
    thumbnail: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    """A pending upload's link stops working then."""
