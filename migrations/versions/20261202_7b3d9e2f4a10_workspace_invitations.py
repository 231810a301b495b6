"""workspace invitations: nobody joins a workspace without accepting

Revision ID: 7b3d9e2f4a10
Revises: 9c4f1a6b2d37
Create Date: 2026-12-02 21:00:00

A new table only: existing memberships stay as they are.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tasklane.kit.sqltypes

revision: str = "7b3d9e2f4a10"
down_revision: str | None = "9c4f1a6b2d37"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workspace_invitations",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("invited_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", tasklane.kit.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invited_by"],
            ["users.id"],
            name=op.f("fk_workspace_invitations_invited_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_workspace_invitations_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspace_invitations")),
        sa.UniqueConstraint(
            "workspace_id", "email", name=op.f("uq_workspace_invitations_workspace_id_email")
        ),
    )
    with op.batch_alter_table("workspace_invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workspace_invitations_email"), ["email"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("workspace_invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workspace_invitations_email"))
    op.drop_table("workspace_invitations")
