"""The derived table: what the writes recorded equals a rebuild from the event log."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.insights import transitions
from tasklane.kit.clock import frozen
from tasklane.models import TaskTransition
from tests.factories import expect
from tests.insights.conftest import NOW, World


@pytest.fixture
def reads_only() -> bool:
    return False


async def _rows(session: AsyncSession) -> list[tuple[Any, ...]]:
    result = await session.execute(
        select(
            TaskTransition.task_id,
            TaskTransition.project_id,
            TaskTransition.status_id,
            TaskTransition.category,
            TaskTransition.at,
        ).order_by(TaskTransition.task_id, TaskTransition.at, TaskTransition.id)
    )
    return [tuple(row) for row in result.all()]


async def _figures(client: httpx.AsyncClient, world: World) -> list[Any]:
    out = []
    for metric in ("throughput", "cycle-time", "cumulative-flow"):
        with frozen(NOW):
            r = await client.get(
                f"/api/v1/projects/{world.projects['ENG']}/insights/{metric}",
                params={"from": "2026-11-02", "to": "2026-11-12", "interval": "day"},
                headers=world.owner.headers,
            )
        body = expect(r, 200)
        out.append((body["points"], body["summary"]))
    return out


class TestRebuild:
    async def test_rebuild_equals_what_the_writes_recorded(
        self, app: FastAPI, client: httpx.AsyncClient, world: World
    ) -> None:
        figures = await _figures(client, world)
        async with app.state.runtime.db.transaction() as session:
            recorded = await _rows(session)
            written = await transitions.rebuild(session)
            rebuilt = await _rows(session)
        assert written == len(recorded) > 0
        assert rebuilt == recorded
        assert await _figures(client, world) == figures

    async def test_rebuild_of_one_project(
        self, app: FastAPI, client: httpx.AsyncClient, world: World
    ) -> None:
        async with app.state.runtime.db.transaction() as session:
            recorded = await _rows(session)
            await transitions.rebuild(session, [UUID(world.projects["ENG"])])
            assert await _rows(session) == recorded

    async def test_categories_are_the_ones_at_the_time(self, app: FastAPI, world: World) -> None:
        # C entered Review while it was a started status; Review is a done status now.
        async with app.state.runtime.db.transaction(write=False) as session:
            rows = await _rows(session)
        c = [row for row in rows if str(row[0]) == world.tasks["C"]]
        assert [row[3] for row in c] == ["backlog", "started"]
