"""Benchmark datasets are deterministic and keep the invariants the services keep."""

from __future__ import annotations

import asyncio

import pytest
from bench.datasets import SMOKE

from tests.bench.building import built_twice, same_rows, scalar


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return built_twice(SMOKE, tmp_path_factory)


def test_the_same_spec_gives_the_same_rows(built: list[str]) -> None:
    assert same_rows(built)


@pytest.mark.parametrize(
    ("check", "sql"),
    [
        (
            "task numbers run 1..n per project and the counter is n",
            "SELECT count(*) FROM projects p WHERE p.task_counter != "
            "(SELECT count(*) FROM tasks t WHERE t.project_id = p.id) OR p.task_counter != "
            "(SELECT coalesce(max(number), 0) FROM tasks t WHERE t.project_id = p.id)",
        ),
        (
            "event seq is gap-free and the counter holds the last one",
            "SELECT (SELECT count(*) FROM events) - (SELECT max(seq) FROM events) "
            "+ abs((SELECT value FROM counters WHERE name = 'events') "
            "- (SELECT max(seq) FROM events)) + ((SELECT min(seq) FROM events) - 1)",
        ),
        (
            "events follow creation time",
            "SELECT count(*) FROM events a JOIN events b ON b.seq = a.seq + 1 "
            "WHERE b.created_at < a.created_at",
        ),
        (
            "completed exactly when in a done status",
            "SELECT count(*) FROM tasks t JOIN statuses s ON s.id = t.status_id "
            "WHERE (s.category = 'done') != (t.completed_at IS NOT NULL)",
        ),
        (
            "a task's status belongs to its project",
            "SELECT count(*) FROM tasks t JOIN statuses s ON s.id = t.status_id "
            "WHERE s.project_id != t.project_id",
        ),
        (
            "positions are unique within a column",
            "SELECT count(*) FROM (SELECT status_id, position FROM tasks "
            "GROUP BY status_id, position HAVING count(*) > 1)",
        ),
        (
            "updated_at never before created_at",
            "SELECT count(*) FROM tasks WHERE updated_at < created_at",
        ),
        (
            "the creator watches the task",
            "SELECT count(*) FROM tasks t WHERE NOT EXISTS (SELECT 1 FROM task_watchers w "
            "WHERE w.task_id = t.id AND w.user_id = t.created_by)",
        ),
        (
            "assignees can see the project",
            "SELECT count(*) FROM task_assignees a JOIN tasks t ON t.id = a.task_id "
            "JOIN projects p ON p.id = t.project_id LEFT JOIN workspace_members m "
            "ON m.workspace_id = p.workspace_id AND m.user_id = a.user_id "
            "LEFT JOIN project_members pm ON pm.project_id = p.id AND pm.user_id = a.user_id "
            "WHERE m.role IS NULL OR (m.role = 'guest' AND pm.role IS NULL)",
        ),
    ],
    ids=lambda v: v if " " in v and not v.startswith("SELECT") else "",
)
def test_invariants(built: list[str], check: str, sql: str) -> None:
    assert asyncio.run(scalar(built[0], sql)) == 0, check


def test_sizes_follow_the_spec(built: list[str]) -> None:
    assert asyncio.run(scalar(built[0], "SELECT count(*) FROM tasks")) == SMOKE.tasks
    assert asyncio.run(scalar(built[0], "SELECT count(*) FROM projects")) == SMOKE.projects
    assert asyncio.run(scalar(built[0], "SELECT count(*) FROM users")) == SMOKE.users
    assert asyncio.run(scalar(built[0], "SELECT count(*) FROM labels")) == SMOKE.labels
    largest = "SELECT max(task_counter) FROM projects"
    assert asyncio.run(scalar(built[0], largest)) == max(SMOKE.fixed_projects)
