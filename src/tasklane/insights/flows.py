# ruff: noqa: S608 - statements made of this module's constants; values go as parameters
"""`task_flows`: each task's transition rows folded into one row (models/task_flow.py).

It is a function of `task_transitions` alone, kept by the database: a trigger on that table
refreshes the task of every row inserted, changed or deleted, in the statement that did it
(`record`, the trigger on `INSERT INTO tasks`, a rebuild, an archive import, a future move to
another project all write rows there). So it is exact whatever writes the rows and in whatever
order, and a rebuild (`rebuild`: every task's row from its transitions at once) equals it
(tests/insights/test_flows.py).

An INSERT into `task_flows` replaces the task's row (a trigger deletes the old one first): an
installation copy inserts the source's rows after the triggers wrote the target's own, and
both are the same function of the same transitions.

The SQL here is shared by the migration that made the table (20261205_5d1f0c7a9e42), which
creates the triggers and backfills with it. So it is frozen as that migration needs it: a
change to the triggers or the fold is a new migration that drops and creates them again (and
copies what it replaces into the old one's file, so a fresh installation still gets the old
ones first).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.kit.rawsql import Dialect

COLUMNS = "task_id, project_id, changed_at, category, first_start, finished_at, line"


def _entry(dialect: Dialect, alias: str) -> str:
    """One row of `line`: `at,status_id,category`, spelled alike by both databases (the time
    as SQLite keeps it and `histories.Clock.value` gives it, the id as 32 hex digits), so a
    copy between them (`migrate-to`, an installation archive) keeps it as it is."""
    if dialect == "sqlite":
        return f"{alias}.at || ',' || {alias}.status_id || ',' || {alias}.category"
    return (
        f"to_char(timezone('UTC', {alias}.at), 'YYYY-MM-DD HH24:MI:SS.US') || ',' || "
        f"replace({alias}.status_id::text, '-', '') || ',' || {alias}.category"
    )


def folded(dialect: Dialect, task: str) -> str:
    """A SELECT of the `task_flows` row of the task `task` names (an SQL expression), from
    its transitions (nothing when it has none)."""
    last = (
        "(SELECT l.{column} FROM task_transitions l WHERE l.task_id = {task} "
        "ORDER BY l.at DESC, l.id DESC LIMIT 1)"
    )
    if dialect == "sqlite":
        line = (
            f"(SELECT group_concat(e, ';') FROM (SELECT {_entry(dialect, 'r')} AS e "
            f"FROM task_transitions r WHERE r.task_id = {task} ORDER BY r.at, r.id))"
        )
    else:
        line = (
            f"(SELECT string_agg({_entry(dialect, 'r')}, ';' ORDER BY r.at, r.id) "
            f"FROM task_transitions r WHERE r.task_id = {task})"
        )
    category = last.format(column="category", task=task)
    return f"""
SELECT {task},
    {last.format(column="project_id", task=task)},
    {last.format(column="at", task=task)},
    {category},
    (SELECT min(s.at) FROM task_transitions s WHERE s.task_id = {task} AND s.category = 'started'),
    CASE WHEN {category} = 'done' THEN (
        SELECT min(d.at) FROM task_transitions d
        WHERE d.task_id = {task} AND d.category = 'done' AND NOT EXISTS (
            SELECT 1 FROM task_transitions o
            WHERE o.task_id = {task} AND o.category <> 'done'
                AND (o.at > d.at OR (o.at = d.at AND o.id > d.id))
        )
    ) END,
    {line}
