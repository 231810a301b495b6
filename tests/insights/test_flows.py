"""`task_flows`, kept by triggers on `task_transitions`, equals a rebuild from those rows and
each task's rows folded here in Python, after a varied history made through the API (creates,
moves at midnight, reopens, a status deleted into Done, statuses moved to another category,
tasks trashed and one restored: test_paths' random history), then a task moved to another
project (its rows' project changed, as a move would), a row removed and a task deleted, on
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.archive.rows import write_rows
from tasklane.insights import flows, histories, transitions
from tasklane.models import Base, Project, Task, TaskFlow, TaskTransition
from tests.conftest import Prepared, database_copy
from tests.insights.test_paths import Random, prepared_random

__all__ = ["prepared_random"]


@pytest.fixture
def database_url(backend: str, prepared_random: Prepared[Random], tmp_path: Path) -> Iterator[str]:
    with database_copy(backend, prepared_random.source, tmp_path) as url:
        yield url


async def _table(session: AsyncSession) -> dict[UUID, tuple[Any, ...]]:
    rows = await session.execute(
        select(
            TaskFlow.task_id,
            TaskFlow.project_id,
            TaskFlow.changed_at,
            TaskFlow.category,
            TaskFlow.first_start,
            TaskFlow.finished_at,
            TaskFlow.line,
        )
    )
    return {row[0]: tuple(row[1:]) for row in rows.all()}


def _parsed(line: str) -> list[tuple[datetime, UUID, str]]:
    out = []
    for entry in line.split(";"):
        at, status, category = entry.split(",")
        out.append((datetime.fromisoformat(at).replace(tzinfo=UTC), UUID(status), category))
    return out


async def _folded(session: AsyncSession) -> dict[UUID, tuple[Any, ...]]:
    """Each task's rows folded as docs/metrics.md says `task_flows` holds them."""
    t = TaskTransition
    rows = await session.execute(
        select(t.task_id, t.project_id, t.status_id, t.category, t.at).order_by(
            t.task_id, t.at, t.id
        )
    )
    by_task: dict[UUID, list[Any]] = {}
    for row in rows.all():
        by_task.setdefault(row[0], []).append(row)
    out = {}
    for task_id, own in by_task.items():
        last = own[-1]
        starts = [r.at for r in own if r.category == "started"]
        finished = None
        if last.category == "done":
            k = len(own)
            while k and own[k - 1].category == "done":
                k -= 1
            finished = own[k].at
        line = [(r.at, r.status_id, r.category) for r in own]
        out[task_id] = (last.project_id, last.at, last.category, min(starts, default=None),
                        finished, line)  # fmt: skip
    return out


def _comparable(table: dict[UUID, tuple[Any, ...]]) -> dict[UUID, tuple[Any, ...]]:
    return {k: (*v[:5], _parsed(v[5])) for k, v in table.items()}


async def _check(session: AsyncSession) -> dict[UUID, tuple[Any, ...]]:
    kept = await _table(session)
    assert _comparable(kept) == await _folded(session)
    written = await flows.rebuild(session)
    assert written == len(kept)
    assert await _table(session) == kept
    return kept


class TestFlows:
    async def test_the_triggers_equal_a_rebuild_and_the_rows_folded(self, app: FastAPI) -> None:
        async with app.state.runtime.db.transaction() as session:
            kept = await _check(session)
            assert len(kept) == await session.scalar(select(func.count()).select_from(Task))
            assert {v[2] for v in kept.values()} >= {"unstarted", "started", "done"}
            assert any(v[4] is not None for v in kept.values())

    async def test_a_rebuild_of_the_transitions_keeps_them(self, app: FastAPI) -> None:
        async with app.state.runtime.db.transaction() as session:
            kept = await _table(session)
            await transitions.rebuild(session)
            assert await _table(session) == kept

    async def test_a_rebuild_of_one_project(self, app: FastAPI) -> None:
        async with app.state.runtime.db.transaction() as session:
            kept = await _table(session)
            project = next(iter(kept.values()))[0]
            await session.execute(delete(TaskFlow))
            await flows.rebuild(session, [project])
            assert await _table(session) == kept

    async def test_moves_removals_and_deletions_keep_it(self, app: FastAPI) -> None:
        async with app.state.runtime.db.transaction() as session:
            kept = await _table(session)
            first, second, third = sorted(kept)[:3]
            source = kept[first][0]
            workspace = await session.scalar(
                select(Project.workspace_id).where(Project.id == source)
            )
            other = Project(workspace_id=workspace, key="MOV", name="Moved to")
            session.add(other)
            await session.flush()
            # A task moved to another project: its rows go with it.
            await session.execute(
                update(TaskTransition)
                .where(TaskTransition.task_id == first)
                .values(project_id=other.id)
            )
            await session.execute(update(Task).where(Task.id == first).values(project_id=other.id))
            # A row removed (its task's last one), and a task deleted for good.
            last = await session.scalar(
                select(TaskTransition.id)
                .where(TaskTransition.task_id == second)
                .order_by(TaskTransition.at.desc(), TaskTransition.id.desc())
                .limit(1)
            )
            await session.execute(delete(TaskTransition).where(TaskTransition.id == last))
            await session.execute(delete(Task).where(Task.id == third))
            changed = await _check(session)
            assert changed[first][0] == other.id
            assert third not in changed
            if second in changed:
                assert len(_parsed(changed[second][5])) == len(_parsed(kept[second][5])) - 1

    async def test_lines_read_as_the_clock_gives_rows(self, app: FastAPI) -> None:
        async with app.state.runtime.db.transaction(write=False) as session:
            clock = await histories.clock(session)
            t = TaskTransition
            rows = await histories.fetch(
                session,
                select(clock.value(t.task_id), clock.value(t.at), clock.value(t.status_id),
                       t.category).order_by(t.task_id, t.at, t.id),
            )  # fmt: skip
            lines = await histories.fetch(
                session, select(clock.value(TaskFlow.task_id), TaskFlow.line)
            )
        by_task: dict[Any, list[str]] = {}
        for task, at, status, category in rows:
            by_task.setdefault(task, []).append(f"{at},{UUID(str(status)).hex},{category}")
        assert {task: ";".join(entries) for task, entries in by_task.items()} == {
            row[0]: row[1] for row in lines
        }

    async def test_an_import_of_the_transitions_writes_it(self, app: FastAPI) -> None:
        """As a workspace archive's import does: the rows the trigger on `tasks` wrote are
        deleted, and the archived rows are inserted in batches (without their ids)."""
        async with app.state.runtime.db.transaction() as session:
            kept = await _table(session)
            table = Base.metadata.tables["task_transitions"]
            archived = [
                {k: v for k, v in row._mapping.items() if k != "id"}
                for row in (await session.execute(select(table).order_by(table.c.id))).all()
            ]
            await session.execute(delete(TaskTransition))
            assert await _table(session) == {}

            async def batches() -> AsyncIterator[list[dict[str, Any]]]:
                for start in range(0, len(archived), 7):
                    yield archived[start : start + 7]

            await write_rows(session, table, batches())
            assert await _table(session) == kept
