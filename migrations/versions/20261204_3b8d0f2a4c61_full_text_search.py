"""Full-text search over tasks (title, description) and comments, kept by the database itself

SQLite: an FTS5 table (`search_fts`, unicode61 with diacritics removed) whose rows are named by
`search_documents` (one per task and per comment), filled by triggers on tasks and comments.
PostgreSQL: a `search_vector` column generated from the text on tasks and on comments, with a
GIN index each, in the text search configuration `tasklane` (simple + unaccent).
Either way the index changes in the transaction that changes the text (docs/architecture.md,
"Search"). Neither is in the ORM's metadata: migrations/env.py leaves them out of
autogenerate.

Revision ID: 3b8d0f2a4c61
Revises: 7c3e5a9d1f42
Create Date: 2026-12-04 19:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3b8d0f2a4c61"
down_revision: str | None = "7c3e5a9d1f42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE_UP = [
    """CREATE TABLE search_documents (
        id INTEGER PRIMARY KEY,
        task_id CHAR(32) NOT NULL,
        comment_id CHAR(32) NOT NULL DEFAULT '',
        UNIQUE (task_id, comment_id)
    )""",
    """CREATE VIRTUAL TABLE search_fts USING fts5(
        title, body, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
    )""",
    """CREATE TRIGGER search_task_insert AFTER INSERT ON tasks BEGIN
        INSERT INTO search_documents (task_id) VALUES (new.id);
        INSERT INTO search_fts (rowid, title, body)
        VALUES (last_insert_rowid(), new.title, new.description);
    END""",
    """CREATE TRIGGER search_task_update AFTER UPDATE OF title, description ON tasks BEGIN
        UPDATE search_fts SET title = new.title, body = new.description
        WHERE rowid = (
            SELECT id FROM search_documents WHERE task_id = new.id AND comment_id = ''
        );
    END""",
    """CREATE TRIGGER search_task_delete AFTER DELETE ON tasks BEGIN
        DELETE FROM search_fts
        WHERE rowid IN (SELECT id FROM search_documents WHERE task_id = old.id);
        DELETE FROM search_documents WHERE task_id = old.id;
    END""",
    """CREATE TRIGGER search_comment_insert AFTER INSERT ON comments BEGIN
        INSERT INTO search_documents (task_id, comment_id) VALUES (new.task_id, new.id);
        INSERT INTO search_fts (rowid, title, body) VALUES (last_insert_rowid(), '', new.body);
    END""",
    """CREATE TRIGGER search_comment_update AFTER UPDATE OF body ON comments BEGIN
        UPDATE search_fts SET body = new.body
        WHERE rowid = (
            SELECT id FROM search_documents WHERE task_id = new.task_id AND comment_id = new.id
        );
    END""",
    """CREATE TRIGGER search_comment_delete AFTER DELETE ON comments BEGIN
        DELETE FROM search_fts
        WHERE rowid = (
            SELECT id FROM search_documents WHERE task_id = old.task_id AND comment_id = old.id
        );
        DELETE FROM search_documents WHERE task_id = old.task_id AND comment_id = old.id;
    END""",
    # What is there already: tasks first, then comments, in a stable order.
    "INSERT INTO search_documents (task_id) SELECT id FROM tasks ORDER BY id",
    """INSERT INTO search_fts (rowid, title, body)
    SELECT d.id, t.title, t.description FROM search_documents d JOIN tasks t ON t.id = d.task_id
    WHERE d.comment_id = ''""",
    """INSERT INTO search_documents (task_id, comment_id)
    SELECT task_id, id FROM comments ORDER BY id""",
    """INSERT INTO search_fts (rowid, title, body)
    SELECT d.id, '', c.body FROM search_documents d JOIN comments c ON c.id = d.comment_id""",
]

_SQLITE_DOWN = [
    "DROP TRIGGER search_comment_delete",
    "DROP TRIGGER search_comment_update",
    "DROP TRIGGER search_comment_insert",
    "DROP TRIGGER search_task_delete",
    "DROP TRIGGER search_task_update",
    "DROP TRIGGER search_task_insert",
    "DROP TABLE search_fts",
    "DROP TABLE search_documents",
]

# PostgreSQL's parser reads e-mail addresses, host names, paths, version numbers and tags as
# single tokens (`a@b.io` is one lexeme, `<div>` none, the `-1` of `a-1` a signed number),
# where FTS5 and the search box see words: these characters become spaces before parsing, so
# both engines split alike.
_PG_WORDS = "translate({}, '.@/:_<>&\\-+', '           ')"
_PG_TASK = (
    f"setweight(to_tsvector('tasklane'::regconfig, {_PG_WORDS.format('title')}), 'A')"
    f" || setweight(to_tsvector('tasklane'::regconfig, {_PG_WORDS.format('description')}), 'B')"
)
_PG_COMMENT = f"setweight(to_tsvector('tasklane'::regconfig, {_PG_WORDS.format('body')}), 'C')"

_PG_UP = [
    # A trusted extension (PostgreSQL 13+): the database's owner may create it.
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE TEXT SEARCH CONFIGURATION tasklane (COPY = pg_catalog.simple)",
    """ALTER TEXT SEARCH CONFIGURATION tasklane
        ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple""",
    f"ALTER TABLE tasks ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({_PG_TASK}) STORED",
    "CREATE INDEX ix_tasks_search_vector ON tasks USING gin (search_vector)",
    "ALTER TABLE comments ADD COLUMN search_vector tsvector"
    f" GENERATED ALWAYS AS ({_PG_COMMENT}) STORED",
    "CREATE INDEX ix_comments_search_vector ON comments USING gin (search_vector)",
]

_PG_DOWN = [
    "DROP INDEX ix_comments_search_vector",
    "ALTER TABLE comments DROP COLUMN search_vector",
    "DROP INDEX ix_tasks_search_vector",
    "ALTER TABLE tasks DROP COLUMN search_vector",
    "DROP TEXT SEARCH CONFIGURATION tasklane",
]


def _run(statements: list[str]) -> None:
    # As written: `text()` would read `:_` in the translation as a parameter.
    connection = op.get_bind()
    for statement in statements:
        connection.exec_driver_sql(statement)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    _run(_SQLITE_UP if sqlite else _PG_UP)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    _run(_SQLITE_DOWN if sqlite else _PG_DOWN)
