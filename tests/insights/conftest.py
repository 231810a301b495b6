"""One hand-built history, made once per process and backend through the API with the clock
set to chosen times (kit.clock.frozen), and copied for each test.

Days are counted from Monday 2026-11-02 (day 0); `at(d, h)` is day d at h:00 UTC. The
figures each test expects are worked out from this history in the test.

ENG (default workflow, plus "Review" and "QA", both started):
    A  day0 Todo; day1 10:00 In Progress (PATCH); day3 10:00 Done (move)
    B  day0 Todo; day2 In Progress; day4 Done; day5 In Progress (reopened); day8 Done
    C  day1 Backlog; day2 Review; day6 11:00 Review renamed "Reviewed"; day6 12:00 Review
       moved to the done category (C is done then, without an event of its own)
    D  day1 Todo; day3 QA; day7 QA deleted, its tasks moved to Done
    E  day2 Todo (member, estimate 2, due 11-20); day3 In Progress; still in progress
    F  day2 Todo (member, estimate 3, due 11-07); still to do: overdue
    G  day0 Todo; day1 In Progress; day2 Done; day9 trashed: left out everywhere
    H  day0 Todo; day1 In Progress; day4 Done; day5 trashed; day6 restored: counts
    I  day3 Todo; day4 Cancelled
OPS: O1 day0 Todo; day1 In Progress; day2 Done. The guest is a member of OPS only.
FC (forecasts): 2 tasks done every day from 11-02 to 11-15; 10 open.
ALT: 2 tasks done on 11-02, 11-04, ... 11-14 (every other day); 2 open.
NEW: made on 11-10, one task done on 11-11: too little history.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tasklane.kit.clock import frozen
from tests.conftest import Prepared, PreparedDatabases, database_copy, migrated_template
from tests.factories import User, add_member, expect, make_project, make_task, make_user

DAY0 = datetime(2026, 11, 2, tzinfo=UTC)
NOW = datetime(2026, 11, 12, 12, tzinfo=UTC)
"""When the ENG metrics are asked for (day 10, 12:00)."""
FORECAST_NOW = datetime(2026, 11, 16, 12, tzinfo=UTC)


def at(day: int, hour: int = 9) -> datetime:
    return DAY0 + timedelta(days=day, hours=hour)


@dataclass
class World:
    owner: User
    member: User
    viewer: User
    guest: User
    outsider: User
    workspace: str
    projects: dict[str, str]
    tasks: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    forecast_open: dict[str, list[str]] = field(default_factory=dict)


async def _by_name(client: httpx.AsyncClient, user: User, project: str) -> dict[str, str]:
    body = expect(
        await client.get(f"/api/v1/projects/{project}/statuses", headers=user.headers), 200
    )
    return {s["name"]: s["id"] for s in body["items"]}


class _Writer:
    def __init__(self, client: httpx.AsyncClient, user: User) -> None:
        self.client, self.user = client, user

    async def task(self, when: datetime, project: str, title: str, status: str, **f: Any) -> str:
        with frozen(when):
            made = await make_task(self.client, self.user, project, title, status_id=status, **f)
        return str(made["id"])

    async def patch(self, when: datetime, task: str, **changes: Any) -> None:
        with frozen(when):
            expect(
                await self.client.patch(
                    f"/api/v1/tasks/{task}", json=changes, headers=self.user.headers
                ),
                200,
            )

    async def move(self, when: datetime, task: str, status: str) -> None:
        with frozen(when):
            expect(
                await self.client.post(
                    f"/api/v1/tasks/{task}/move",
                    json={"status_id": status},
                    headers=self.user.headers,
                ),
                200,
            )

    async def call(self, when: datetime, method: str, url: str, status: int, **kw: Any) -> Any:
        with frozen(when):
            r = await self.client.request(method, url, headers=self.user.headers, **kw)
        return expect(r, status)


async def build_world(client: httpx.AsyncClient) -> World:
    owner = await make_user(client, name="Olive Owner")
    member = await make_user(client, name="Max Member")
    viewer = await make_user(client, name="Vera Viewer")
    guest = await make_user(client, name="Gus Guest")
    outsider = await make_user(client, name="Otto Outsider")
    w = _Writer(client, owner)
    setup = datetime(2026, 10, 1, 9, tzinfo=UTC)
    with frozen(setup):
        workspace = expect(
            await client.post("/api/v1/workspaces", json={"name": "Acme"}, headers=owner.headers),
            201,
        )["id"]
        await add_member(client, owner, workspace, member)
        await add_member(client, owner, workspace, viewer)
        await add_member(client, owner, workspace, guest, "guest")
        projects = {
            key: (await make_project(client, owner, workspace, key=key, name=key))["id"]
            for key in ("ENG", "OPS", "FC", "ALT")
        }
    world = World(owner, member, viewer, guest, outsider, workspace, projects)
    eng, ops = projects["ENG"], projects["OPS"]
    await w.call(
        setup, "POST", f"/api/v1/projects/{eng}/members", 201,
        json={"user_id": viewer.id, "role": "viewer"},
    )  # fmt: skip
    await w.call(
        setup, "POST", f"/api/v1/projects/{ops}/members", 201,
        json={"user_id": guest.id, "role": "member"},
    )  # fmt: skip
    for name in ("Review", "QA"):
        await w.call(
            setup, "POST", f"/api/v1/projects/{eng}/statuses", 201,
            json={"name": name, "category": "started"},
        )  # fmt: skip
    s = await _by_name(client, owner, eng)
    world.statuses = s
    todo, doing, done = s["Todo"], s["In Progress"], s["Done"]
    t = world.tasks
    for name in ("A", "B", "G", "H"):
        t[name] = await w.task(at(0), eng, name, todo)
    t["C"] = await w.task(at(1), eng, "C", s["Backlog"])
    t["D"] = await w.task(at(1), eng, "D", todo)
    await w.patch(at(1, 10), t["A"], status_id=doing)
    await w.patch(at(1), t["G"], status_id=doing)
    await w.move(at(1), t["H"], doing)
    await w.move(at(2), t["B"], doing)
    await w.patch(at(2), t["C"], status_id=s["Review"])
    await w.move(at(2), t["G"], done)
    t["E"] = await w.task(
        at(2), eng, "E", todo, assignee_ids=[member.id], estimate=2, due_date="2026-11-20"
    )
    t["F"] = await w.task(
        at(2), eng, "F", todo, assignee_ids=[member.id], estimate=3, due_date="2026-11-07"
    )
    await w.move(at(3, 10), t["A"], done)
    await w.patch(at(3), t["D"], status_id=s["QA"])
    await w.move(at(3), t["E"], doing)
    t["I"] = await w.task(at(3), eng, "I", todo)
    await w.patch(at(4), t["B"], status_id=done)
    await w.move(at(4), t["H"], done)
    await w.patch(at(4), t["I"], status_id=s["Cancelled"])
    await w.move(at(5), t["B"], doing)
    await w.call(at(5), "DELETE", f"/api/v1/tasks/{t['H']}", 204)
    await w.call(at(6), "POST", f"/api/v1/tasks/{t['H']}/restore", 200)
    review = f"/api/v1/projects/{eng}/statuses/{s['Review']}"
    await w.call(at(6, 11), "PATCH", review, 200, json={"name": "Reviewed"})
    await w.call(at(6, 12), "PATCH", review, 200, json={"category": "done"})
    await w.call(
        at(7), "DELETE", f"/api/v1/projects/{eng}/statuses/{s['QA']}", 204,
        params={"move_to": done},
    )  # fmt: skip
    await w.patch(at(8), t["B"], status_id=done)
    await w.call(at(9), "DELETE", f"/api/v1/tasks/{t['G']}", 204)

    o = await _by_name(client, owner, ops)
    t["O1"] = await w.task(at(0), ops, "O1", o["Todo"])
    await w.move(at(1), t["O1"], o["In Progress"])
    await w.move(at(2), t["O1"], o["Done"])

    for key, per_day in (("FC", [2] * 14), ("ALT", [2, 0] * 7)):
        f = await _by_name(client, owner, projects[key])
        for day, count in enumerate(per_day):
            for n in range(count):
                made = await w.task(at(day - 1), projects[key], f"{key} {day}.{n}", f["Todo"])
                await w.move(at(day, 10), made, f["Done"])
        world.forecast_open[key] = [
            await w.task(at(13), projects[key], f"{key} open {n}", f["Todo"])
            for n in range(10 if key == "FC" else 2)
        ]
    with frozen(at(8)):
        projects["NEW"] = (await make_project(client, owner, workspace, key="NEW", name="New"))[
            "id"
        ]
    f = await _by_name(client, owner, projects["NEW"])
    made = await w.task(at(8), projects["NEW"], "first", f["Todo"])
    await w.move(at(9), made, f["Done"])
    await w.task(at(9), projects["NEW"], "second", f["Todo"])
    return world


@pytest.fixture
def prepared_world(
    backend: str, request: pytest.FixtureRequest, prepared_databases: PreparedDatabases
) -> Prepared[World]:
    return prepared_databases.get(
        backend, migrated_template(backend, request), "insights", build_world
    )


@pytest.fixture
def reads_only() -> bool:
    """The tests change the database only through the API (reads): on PostgreSQL they may get
    a clone another test gave back (conftest.database_copy). Override where a test writes."""
    return True


@pytest.fixture
def database_url(
    backend: str, prepared_world: Prepared[World], tmp_path: Path, reads_only: bool
) -> Iterator[str]:
    """A copy of the insights world."""
    with database_copy(backend, prepared_world.source, tmp_path, reusable=reads_only) as url:
        yield url


@pytest.fixture
def world(prepared_world: Prepared[World]) -> World:
    return copy.deepcopy(prepared_world.value)
