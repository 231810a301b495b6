"""workspace-level events: an index of a workspace's events that name no project

Revision ID: 493363d303a3
Revises: 4e8a2c6f1b53
Create Date: 2026-12-03 20:30:00

A cached page of a project's tasks is checked against the newest event of its project and the
newest event of its workspace that names no project (tasklane.kit.pagecache); this partial
index makes the second one probe.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "493363d303a3"
down_revision: str | None = "4e8a2c6f1b53"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_events_workspace_level_seq",
        "events",
        ["workspace_id", "seq"],
        unique=False,
        sqlite_where=sa.text("project_id IS NULL"),
        postgresql_where=sa.text("project_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_events_workspace_level_seq", table_name="events")
