"""audit log: a hash-chained record of security-relevant actions

Revision ID: e8f0a2c4b6d9
Revises: d5b7e9f1a3c6
Create Date: 2026-12-04 06:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tasklane.kit.sqltypes

revision: str = "e8f0a2c4b6d9"
down_revision: str | None = "d5b7e9f1a3c6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", tasklane.kit.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_email", sa.String(length=320), nullable=True),
        sa.Column("workspace_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_actor_id_seq", ["actor_id", "seq"], unique=False)
        batch_op.create_index(
            "ix_audit_log_workspace_id_seq", ["workspace_id", "seq"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_workspace_id_seq")
        batch_op.drop_index("ix_audit_log_actor_id_seq")
    op.drop_table("audit_log")
