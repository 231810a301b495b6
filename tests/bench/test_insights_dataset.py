"""The insights stage's dataset (bench/insights.py) is what the app would have written: its
task transitions equal a rebuild from its event log, and each task is where its rows say."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from bench.insights import FLOW_SMOKE
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from tasklane.insights import transitions
from tasklane.models import TaskTransition
from tests.bench.building import built_twice, same_rows, scalar


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return built_twice(FLOW_SMOKE, tmp_path_factory)


def test_the_same_spec_gives_the_same_rows(built: list[str]) -> None:
    assert same_rows(built)


async def _transitions(session: AsyncSession) -> list[tuple[Any, ...]]:
    t = TaskTransition
    rows = await session.execute(
        select(t.task_id, t.project_id, t.status_id, t.category, t.at).order_by(
            t.task_id, t.at, t.id
        )
    )
    return [tuple(row) for row in rows.all()]


async def _rebuilt(url: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    engine = create_async_engine(url)
    try:
        async with AsyncSession(engine) as session:
            loaded = await _transitions(session)
            await transitions.rebuild(session)
            rebuilt = await _transitions(session)
            await session.rollback()
    finally:
        await engine.dispose()
    return loaded, rebuilt


def test_transitions_equal_a_rebuild_from_the_log(built: list[str]) -> None:
    loaded, rebuilt = asyncio.run(_rebuilt(built[0]))
    assert len(loaded) > FLOW_SMOKE.tasks
    assert rebuilt == loaded


@pytest.mark.parametrize(
    ("check", "sql"),
    [
        (
            "a task's last row is its status now, unless a deletion moved it since",
            "SELECT count(*) FROM tasks t WHERE t.status_id != (SELECT r.status_id FROM "
            "task_transitions r WHERE r.task_id = t.id ORDER BY r.at DESC, r.id DESC LIMIT 1) "
            "AND t.completed_at IS NULL",
        ),
        (
            "completed exactly when in a done status",
            "SELECT count(*) FROM tasks t JOIN statuses s ON s.id = t.status_id "
            "WHERE (s.category = 'done') != (t.completed_at IS NOT NULL)",
        ),
        (
            "every status change has its event",
            "SELECT (SELECT count(*) FROM task_transitions) - (SELECT count(*) FROM events "
            "WHERE type = 'task.created' OR (type IN ('task.moved', 'task.updated') "
            "AND data LIKE '%status_id%'))",
        ),
        (
            "the workflow changed under the tasks",
            "SELECT 3 - count(*) FROM events WHERE type IN ('status.updated', 'status.deleted')",
        ),
    ],
)
def test_invariants(built: list[str], check: str, sql: str) -> None:
    assert asyncio.run(scalar(built[0], sql)) == 0, check
