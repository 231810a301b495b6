"""search title index: the first tier of a search found from titles alone (PostgreSQL)

Search ranks the tasks whose title holds every word first (tasklane.search.queries). A GIN
index on the title's own text-search vector finds them without reading every task that
mentions a common word somewhere. SQLite's FTS5 index already filters by column: nothing to
do there.

Revision ID: 7c9e1b3d5f80
Revises: 5f7b9d1e3a60
Create Date: 2026-12-05 01:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7c9e1b3d5f80"
down_revision: str | None = "5f7b9d1e3a60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As in 3b8d0f2a4c61: these characters become spaces, so both engines split words alike.
_PG_TITLE = "to_tsvector('tasklane'::regconfig, translate(title, '.@/:_<>&\\-+', '           '))"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # As written: `text()` would read `:_` in the translation as a parameter.
        op.get_bind().exec_driver_sql(
            f"CREATE INDEX ix_tasks_title_vector ON tasks USING gin ({_PG_TITLE})"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.get_bind().exec_driver_sql("DROP INDEX ix_tasks_title_vector")
