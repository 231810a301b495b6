"""board columns read (status_id, position, id) from one index

Revision ID: 5c1e0a7d9b21
Revises: 00a616bfce88
Create Date: 2026-12-02 16:50:00

A page of a column orders by (position, id); with id in the index PostgreSQL's generic plan
reads the page in order instead of sorting the whole column.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5c1e0a7d9b21"
down_revision: str | None = "00a616bfce88"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_tasks_status_id_position_id", "tasks", ["status_id", "position", "id"], unique=False
    )
    op.drop_index("ix_tasks_status_id_position", table_name="tasks")


def downgrade() -> None:
    op.create_index("ix_tasks_status_id_position", "tasks", ["status_id", "position"], unique=False)
    op.drop_index("ix_tasks_status_id_position_id", table_name="tasks")
