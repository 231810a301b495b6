"""account preferences: handle, avatar colour, time zone, theme

Revision ID: 9c4f1a6b2d37
Revises: 5c1e0a7d9b21
Create Date: 2026-12-02 20:10:00

All four are optional or defaulted, so existing accounts need no backfill.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9c4f1a6b2d37"
down_revision: str | None = "5c1e0a7d9b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handle", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("avatar_color", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("time_zone", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("theme", sa.String(length=8), server_default="system", nullable=False)
        )
        batch_op.create_unique_constraint(batch_op.f("uq_users_handle"), ["handle"])


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_handle"), type_="unique")
        batch_op.drop_column("theme")
        batch_op.drop_column("time_zone")
        batch_op.drop_column("avatar_color")
        batch_op.drop_column("handle")
