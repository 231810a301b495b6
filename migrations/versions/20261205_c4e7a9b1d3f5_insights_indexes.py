"""insights indexes: the metrics of the present and the tasks finished in a period

`status-counts` and `workload` count a project's live tasks per status with their estimates
and list the first ids of each in (created_at, id) order: one index holds every column they
read, in that order (tasklane.insights.service). Throughput, cycle and lead time read only the
tasks that entered a status in the period: the transitions by project and time.

Revision ID: c4e7a9b1d3f5
Revises: b98dccff4b5b
Create Date: 2026-12-05 02:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c4e7a9b1d3f5"
down_revision: str | None = "b98dccff4b5b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_tasks_project_id_status_id_created_at",
        "tasks",
        ["project_id", "status_id", "created_at", "id", "deleted_at", "estimate"],
    )
    op.create_index("ix_task_transitions_project_id_at", "task_transitions", ["project_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_task_transitions_project_id_at", table_name="task_transitions")
    op.drop_index("ix_tasks_project_id_status_id_created_at", table_name="tasks")