"""


def triggers(dialect: Dialect) -> list[str]:
    """The statements that create the triggers keeping `task_flows`."""
    if dialect == "sqlite":

        def refresh(task: str) -> str:
            return (
                f"DELETE FROM task_flows WHERE task_id = {task};\n"
                f"    INSERT INTO task_flows ({COLUMNS}) {folded(dialect, task)}"
                f"    WHERE EXISTS (SELECT 1 FROM task_transitions WHERE task_id = {task});"
            )

        return [
            "CREATE TRIGGER task_flows_replace BEFORE INSERT ON task_flows\n"
            "BEGIN\n    DELETE FROM task_flows WHERE task_id = NEW.task_id;\nEND",
            "CREATE TRIGGER task_flows_on_insert AFTER INSERT ON task_transitions\n"
            f"BEGIN\n    {refresh('NEW.task_id')}\nEND",
            "CREATE TRIGGER task_flows_on_delete AFTER DELETE ON task_transitions\n"
            f"BEGIN\n    {refresh('OLD.task_id')}\nEND",
            "CREATE TRIGGER task_flows_on_update AFTER UPDATE ON task_transitions\n"
            f"BEGIN\n    {refresh('OLD.task_id')}\n    {refresh('NEW.task_id')}\nEND",
        ]
    return [
        "CREATE FUNCTION task_flows_refresh(task uuid) RETURNS void LANGUAGE sql AS $$\n"
        "    DELETE FROM task_flows WHERE task_id = task;\n"
        f"    INSERT INTO task_flows ({COLUMNS}) {folded(dialect, 'task')}"
        "    WHERE EXISTS (SELECT 1 FROM task_transitions WHERE task_id = task);\n$$",
        "CREATE FUNCTION task_flows_on_transition() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "    IF TG_OP <> 'INSERT' THEN PERFORM task_flows_refresh(OLD.task_id); END IF;\n"
        "    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.task_id <> OLD.task_id) THEN\n"
        "        PERFORM task_flows_refresh(NEW.task_id);\n"
        "    END IF;\n"
        "    RETURN NULL;\n"
        "END\n$$",
        "CREATE TRIGGER task_flows_on_transition AFTER INSERT OR UPDATE OR DELETE "
        "ON task_transitions FOR EACH ROW EXECUTE FUNCTION task_flows_on_transition()",
        "CREATE FUNCTION task_flows_replace() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "    DELETE FROM task_flows WHERE task_id = NEW.task_id;\n"
        "    RETURN NEW;\n"
        "END\n$$",
        "CREATE TRIGGER task_flows_replace BEFORE INSERT ON task_flows "
        "FOR EACH ROW EXECUTE FUNCTION task_flows_replace()",
    ]


DROP_TRIGGERS = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS task_flows_on_update",
        "DROP TRIGGER IF EXISTS task_flows_on_delete",
        "DROP TRIGGER IF EXISTS task_flows_on_insert",
        "DROP TRIGGER IF EXISTS task_flows_replace",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS task_flows_replace ON task_flows",
        "DROP TRIGGER IF EXISTS task_flows_on_transition ON task_transitions",
        "DROP FUNCTION IF EXISTS task_flows_replace()",
        "DROP FUNCTION IF EXISTS task_flows_on_transition()",
        "DROP FUNCTION IF EXISTS task_flows_refresh(uuid)",
    ],
}


def rebuild_statements(dialect: Dialect, projects: bool) -> list[str]:
    """Delete the rows of the tasks with transitions in the projects (`:projects`, a list of
    ids, when `projects`) or all, and write them again from the transitions at once."""
    if not projects:
        scope, owned = "", ""
    elif dialect == "sqlite":
        ids = "(SELECT value FROM json_each(:projects))"
        scope, owned = f" WHERE project_id IN {ids}", f" OR project_id IN {ids}"
    else:
        ids = "ANY(:projects)"
        scope, owned = f" WHERE project_id = {ids}", f" OR project_id = {ids}"
    tasks = f"SELECT DISTINCT task_id FROM task_transitions{scope}"
    return [
        f"DELETE FROM task_flows WHERE task_id IN ({tasks}){owned}" if projects
        else "DELETE FROM task_flows",
        f"INSERT INTO task_flows ({COLUMNS}) {folded(dialect, 'x.task_id')} FROM ({tasks}) x",
    ]  # fmt: skip


async def rebuild(session: AsyncSession, project_ids: Sequence[UUID] | None = None) -> int:
    """Write `task_flows` again from `task_transitions` (all projects, or these); the number of
    tasks written."""
    connection = await session.connection()
    dialect: Dialect = "sqlite" if connection.dialect.name == "sqlite" else "postgresql"
    params: dict[str, object] = {}
    if project_ids is not None:
        listed = [p.hex for p in project_ids]
        params["projects"] = json.dumps(listed) if dialect == "sqlite" else list(project_ids)
    count = 0
    for statement in rebuild_statements(dialect, project_ids is not None):
        result = await session.execute(text(statement), params if ":projects" in statement else {})
        count = int(getattr(result, "rowcount", 0) or 0)
    return count
