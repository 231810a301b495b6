"""Each metric on the hand-built history of conftest.py, on SQLite and on PostgreSQL; the
figures are worked out from that history here."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from uuid import uuid4

import httpx
import pytest

from tasklane.insights import service
from tasklane.insights.schemas import MAX_TASK_IDS
from tasklane.kit.clock import frozen
from tests.factories import User, expect
from tests.insights.conftest import NOW, World

PERIOD = {"from": "2026-11-02", "to": "2026-11-12"}


async def insight(
    client: httpx.AsyncClient,
    world: World,
    metric: str,
    user: User | None = None,
    project: str = "ENG",
    when: datetime = NOW,
    status: int = 200,
    **params: Any,
) -> Any:
    user = user or world.owner
    with frozen(when):
        r = await client.get(
            f"/api/v1/projects/{world.projects[project]}/insights/{metric}",
            params={**PERIOD, **params},
            headers=user.headers,
        )
    return expect(r, status)


def names(world: World, ids: list[str]) -> set[str]:
    by_id = {v: k for k, v in world.tasks.items()}
    return {by_id[i] for i in ids}


class TestStatusCounts:
    async def test_counts_per_status_now(self, client: httpx.AsyncClient, world: World) -> None:
        body = await insight(client, world, "status-counts")
        got = {
            p["status_name"]: (p["category"], names(world, p["task_ids"])) for p in body["points"]
        }
        # QA is gone (its task D went to Done); Review was renamed and is a done status now.
        assert got == {
            "Backlog": ("backlog", set()),
            "Todo": ("unstarted", {"F"}),
            "In Progress": ("started", {"E"}),
            "Done": ("done", {"A", "B", "D", "H"}),
            "Cancelled": ("cancelled", {"I"}),
            "Reviewed": ("done", {"C"}),
        }
        assert body["summary"]["count"] == 8  # G is in the trash
        assert body["summary"]["done"] == 5


class TestThroughput:
    async def test_per_day(self, client: httpx.AsyncClient, world: World) -> None:
        body = await insight(client, world, "throughput", interval="day")
        got = {p["date"]: names(world, p["task_ids"]) for p in body["points"] if p["count"]}
        # A done on day 3; H on day 4 (trashed and restored since); C when Review became a
        # done status (day 6); D when QA was deleted into Done (day 7); B's last done (day 8,
        # after the reopen). G is trashed, I cancelled.
        assert got == {
            "2026-11-05": {"A"},
            "2026-11-06": {"H"},
            "2026-11-08": {"C"},
            "2026-11-09": {"D"},
            "2026-11-10": {"B"},
        }
        assert len(body["points"]) == 11
        assert body["summary"]["count"] == 5

    async def test_per_week(self, client: httpx.AsyncClient, world: World) -> None:
        body = await insight(client, world, "throughput", interval="week")
        assert [(p["date"], p["count"]) for p in body["points"]] == [
            ("2026-11-02", 3),
            ("2026-11-09", 2),
        ]

    async def test_filter(self, client: httpx.AsyncClient, world: World) -> None:
        body = await insight(client, world, "throughput", interval="week", q="-status:Reviewed")
        got = [(p["date"], names(world, p["task_ids"])) for p in body["points"]]
        assert got == [("2026-11-02", {"A", "H"}), ("2026-11-09", {"B", "D"})]

    async def test_period_cuts(self, client: httpx.AsyncClient, world: World) -> None:
        body = await insight(
            client,
            world,
            "throughput",
            interval="day",
            **{"from": "2026-11-06", "to": "2026-11-08"},
        )
        assert [p["count"] for p in body["points"]] == [1, 0, 1]

    async def test_periods_without_a_workflow_change(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        # Only the tasks with a row in the period are read (the workflow changes, days 6 and
        # 7, are outside): B's first finish (day 4) is in the first, but B counts at its last.
        before = await insight(
            client,
            world,
            "throughput",
            interval="day",
            **{"from": "2026-11-02", "to": "2026-11-07"},
        )
        got = [(p["date"], names(world, p["task_ids"])) for p in before["points"] if p["count"]]
        assert got == [("2026-11-05", {"A"}), ("2026-11-06", {"H"})]
        after = await insight(
            client, world, "cycle-time", **{"from": "2026-11-10", "to": "2026-11-12"}
        )
        assert [(names(world, p["task_ids"]), p["days"]) for p in after["points"]] == [({"B"}, 6.0)]


class TestCycleAndLeadTime:
    async def test_cycle_time(self, client: httpx.AsyncClient, world: World) -> None:
        body = await insight(client, world, "cycle-time")
        got = {names(world, p["task_ids"]).pop(): p["days"] for p in body["points"]}
        # From the first start to the last finish: B's reopen stays inside its cycle.
        assert got == {"A": 2.0, "H": 3.0, "C": 4.125, "D": 4.0, "B": 6.0}
        assert body["summary"]["median_days"] == 4.0
        assert body["summary"]["p85_days"] == 6.0

    async def test_lead_time(self, client: httpx.AsyncClient, world: World) -> None:
        body = await insight(client, world, "lead-time")
        got = {names(world, p["task_ids"]).pop(): p["days"] for p in body["points"]}
        assert got == {"A": 3.0417, "H": 4.0, "C": 5.125, "D": 6.0, "B": 8.0}
        assert body["summary"]["median_days"] == 5.125
        assert body["summary"]["p85_days"] == 8.0


class TestCumulativeFlow:
    async def test_daily_bands(self, client: httpx.AsyncClient, world: World) -> None:
        body = await insight(client, world, "cumulative-flow", interval="day")
        by_day: dict[str, dict[str, set[str]]] = {}
        for p in body["points"]:
            by_day.setdefault(p["date"], {})[p["category"]] = names(world, p["task_ids"])
        assert by_day["2026-11-02"] == {
            "backlog": set(),
            "unstarted": {"A", "B", "H"},
            "started": set(),
            "done": set(),
            "cancelled": set(),
        }
        # End of day 5: B reopened, C in Review (started), D in QA (started).
        assert by_day["2026-11-07"] == {
            "backlog": set(),
            "unstarted": {"F"},
            "started": {"B", "C", "D", "E"},
            "done": {"A", "H"},
            "cancelled": {"I"},
        }
        assert by_day["2026-11-12"] == {
            "backlog": set(),
            "unstarted": {"F"},
            "started": {"E"},
            "done": {"A", "B", "C", "D", "H"},
            "cancelled": {"I"},
        }

    async def test_weekly_samples_the_end_of_each_week(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = await insight(client, world, "cumulative-flow", interval="week")
        done = {p["date"]: p["count"] for p in body["points"] if p["category"] == "done"}
        # Sunday 11-08: A, H, C; Thursday 11-12 (the period's end): all five.
        assert done == {"2026-11-02": 3, "2026-11-09": 5}


class TestBurndown:
    async def test_scope_of_ids(self, client: httpx.AsyncClient, world: World) -> None:
        t = world.tasks
        body = await insight(
            client, world, "burndown", interval="day",
            task_ids=[t["A"], t["B"], t["C"]], target="2026-11-16",
        )  # fmt: skip
        points = {p["date"]: p for p in body["points"]}
        assert len(points) == 15
        day0, day3, day7 = points["2026-11-02"], points["2026-11-05"], points["2026-11-09"]
        assert (day0["scope"], day0["remaining"], day0["done"]) == (2, 2, 0)  # C not made yet
        assert (day3["scope"], day3["remaining"], day3["done"]) == (3, 2, 1)
        assert (day7["scope"], day7["remaining"], day7["done"]) == (3, 1, 2)
        assert names(world, day7["task_ids"]) == {"B"}
        assert day0["ideal"] == 2.0
        assert points["2026-11-09"]["ideal"] == 1.0
        # Days after today have only the ideal line.
        assert points["2026-11-16"]["remaining"] is None
        assert points["2026-11-16"]["ideal"] == 0.0

    @pytest.mark.parametrize("target", ["2026-10-01", "9999-12-31", "2028-01-01"])
    async def test_target_out_of_range_is_422(
        self, client: httpx.AsyncClient, world: World, target: str
    ) -> None:
        body = await insight(client, world, "burndown", target=target, status=422)
        assert body["errors"][0]["field"] == "target"


class TestWorkloadAgingOverdue:
    async def test_workload(self, client: httpx.AsyncClient, world: World) -> None:
        body = await insight(client, world, "workload")
        assert [
            (p["assignee_id"], p["count"], p["estimate"], names(world, p["task_ids"]))
            for p in body["points"]
        ] == [(world.member.id, 2, 5.0, {"E", "F"})]

    async def test_aging_wip(self, client: httpx.AsyncClient, world: World) -> None:
        body = await insight(client, world, "aging-wip")
        [point] = body["points"]
        assert names(world, point["task_ids"]) == {"E"}
        assert point["days"] == 7.125  # started day 3 09:00, now day 10 12:00
        assert body["summary"]["usual_days"] == 6.0
        assert point["over_usual"] is True

    async def test_overdue(self, client: httpx.AsyncClient, world: World) -> None:
        body = await insight(client, world, "overdue")
        [point] = body["points"]
        assert names(world, point["task_ids"]) == {"F"}
        assert point["days"] == 5.0


class TestCsv:
    async def test_points_as_csv(self, client: httpx.AsyncClient, world: World) -> None:
        with frozen(NOW):
            r = await client.get(
                f"/api/v1/projects/{world.projects['ENG']}/insights/throughput",
                params={**PERIOD, "format": "csv"},
                headers=world.owner.headers,
            )
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert [(row["date"], row["count"]) for row in rows] == [
            ("2026-11-02", "3"),
            ("2026-11-09", "2"),
        ]
        assert len(rows[1]["task_ids"].split()) == 2


class TestBadInput:
    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"from": "2026-11-12", "to": "2026-11-02"}, "from"),
            ({"from": "2024-01-01", "to": "2026-11-02"}, "from"),
            ({"from": "yesterday"}, "from"),
            ({"interval": "month"}, "interval"),
            ({"q": "status:"}, "q"),
            ({"format": "xml"}, "format"),
            ({"from": "0001-01-01"}, "from"),
            ({"to": "9999-12-31"}, "to"),
            ({"to": "0001-01-01"}, "to"),
        ],
    )
    async def test_422(
        self, client: httpx.AsyncClient, world: World, params: dict[str, str], field: str
    ) -> None:
        body = await insight(client, world, "throughput", status=422, **params)
        assert field in [e["field"].split(".")[-1] for e in body["errors"]]

    async def test_unknown_metric(self, client: httpx.AsyncClient, world: World) -> None:
        await insight(client, world, "velocity", status=422)


class TestWorkspace:
    async def test_throughput_across_projects(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        with frozen(NOW):
            r = await client.get(
                f"/api/v1/workspaces/{world.workspace}/insights/throughput",
                params={**PERIOD, "interval": "week", "q": "-project:FC -project:ALT"},
                headers=world.owner.headers,
            )
        body = expect(r, 200)
        # ENG's five, OPS's O1 (11-04), NEW's first (11-11).
        assert [(p["date"], p["count"]) for p in body["points"]] == [
            ("2026-11-02", 4),
            ("2026-11-09", 3),
        ]

    async def test_burndown_is_per_project(self, client: httpx.AsyncClient, world: World) -> None:
        with frozen(NOW):
            r = await client.get(
                f"/api/v1/workspaces/{world.workspace}/insights/burndown",
                headers=world.owner.headers,
            )
        expect(r, 422)


class TestBounds:
    def test_a_point_lists_at_most_max_task_ids(self) -> None:
        tasks = [service.TaskHistory(uuid4(), uuid4(), uuid4(), NOW, None, 1.0) for _ in range(150)]
        point = service._point(tasks)
        assert (point.count, len(point.task_ids), point.task_ids_truncated) == (
            150,
            MAX_TASK_IDS,
            True,
        )
        assert point.estimate == 150.0
