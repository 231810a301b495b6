"""presence: who views a project or task, shared by app processes without Redis

Revision ID: 4e8a2c6f1b53
Revises: 7b3d9e2f4a10
Create Date: 2026-12-03 05:00:00

A new table, and a `presence` counter that SQLite processes watch to hear of joins and leaves
(PostgreSQL processes hear of them through NOTIFY).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tasklane.kit.sqltypes

revision: str = "4e8a2c6f1b53"
down_revision: str | None = "7b3d9e2f4a10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "presence",
        sa.Column("room", sa.String(length=64), nullable=False),
        sa.Column("member", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("expires_at", tasklane.kit.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("room", "member", name=op.f("pk_presence")),
    )
    op.create_index(op.f("ix_presence_expires_at"), "presence", ["expires_at"], unique=False)
    counters = sa.table("counters", sa.column("name", sa.String), sa.column("value", sa.BigInteger))
    op.bulk_insert(counters, [{"name": "presence", "value": 0}])


def downgrade() -> None:
    op.execute("DELETE FROM counters WHERE name = 'presence'")
    op.drop_index(op.f("ix_presence_expires_at"), table_name="presence")
    op.drop_table("presence")
