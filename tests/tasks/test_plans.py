"""The hot task reads keep index plans under PostgreSQL's generic plan.

asyncpg prepares each statement and, from its sixth execution, PostgreSQL may switch to a
generic plan that knows no parameter values. Such a plan once bitmap-ANDed the project and
status indexes and sorted whole columns (8 to 11 ms per list instead of under 1). This test
captures the statements that real requests run, prepares each one, forces the generic plan
and reads EXPLAIN: no sequential scan of tasks, and no sort of more rows than a page holds.
It reads plans, not timings. Sorting by due date or priority sorts the project's tasks (no
index serves those orders yet), and the workspace search looks for a substring of every
title, so those are not among the hot reads checked here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from tasklane.kit import rawsql
from tests.factories import Board, expect, make_project

# The benchmark's shape, where the old statements went wrong: one project of 10,000 tasks
# (2,000 per status), so the project condition selects every row and a status a fifth.
PROJECTS = 1
HOT_PER_STATUS = 2000
OTHER_PER_STATUS = 400  # per status of any other project (PROJECTS > 1)
PAGE = 50


@pytest.fixture
def backend() -> str:
    return "postgres"


def _plain_url(database_url: str) -> str:
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _fill(database_url: str, hot_project: str) -> None:
    """Tasks in every status of every project, then fresh statistics."""
    conn = await asyncpg.connect(_plain_url(database_url))
    try:
        await conn.execute(
            """
            INSERT INTO tasks (id, project_id, number, title, description, status_id, priority,
                               position, version, created_at, updated_at, due_date)
            SELECT gen_random_uuid(), s.project_id,
                   1000 + row_number() OVER (PARTITION BY s.project_id ORDER BY s.id, g),
                   'Filler ' || g, '', s.id, g % 5, 'a' || lpad(to_hex(g), 6, '0'), 1,
                   now() - g * interval '1 minute', now() - g * interval '1 minute',
                   CASE WHEN g % 3 = 0 THEN current_date + g % 90 END
            FROM statuses s,
                 generate_series(1, CASE WHEN s.project_id = $1 THEN $2::int ELSE $3::int END) AS g
            """,
            UUID(hot_project),
            HOT_PER_STATUS,
            OTHER_PER_STATUS,
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


class Captured:
    def __init__(self) -> None:
        self.statements: list[tuple[str, tuple[Any, ...]]] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "tasks" in statement:
            self.statements.append((statement, tuple(parameters or ())))


@pytest.fixture
def captured() -> Iterator[Captured]:
    listener = Captured()

    def raw(statement: str, parameters: Any) -> None:
        listener(None, None, statement, parameters)

    event.listen(Engine, "before_cursor_execute", listener)
    rawsql.listen(raw)
    try:
        yield listener
    finally:
        event.remove(Engine, "before_cursor_execute", listener)
        rawsql.unlisten(raw)


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, UUID | date | datetime):
        value = str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no literal for {type(value).__name__}")


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


async def _generic_plan(database_url: str, statement: str, params: tuple[Any, ...]) -> Any:
    conn = await asyncpg.connect(_plain_url(database_url))
    try:
        await conn.execute("SET plan_cache_mode = force_generic_plan")
        await conn.execute(f"PREPARE hot AS {statement}")
        args = ", ".join(_literal(p) for p in params)
        execute = f"EXECUTE hot({args})" if params else "EXECUTE hot"
        raw = await conn.fetchval(f"EXPLAIN (FORMAT JSON) {execute}")
        return json.loads(raw)[0]["Plan"]
    finally:
        await conn.close()


def _problems(plan: dict[str, Any]) -> list[str]:
    found = []
    for node in _nodes(plan):
        kind = node["Node Type"]
        if kind == "Seq Scan" and node.get("Relation Name") == "tasks":
            found.append("sequential scan of tasks")
        # An incremental sort on an index's order streams and stops at the LIMIT.
        if kind == "Sort" and node["Plan Rows"] > 4 * PAGE * 5:
            found.append(f"sort of {node['Plan Rows']} rows")
    return found


async def test_hot_task_reads_use_indexes_under_the_generic_plan(
    client: httpx.AsyncClient, board: Board, database_url: str, captured: Captured
) -> None:
    for n in range(PROJECTS - 1):
        await make_project(client, board.owner, board.workspace["id"], key=f"P{n}")
    await _fill(database_url, board.pid)
    h = board.owner.headers
    tasks = f"/api/v1/projects/{board.pid}/tasks"
    todo = board.statuses["Todo"]["id"]
    first = expect(await client.get(tasks, params={"limit": PAGE}, headers=h), 200)
    requests: list[tuple[str, dict[str, Any]]] = [
        (tasks, {"limit": PAGE, "cursor": first["next_cursor"]}),
        (tasks, {"limit": PAGE, "status_id": todo}),
        (tasks, {"limit": PAGE, "sort": "-updated"}),
        (tasks, {"limit": PAGE, "sort": "created"}),
        ("/api/v1/tasks/ENG-1500", {}),
        ("/api/v1/tasks/ENG-1500/activity", {}),
        (f"/api/v1/projects/{board.pid}/task-counts", {}),
        (f"/api/v1/projects/{board.pid}/task-counts", {"status_id": todo}),
        (f"/api/v1/projects/{board.pid}/task-counts", {"assignee_id": "none"}),
    ]
    for path, params in requests:
        expect(await client.get(path, params=params, headers=h), 200)
    assert len(captured.statements) >= len(requests)
    report = []
    for statement, params in captured.statements:
        plan = await _generic_plan(database_url, statement, params)
        for problem in _problems(plan):
            report.append(f"{problem} in:\n{statement}\n{json.dumps(plan, indent=1)[:3000]}")
    assert not report, "\n\n".join(report)
