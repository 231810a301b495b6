"""search vocabulary: the words of SQLite's full-text index, to expand a typed prefix

An `fts5vocab` table over `search_fts` (one row per distinct word). Search looks up the words a
long prefix stands for (`timeout` being typed: timeout, timeouts) and highlights its page's
snippets with them: FTS5 serves a prefix of 2 or 3 characters from its prefix indexes, but a
longer one is expanded anew for every row it is matched against. PostgreSQL: nothing to do.

Revision ID: 8d0f2a4c6e91
Revises: 7c9e1b3d5f80
Create Date: 2026-12-05 02:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "8d0f2a4c6e91"
down_revision: str | None = "7c9e1b3d5f80"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE search_vocab USING fts5vocab(search_fts, row)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE search_vocab")
