"""session addresses: where and when each sign-in session was last used

Revision ID: 2f6c8e1d0b95
Revises: 7d1e5b2a9c40
Create Date: 2026-12-03 23:58:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tasklane.kit.sqltypes

revision: str = "2f6c8e1d0b95"
down_revision: str | None = "7d1e5b2a9c40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ip", sa.String(length=45), nullable=True))
        batch_op.add_column(
            sa.Column(
                "last_used_at", tasklane.kit.sqltypes.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("ip")
