from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from tasklane.kit.clock import utcnow
from tasklane.models.base import Base, IdMixin, TimestampMixin


class Workspace(IdMixin, TimestampMixin, Base):
    __tablename__ = "workspaces"

    name: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    require_mfa: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Members without two-factor sign-in can do nothing in the workspace until they turn it
    on (tasklane.authz.access)."""
    require_sso: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Members sign in only through the installation's single sign-on: their other sessions
    end when it is turned on, and a password or passkey sign-in is refused
    (tasklane.auth.service)."""


class WorkspaceMember(Base):
    __tablename__ = "workspace_members"

    workspace_id: Mapped[UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkspaceInvitation(IdMixin, Base):
    """A pending invitation: nobody joins a workspace without accepting. Kept apart from
    `workspace_members`, so every authorisation read of memberships ignores it, and keyed by
    e-mail, so someone without an account yet can be invited."""

    __tablename__ = "workspace_invitations"
    __table_args__ = (UniqueConstraint("workspace_id", "email"),)

    workspace_id: Mapped[UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320), index=True)
    """Lower case, as `users.email`."""
    role: Mapped[str] = mapped_column(String(16))
    invited_by: Mapped[UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    """Past it the invitation cannot be accepted and is no longer pending."""
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    """SHA-256 of the link's secret, which is shown once. None for invitations made before
    links existed: they are accepted by id only."""
