"""jobs and consumer positions

Revision ID: 00a616bfce88
Revises: b3516b00622c
Create Date: 2026-11-23 18:43:27.502438
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tasklane.kit.sqltypes

revision: str = "00a616bfce88"
down_revision: str | None = "b3516b00622c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consumer_positions",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", tasklane.kit.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_consumer_positions")),
    )
    op.create_table(
        "jobs",
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_at", tasklane.kit.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("unique_key", sa.String(length=200), nullable=True),
        sa.Column("locked_by", sa.String(length=100), nullable=True),
        sa.Column("locked_until", tasklane.kit.sqltypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", tasklane.kit.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tasklane.kit.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", tasklane.kit.sqltypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("unique_key", name=op.f("uq_jobs_unique_key")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jobs_finished_at"), ["finished_at"], unique=False)
        batch_op.create_index("ix_jobs_status_run_at", ["status", "run_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_status_run_at")
        batch_op.drop_index(batch_op.f("ix_jobs_finished_at"))
    op.drop_table("jobs")
    op.drop_table("consumer_positions")
