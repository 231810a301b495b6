"""Each metric reads only what it needs (histories.since for cumulative flow and burndown,
histories.outlines for throughput, cycle and lead time and ageing WIP). On a random history
made through the API (moves at random times, often at midnight; reopens; a status deleted into
Done; statuses moved to another category before, inside and after the periods; tasks trashed,
one restored) their answers equal what counting every task's whole history gives: every row
through `transitions.timelines`, then the definitions applied task by task (test_bands'
counting of every task on every day), on SQLite and PostgreSQL. With a point listing at most
3 ids, so the choice of the tasks behind a point is checked too."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.auth.principal import Principal
from tasklane.insights import service, transitions
from tasklane.insights.schemas import InsightInterval
from tasklane.kit.clock import frozen
from tasklane.models import Event, Status, Task, TaskTransition
from tests.conftest import Prepared, PreparedDatabases, database_copy, migrated_template
from tests.factories import User, expect, make_project, make_task, make_user
from tests.insights.test_bands import expected_burndown, expected_flow

DAY0 = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
NOW = DAY0 + timedelta(days=25, hours=12)
LISTED = 3
"""Task ids a point lists in these tests (MAX_TASK_IDS is 100)."""


def at(days: float) -> datetime:
    return DAY0 + timedelta(days=days)


@dataclass
class Random:
    owner: User
    project: str


async def build_random(client: httpx.AsyncClient) -> Random:
    rng = random.Random(20261205)
    owner = await make_user(client, name="Rita Random")
    with frozen(at(-30)):
        workspace = expect(
            await client.post("/api/v1/workspaces", json={"name": "R"}, headers=owner.headers),
            201,
        )["id"]
        project = (await make_project(client, owner, workspace, key="RND", name="Random"))["id"]
        for name, category in (("Review", "started"), ("QA", "started"), ("Parked", "unstarted")):
            expect(
                await client.post(
                    f"/api/v1/projects/{project}/statuses",
                    json={"name": name, "category": category},
                    headers=owner.headers,
                ),
                201,
            )
    body = expect(
        await client.get(f"/api/v1/projects/{project}/statuses", headers=owner.headers), 200
    )
    s = {status["name"]: status["id"] for status in body["items"]}
    qa_gone = at(6) + timedelta(hours=10)
    actions: list[tuple[datetime, int, str, Any]] = []
    for n in range(44):
        made = at(rng.choice((rng.uniform(-4, 21), float(rng.randrange(-4, 21)))))
        made = made.replace(second=0, microsecond=0)
        first = rng.choice(("Backlog", "Todo", "Todo", "In Progress", "Done"))
        fields = {
            "status_id": s[first],
            "priority": rng.choice(("none", "high")),
            "estimate": rng.choice((None, 1, 2, 5)),
        }
        actions.append((made, 0, "create", (n, fields)))
        moment = made
        for _ in range(rng.randrange(0, 6)):
            moment += rng.choice(
                (timedelta(hours=rng.randrange(1, 30)), timedelta(days=1), timedelta(days=2))
            )
            if rng.random() < 0.3:  # exactly at a day's end
                moment = datetime.combine(
                    moment.date() + timedelta(days=1), datetime.min.time(), UTC
                )
            if moment >= at(22):
                break
            names = [x for x in s if x != "QA" or moment < qa_gone]
            actions.append((moment, 1, "move", (n, s[rng.choice(names)])))
    # And some that the workflow changes move for sure: into Done when QA goes, started
    # while parked, done by review.
    scripted = [
        [(at(2), "Todo"), (at(5), "QA"), (at(8), "Todo"), (at(9), "Done")],
        [(at(1), "In Progress"), (at(6), "QA")],
        [(at(3), "Todo"), (at(9), "Parked"), (at(13), "Done")],
        [(at(4), "Backlog"), (at(10), "Parked"), (at(12), "Review"), (at(21), "Done")],
        [(at(5), "Todo"), (at(14), "Review"), (at(18), "In Progress"), (at(19), "Done")],
        [(at(7), "Todo"), (at(15), "Review")],
        [(at(8), "Todo"), (at(19), "Parked")],
        # The first tasks of Done, changing late: the first unchanged ones come after them.
        *([(at(-6), "Done"), (at(14), "Cancelled"), (at(15), "Done")] for _ in range(4)),
    ]
    for k, path in enumerate(scripted, start=100):
        (made, first), *moves = path
        actions.append((made, 0, "create", (k, {"status_id": s[first]})))
        actions += [(moment, 1, "move", (k, s[name])) for moment, name in moves]
    actions += [
        (qa_gone, 2, "delete", (s["QA"], s["Done"])),
        (at(11), 2, "category", (s["Parked"], "started")),
        (at(16) + timedelta(hours=9), 2, "category", (s["Review"], "done")),
        (at(20), 2, "category", (s["Parked"], "unstarted")),
        (at(23), 3, "trash", 5),
        (at(23), 3, "trash", 17),
        (at(23), 3, "trash", 30),
        (at(24), 3, "restore", 17),
    ]
    tasks: dict[int, str] = {}
    for moment, _, kind, what in sorted(actions, key=lambda a: a[:2]):
        with frozen(moment):
            if kind == "create":
                n, fields = what
                tasks[n] = (await make_task(client, owner, project, f"T{n}", **fields))["id"]
            elif kind == "move":
                n, status = what
                r = await client.patch(
                    f"/api/v1/tasks/{tasks[n]}", json={"status_id": status}, headers=owner.headers
                )
                expect(r, 200)
            elif kind == "delete":
                gone, target = what
                r = await client.delete(
                    f"/api/v1/projects/{project}/statuses/{gone}",
                    params={"move_to": target},
                    headers=owner.headers,
                )
                expect(r, 204)
            elif kind == "category":
                status, category = what
                r = await client.patch(
                    f"/api/v1/projects/{project}/statuses/{status}",
                    json={"category": category},
                    headers=owner.headers,
                )
                expect(r, 200)
            elif kind == "trash":
                expect(
                    await client.delete(f"/api/v1/tasks/{tasks[what]}", headers=owner.headers), 204
                )
            else:
                r = await client.post(f"/api/v1/tasks/{tasks[what]}/restore", headers=owner.headers)
                expect(r, 200)
    return Random(owner, project)


@pytest.fixture
def prepared_random(
    backend: str, request: pytest.FixtureRequest, prepared_databases: PreparedDatabases
) -> Prepared[Random]:
    return prepared_databases.get(
        backend, migrated_template(backend, request), "insights_random", build_random
    )


@pytest.fixture
def database_url(backend: str, prepared_random: Prepared[Random], tmp_path: Path) -> Iterator[str]:
    with database_copy(backend, prepared_random.source, tmp_path, reusable=True) as url:
        yield url


@pytest.fixture
def listed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "MAX_TASK_IDS", LISTED)


async def whole_world(session: AsyncSession, rnd: Random, q: str) -> service.World:
    """Every task in scope with its history from all of the project's rows."""
    project = UUID(rnd.project)
    rows = await session.execute(
        select(
            TaskTransition.task_id,
            TaskTransition.status_id,
            TaskTransition.category,
            TaskTransition.at,
        )
        .where(TaskTransition.project_id == project)
        .order_by(TaskTransition.at, TaskTransition.id)
    )
    events = await session.execute(
        select(Event.seq, Event.created_at, Event.type, Event.entity_id, Event.data)
        .where(Event.project_id == project, Event.type.in_(("status.updated", "status.deleted")))
        .order_by(Event.seq)
    )
    changes = [c for r in events.all() if (c := transitions.workflow_change(*r)) is not None]
    statuses = (await session.execute(select(Status.id, Status.category))).all()
    current = {row.id: row.category for row in statuses}
    lines = transitions.timelines([transitions.Row(*r) for r in rows.all()], changes, current)
    principal = Principal(UUID(rnd.owner.id), UUID(int=0), rnd.owner.email, "R", "bearer")
    scope = service.scope_of([project], principal, service.Filter(q), NOW.date())
    found = await session.execute(
        scope.tasks()
        .with_only_columns(Task.id, Task.project_id, Task.status_id, Task.created_at, Task.estimate)
        .order_by(Task.created_at, Task.id)
    )
    tasks = []
    for task_id, project_id, status_id, created_at, estimate in found.all():
        task = service.TaskHistory(task_id, project_id, status_id, created_at, None, estimate)
        task.line = lines.get(task_id) or [(created_at, current[status_id])]
        tasks.append(task)
    return service.World(tasks, [], NOW)


