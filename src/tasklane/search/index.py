"""Checking and rebuilding the full-text index (migration 3b8d0f2a4c61; docs/architecture.md,
"Search").

On SQLite the index is FTS5's copy of the text, kept by triggers: `drift` lists every way it
differs from the tasks and comments it comes from, and `reindex` rebuilds it from them. On
PostgreSQL the index is a generated column, which cannot differ from its row; `reindex`
rebuilds its GIN indexes."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.ext.asyncio import AsyncSession

BATCH = 2000
TASK_BODY = (
    "t.description"
    " || CASE WHEN t.attachment_names = '' THEN '' ELSE char(10) || t.attachment_names END"
)
"""A task's (`t`) FTS body: its description, then its files' names (migration 5f7b9d1e3a60)."""

_SQLITE_DRIFT = {
    "task not indexed": """
        SELECT t.id FROM tasks t
        LEFT JOIN search_documents d ON d.task_id = t.id AND d.comment_id = ''
        WHERE d.id IS NULL""",
    "comment not indexed": """
        SELECT c.id FROM comments c
        LEFT JOIN search_documents d ON d.task_id = c.task_id AND d.comment_id = c.id
        WHERE d.id IS NULL""",
    "indexed text differs from the task": f"""
        SELECT t.id FROM tasks t
        JOIN search_documents d ON d.task_id = t.id AND d.comment_id = ''
        JOIN search_fts f ON f.rowid = d.id
        WHERE f.title IS NOT t.title OR f.body IS NOT {TASK_BODY}""",  # noqa: S608 - constant
    "indexed text differs from the comment": """
        SELECT c.id FROM comments c
        JOIN search_documents d ON d.task_id = c.task_id AND d.comment_id = c.id
        JOIN search_fts f ON f.rowid = d.id
        WHERE f.body IS NOT c.body OR f.title != ''""",
    "entry for nothing": """
        SELECT d.id FROM search_documents d
        LEFT JOIN tasks t ON t.id = d.task_id
        LEFT JOIN comments c ON c.id = d.comment_id
        WHERE t.id IS NULL OR (d.comment_id != '' AND c.id IS NULL)""",
    "text without an entry": """
        SELECT f.rowid FROM search_fts f
        LEFT JOIN search_documents d ON d.id = f.rowid
        WHERE d.id IS NULL""",
    "entry without text": """
        SELECT d.id FROM search_documents d
        LEFT JOIN search_fts f ON f.rowid = d.id
        WHERE f.rowid IS NULL""",
}


async def drift(session: AsyncSession) -> list[str]:
    """How the index differs from the text, one line per difference (at most 20 per kind);
    empty when it is exact. FTS5's own integrity check runs too (its inverted index against
    its copy of the text)."""
    if session.get_bind().dialect.name != "sqlite":
        return []
    found: list[str] = []
    for what, sql in _SQLITE_DRIFT.items():
        rows = (await session.execute(text(sql + " LIMIT 20"))).scalars().all()
        found += [f"{what}: {row}" for row in rows]
    try:
        await session.execute(
            text("INSERT INTO search_fts (search_fts, rank) VALUES ('integrity-check', 1)")
        )
    except DatabaseError as exc:  # how SQLite reports a corrupt FTS index
        found.append(f"full-text index corrupt: {exc}")
    return found


_SQLITE_BATCHES = (
    (
        "SELECT id FROM tasks WHERE id > :after ORDER BY id LIMIT :n",
        (
            """INSERT INTO search_documents (task_id)
            SELECT id FROM tasks WHERE id > :after AND id <= :last ORDER BY id""",
            f"""INSERT INTO search_fts (rowid, title, body)
            SELECT d.id, t.title, {TASK_BODY}
            FROM tasks t JOIN search_documents d ON d.task_id = t.id AND d.comment_id = ''
            WHERE t.id > :after AND t.id <= :last""",  # noqa: S608 - constant SQL
        ),
    ),
    (
        "SELECT id FROM comments WHERE id > :after ORDER BY id LIMIT :n",
        (
            """INSERT INTO search_documents (task_id, comment_id)
            SELECT task_id, id FROM comments WHERE id > :after AND id <= :last ORDER BY id""",
            """INSERT INTO search_fts (rowid, title, body)
            SELECT d.id, '', c.body
            FROM comments c
            JOIN search_documents d ON d.task_id = c.task_id AND d.comment_id = c.id
            WHERE c.id > :after AND c.id <= :last""",
        ),
    ),
)
"""The next batch of ids, and for it (`after` < id <= `last`) the entries, then their text."""

Progress = Callable[[int, int], None]
"""Called with (done, total) as a rebuild goes."""


async def reindex(session: AsyncSession, progress: Progress | None = None) -> int:
    """Rebuild the index from the tasks and comments, in the session's transaction (writers
    wait meanwhile; readers go on seeing the old index until it commits). Returns how many
    tasks and comments it holds."""
    report = progress or (lambda done, total: None)
    if session.get_bind().dialect.name != "sqlite":
        for index in ("ix_tasks_search_vector", "ix_comments_search_vector"):
            await session.execute(text(f"REINDEX INDEX {index}"))
        count = await session.scalar(
            text("SELECT (SELECT count(*) FROM tasks) + (SELECT count(*) FROM comments)")
        )
        report(int(count or 0), int(count or 0))
        return int(count or 0)
    await session.execute(text("DELETE FROM search_fts"))
    await session.execute(text("DELETE FROM search_documents"))
    total = int(
        await session.scalar(
            text("SELECT (SELECT count(*) FROM tasks) + (SELECT count(*) FROM comments)")
        )
        or 0
    )
    done = 0
    report(done, total)
    for ids_sql, batch_sql in _SQLITE_BATCHES:
        after = ""
        while True:
            rows = (
                await session.execute(
                    text(ids_sql),
                    {"after": after, "n": BATCH},
                )
            ).all()
            if not rows:
                break
            last = rows[-1][0]
            for statement in batch_sql:
                await session.execute(text(statement), {"after": after, "last": last})
            done += len(rows)
            report(done, total)
            after = last
    await session.execute(text("INSERT INTO search_fts (search_fts) VALUES ('optimize')"))
    return total
