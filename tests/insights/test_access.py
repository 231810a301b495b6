"""A metric never counts what the caller cannot see."""

from __future__ import annotations

import httpx
import pytest

from tasklane.kit.clock import frozen
from tests.factories import expect
from tests.insights.conftest import NOW, World


async def _get(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> httpx.Response:
    with frozen(NOW):
        return await client.get(
            url, params={"from": "2026-11-02", "to": "2026-11-12"}, headers=headers
        )


class TestAccess:
    @pytest.mark.parametrize(
        ("role", "status"),
        [("anonymous", 401), ("outsider", 404), ("guest", 404), ("viewer", 200), ("member", 200)],
    )
    async def test_project(
        self, client: httpx.AsyncClient, world: World, role: str, status: int
    ) -> None:
        headers = {} if role == "anonymous" else getattr(world, role).headers
        url = f"/api/v1/projects/{world.projects['ENG']}/insights/throughput"
        r = await _get(client, url, headers)
        assert r.status_code == status, r.text
        with frozen(NOW):
            r = await client.post(
                f"/api/v1/projects/{world.projects['ENG']}/insights/forecast",
                json={},
                headers=headers,
            )
        assert r.status_code in ((status,) if status != 200 else (200, 422)), r.text

    async def test_guest_counts_only_their_projects(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        url = f"/api/v1/workspaces/{world.workspace}/insights/throughput"
        body = expect(await _get(client, url, world.guest.headers), 200)
        ids = [i for p in body["points"] for i in p["task_ids"]]
        assert ids == [world.tasks["O1"]]
        assert body["summary"]["count"] == 1
        url = f"/api/v1/workspaces/{world.workspace}/insights/status-counts"
        body = expect(await _get(client, url, world.guest.headers), 200)
        assert {p["project_id"] for p in body["points"]} == {world.projects["OPS"]}
        assert body["summary"]["count"] == 1

    async def test_viewer_sees_the_workspace(self, client: httpx.AsyncClient, world: World) -> None:
        url = f"/api/v1/workspaces/{world.workspace}/insights/status-counts"
        body = expect(await _get(client, url, world.viewer.headers), 200)
        assert {p["project_id"] for p in body["points"]} == set(world.projects.values())

    async def test_outsider_gets_404(self, client: httpx.AsyncClient, world: World) -> None:
        url = f"/api/v1/workspaces/{world.workspace}/insights/throughput"
        r = await _get(client, url, world.outsider.headers)
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/problem+json"

    async def test_ids_of_another_project_count_nothing(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        url = f"/api/v1/projects/{world.projects['OPS']}/insights/burndown"
        with frozen(NOW):
            r = await client.get(
                url,
                params={"from": "2026-11-02", "to": "2026-11-12", "task_ids": [world.tasks["A"]]},
                headers=world.guest.headers,
            )
        body = expect(r, 200)
        assert body["summary"]["scope"] == 0
        assert all(not p["task_ids"] for p in body["points"])