def dumped(points: list[Any]) -> list[dict[str, Any]]:
    return [p.model_dump(mode="json") for p in points]


async def asked(
    client: httpx.AsyncClient, rnd: Random, metric: str, **params: Any
) -> dict[str, Any]:
    with frozen(NOW):
        r = await client.get(
            f"/api/v1/projects/{rnd.project}/insights/{metric}",
            params=params,
            headers=rnd.owner.headers,
        )
    body: dict[str, Any] = expect(r, 200)
    return body


PERIODS = [
    (at(-5).date(), at(24).date()),
    (at(3).date(), at(9).date()),
    (at(11).date(), at(24).date()),
    (at(16).date(), at(17).date()),
    (at(25).date(), at(25).date()),
]


@pytest.mark.usefixtures("listed")
class TestAgainstWholeHistories:
    @pytest.mark.parametrize("q", ["", "priority:high"])
    async def test_cumulative_flow(
        self, app: FastAPI, client: httpx.AsyncClient, prepared_random: Prepared[Random], q: str
    ) -> None:
        rnd = prepared_random.value
        async with app.state.runtime.db.transaction(write=False) as session:
            world = await whole_world(session, rnd, q)
        for start, end in PERIODS:
            for interval in InsightInterval:
                period = service.Period.of(start, end, interval, NOW.date())
                body = await asked(
                    client, rnd, "cumulative-flow",
                    **{"from": str(start), "to": str(end), "interval": interval.value, "q": q},
                )  # fmt: skip
                assert body["points"] == dumped(expected_flow(world, period)), (start, end)
                assert body["summary"]["count"] == len(world.tasks)

    @pytest.mark.parametrize("q", ["", "priority:high"])
    async def test_burndown(
        self, app: FastAPI, client: httpx.AsyncClient, prepared_random: Prepared[Random], q: str
    ) -> None:
        rnd = prepared_random.value
        async with app.state.runtime.db.transaction(write=False) as session:
            world = await whole_world(session, rnd, q)
        for start, end in PERIODS:
            target = end + timedelta(days=4)  # past today for the last periods
            period = service.Period.of(start, end, InsightInterval.DAY, NOW.date())
            body = await asked(
                client, rnd, "burndown",
                **{"from": str(start), "to": str(end), "target": str(target), "q": q},
            )  # fmt: skip
            assert body["points"] == dumped(expected_burndown(world, period, target)), (start, end)
            now = [t.current for t in world.tasks]
            assert body["summary"] == {
                "scope": sum(1 for c in now if c != "cancelled"),
                "remaining": sum(1 for c in now if c in service.OPEN),
                "done": sum(1 for c in now if c == "done"),
            }

    @pytest.mark.parametrize("metric", ["throughput", "cycle-time", "lead-time", "aging-wip"])
    @pytest.mark.parametrize("q", ["", "priority:high"])
    async def test_finished_and_started_work(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        prepared_random: Prepared[Random],
        metric: str,
        q: str,
    ) -> None:
        rnd = prepared_random.value
        async with app.state.runtime.db.transaction(write=False) as session:
            world = await whole_world(session, rnd, q)
        compute = {
            "throughput": service.throughput,
            "cycle-time": service.cycle_time,
            "lead-time": service.lead_time,
            "aging-wip": service.aging_wip,
        }[metric]
        for start, end in PERIODS:
            for interval in InsightInterval:
                period = service.Period.of(start, end, interval, NOW.date())
                expected = compute(world, period)
                body = await asked(
                    client, rnd, metric,
                    **{"from": str(start), "to": str(end), "interval": interval.value, "q": q},
                )  # fmt: skip
                assert body["points"] == dumped(expected.points), (metric, start, end)
                assert body["summary"] == expected.summary
