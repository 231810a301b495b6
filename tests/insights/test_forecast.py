"""The forecast: reproducible with a seed, the analytic answer where there is one, and an
honest 422 without enough history (conftest.py: FC, ALT, NEW)."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np

from tasklane.insights.forecast import nearest_rank, simulate
from tasklane.kit.clock import frozen
from tests.factories import User, expect
from tests.insights.conftest import FORECAST_NOW, World


async def forecast(
    client: httpx.AsyncClient,
    world: World,
    project: str,
    status: int = 200,
    user: User | None = None,
    **body: Any,
) -> Any:
    with frozen(FORECAST_NOW):
        r = await client.post(
            f"/api/v1/projects/{world.projects[project]}/insights/forecast",
            json={"history_weeks": 2, **body},
            headers=(user or world.owner).headers,
        )
    return expect(r, status)


def by_percent(rows: list[dict[str, Any]], key: str) -> dict[int, Any]:
    return {row["percent"]: row[key] for row in rows}


class TestForecast:
    async def test_constant_throughput_is_exact(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = await forecast(client, world, "FC", seed=1, samples=1000)
        # 2 a day for 14 days, 10 open: finished 5 days after today (11-16), every run.
        assert body["remaining"] == 10
        assert body["history"] == {
            "from": "2026-11-02", "to": "2026-11-15", "days": 14, "finished": 28, "per_day": 2.0,
        }  # fmt: skip
        assert by_percent(body["percentiles"], "date") == dict.fromkeys(
            (50, 70, 85, 95), "2026-11-21"
        )
        assert body["histogram"] == [{"date": "2026-11-21", "count": 1000, "cumulative": 1.0}]

    async def test_geometric_throughput_matches_the_analytic_percentiles(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        # ALT: 2 or 0 a day, each half the days; 2 open. The days needed are geometric:
        # P(done within k days) = 1 - 2^-k, so 70% -> 2 days, 85% -> 3, 95% -> 5.
        body = await forecast(client, world, "ALT", seed=7, samples=20000)
        days = by_percent(body["percentiles"], "days")
        assert days[70] == 2
        assert days[85] == 3
        assert days[95] == 5
        assert days[50] in (1, 2)  # P(1 day) is exactly 50%: either side by sampling
        first = body["histogram"][0]
        assert first["date"] == "2026-11-17"
        assert abs(first["cumulative"] - 0.5) < 0.02

    async def test_seeded_runs_are_reproducible(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        one = await forecast(client, world, "ALT", seed=42, samples=500)
        two = await forecast(client, world, "ALT", seed=42, samples=500)
        assert one == two
        unseeded = await forecast(client, world, "ALT", samples=500)
        again = await forecast(client, world, "ALT", samples=500, seed=unseeded["seed"])
        assert again == unseeded

    async def test_scope_by_ids_and_query(self, client: httpx.AsyncClient, world: World) -> None:
        some = world.forecast_open["FC"][:4]
        body = await forecast(client, world, "FC", seed=1, samples=200, task_ids=some)
        assert body["remaining"] == 4
        assert by_percent(body["percentiles"], "days") == dict.fromkeys((50, 70, 85, 95), 2)
        body = await forecast(client, world, "FC", seed=1, samples=200, query="is:done")
        assert body["remaining"] == 0
        assert by_percent(body["percentiles"], "date")[95] == "2026-11-16"

    async def test_how_many_by_a_date(self, client: httpx.AsyncClient, world: World) -> None:
        body = await forecast(client, world, "FC", seed=3, samples=300, by_date="2026-11-23")
        assert body["by_date"] == {
            "date": "2026-11-23",
            "days": 7,
            "percentiles": [{"percent": p, "tasks": 14} for p in (50, 70, 85, 95)],
        }

    async def test_too_little_history_is_422(self, client: httpx.AsyncClient, world: World) -> None:
        body = await forecast(client, world, "NEW", status=422)
        assert body["code"] == "insufficient_history"
        assert "at least 14 days" in body["detail"]
        assert "6 days and 1 finished" in body["detail"]

    async def test_bad_bodies_are_422(self, client: httpx.AsyncClient, world: World) -> None:
        ids = world.forecast_open["FC"][:1]
        for body in (
            {"task_ids": ids, "query": "is:open"},
            {"samples": 10},
            {"history_weeks": 0},
            {"seed": -1},
            {"by_date": "2026-11-16"},
            {"query": "due<"},
            {"unknown": 1},
        ):
            await forecast(client, world, "FC", status=422, **body)


class TestSimulation:
    def test_analytic_constant(self) -> None:
        runs = simulate(np.array([3, 3, 3], dtype=np.int64), 10, 100, seed=5)
        assert set(runs.tolist()) == {4}

    def test_nearest_rank(self) -> None:
        ordered = np.array([1, 2, 3, 4], dtype=np.int64)
        assert [nearest_rank(ordered, p) for p in (50, 70, 85, 95)] == [2, 3, 4, 4]
