"""The tasks behind a point, paged (`GET .../insights/{metric}/tasks`): on the insights world,
with points listing at most 3 ids and paging up to 5, every truncated point of every metric
(project and workspace, by day and by week) pages through exactly the ids a point would list
without the cap, in the same order, and says how many there are; untruncated points page
what they list; bad points and cursors are 422s. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tasklane.insights import behind, service
from tasklane.kit.clock import frozen
from tests.factories import User, expect
from tests.insights.conftest import DAY0, NOW, World

LISTED = 3
BEHIND = 5
PERIOD = {"from": str((DAY0).date()), "to": str(NOW.date())}


def _cases(world: World) -> list[tuple[str, str, dict[str, Any]]]:
    project = f"/api/v1/projects/{world.projects['ENG']}/insights"
    workspace = f"/api/v1/workspaces/{world.workspace}/insights"
    cases: list[tuple[str, str, dict[str, Any]]] = []
    for interval in ("day", "week"):
        timed = {**PERIOD, "interval": interval}
        for metric in ("throughput", "cumulative-flow", "cycle-time", "aging-wip"):
            cases.append((project, metric, timed))
            cases.append((workspace, metric, timed))
        cases.append((project, "burndown", {**timed, "target": str(NOW.date())}))
    for metric in ("status-counts", "workload", "overdue"):
        cases.append((project, metric, {}))
        cases.append((workspace, metric, {}))
    return cases


async def _answer(client: httpx.AsyncClient, user: User, url: str, params: dict[str, Any]) -> Any:
    with frozen(NOW):
        return expect(await client.get(url, params=params, headers=user.headers), 200)


async def _pages(
    client: httpx.AsyncClient, user: User, url: str, params: dict[str, Any]
) -> tuple[list[str], list[dict[str, Any]]]:
    ids: list[str] = []
    pages: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": 2, **({"cursor": cursor} if cursor else {})}
        with frozen(NOW):
            page = expect(await client.get(url, params=query, headers=user.headers), 200)
        pages.append(page)
        ids += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids, pages
        assert len(pages) < 10


async def test_every_point_pages_the_tasks_a_point_lists_without_the_cap(
    client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = world.owner
    whole = {
        (url, metric, str(params)): await _answer(client, owner, f"{url}/{metric}", params)
        for url, metric, params in _cases(world)
    }
    monkeypatch.setattr(service, "MAX_TASK_IDS", LISTED)
    monkeypatch.setattr(behind, "MAX_BEHIND", BEHIND)
    truncated = 0
    for url, metric, params in _cases(world):
        full = whole[(url, metric, str(params))]["points"]
        capped = (await _answer(client, owner, f"{url}/{metric}", params))["points"]
        assert len(capped) == len(full), (url, metric, params)
        for index, (point, uncapped) in enumerate(zip(capped, full, strict=True)):
            assert not uncapped["task_ids_truncated"]  # the world is small
            if not point["task_ids_truncated"]:
                if index % 7:  # every point would be slow; enough of the untruncated ones
                    continue
            else:
                truncated += 1
                assert point["task_ids"] == uncapped["task_ids"][:LISTED]
            ids, pages = await _pages(
                client, owner, f"{url}/{metric}/tasks", {**params, "point": index}
            )
            where = (url, metric, params, index)
            assert ids == uncapped["task_ids"][:BEHIND], where
            assert {p["count"] for p in pages} == {point["count"]}, where
            assert {p["listed"] for p in pages} == {len(ids)}, where
            assert all(len(p["items"]) <= 2 for p in pages)
    # Truncated points of every metric that lists several tasks in a point.
    assert truncated >= 20


async def test_bad_points_and_cursors_are_422(client: httpx.AsyncClient, world: World) -> None:
    url = f"/api/v1/projects/{world.projects['ENG']}/insights/status-counts"
    headers = world.owner.headers
    answer = expect(await client.get(url, headers=headers), 200)["points"]
    points = len(answer)
    busy = max(range(points), key=lambda i: answer[i]["count"])
    assert answer[busy]["count"] >= 2
    for bad in (points, -1, "x"):
        r = await client.get(f"{url}/tasks", params={"point": bad}, headers=headers)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == "point"
    first = expect(
        await client.get(f"{url}/tasks", params={"point": busy, "limit": 1}, headers=headers),
        200,
    )
    assert first["next_cursor"] is not None
    other = (busy + 1) % points
    for cursor, point in (("nonsense", busy), (first["next_cursor"], other)):
        # A made-up cursor, and one of another point.
        r = await client.get(
            f"{url}/tasks", params={"point": point, "cursor": cursor}, headers=headers
        )
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == "cursor"
