from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tasklane.kit.clock import utcnow
from tasklane.models.base import Base, IdMixin


class SavedView(IdMixin, Base):
    """A named query of the query language with how to show it (tasklane.views): its owner's
    alone, or shared with everyone in the workspace."""

    __tablename__ = "saved_views"
    __table_args__ = (Index("ix_saved_views_workspace_id_name", "workspace_id", "name"),)

    workspace_id: Mapped[UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    owner_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), default=None
    )
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[str] = mapped_column(String(500), default="")
    layout: Mapped[str] = mapped_column(String(16), default="list")
    sort: Mapped[str] = mapped_column(String(16), default="-updated")
    group_by: Mapped[str | None] = mapped_column(String(16), default=None)
    shared: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
