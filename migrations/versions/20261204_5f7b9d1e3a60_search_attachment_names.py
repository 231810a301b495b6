"""search attachment names: a task is found by the names of its files

`tasks.attachment_names` (one name per line, kept by tasklane.attachments) joins the task's
description in the full-text index: SQLite's triggers put it in the FTS body after the
description; PostgreSQL's generated `search_vector` weighs it like the description (B).

Revision ID: 5f7b9d1e3a60
Revises: 4e6a8c0b2d57
Create Date: 2026-12-04 23:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5f7b9d1e3a60"
down_revision: str | None = "4e6a8c0b2d57"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ADD = "ALTER TABLE tasks ADD COLUMN attachment_names TEXT DEFAULT '' NOT NULL"
_DROP = "ALTER TABLE tasks DROP COLUMN attachment_names"

_BODY = (
    "new.description"
    " || CASE WHEN new.attachment_names = '' THEN '' ELSE char(10) || new.attachment_names END"
)
"""The FTS body of a task: its description, then its files' names on the next line."""

_SQLITE_UP = [
    _ADD,
    "DROP TRIGGER search_task_insert",
    "DROP TRIGGER search_task_update",
    f"""CREATE TRIGGER search_task_insert AFTER INSERT ON tasks BEGIN
        INSERT INTO search_documents (task_id) VALUES (new.id);
        INSERT INTO search_fts (rowid, title, body)
        VALUES (last_insert_rowid(), new.title, {_BODY});
    END""",  # noqa: S608 - constant SQL
    f"""CREATE TRIGGER search_task_update
        AFTER UPDATE OF title, description, attachment_names ON tasks BEGIN
        UPDATE search_fts SET title = new.title, body = {_BODY}
        WHERE rowid = (
            SELECT id FROM search_documents WHERE task_id = new.id AND comment_id = ''
        );
    END""",  # noqa: S608 - constant SQL
]

_SQLITE_DOWN = [
    "DROP TRIGGER search_task_insert",
    "DROP TRIGGER search_task_update",
    # The names leave the index with the column.
    """UPDATE search_fts SET body = (
        SELECT t.description FROM search_documents d JOIN tasks t ON t.id = d.task_id
        WHERE d.id = search_fts.rowid
    ) WHERE rowid IN (SELECT id FROM search_documents WHERE comment_id = '')""",
    _DROP,
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
]

# As in 3b8d0f2a4c61: these characters become spaces, so both engines split words alike.
_PG_WORDS = "translate({}, '.@/:_<>&\\-+', '           ')"


def _pg_task(*described: str) -> str:
    parts = [f"setweight(to_tsvector('tasklane'::regconfig, {_PG_WORDS.format('title')}), 'A')"]
    parts += [
        f"setweight(to_tsvector('tasklane'::regconfig, {_PG_WORDS.format(column)}), 'B')"
        for column in described
    ]
    return " || ".join(parts)


def _pg_vector(expression: str) -> list[str]:
    return [
        "DROP INDEX ix_tasks_search_vector",
        "ALTER TABLE tasks DROP COLUMN search_vector",
        f"ALTER TABLE tasks ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({expression}) STORED",
        "CREATE INDEX ix_tasks_search_vector ON tasks USING gin (search_vector)",
    ]


_PG_UP = [_ADD, *_pg_vector(_pg_task("description", "attachment_names"))]
_PG_DOWN = [*_pg_vector(_pg_task("description")), _DROP]


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
