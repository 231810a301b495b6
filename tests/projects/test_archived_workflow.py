"""Workflow changes that would rewrite tasks wait until an archived project is unarchived."""

from __future__ import annotations

import httpx

from tests.factories import Board, expect, make_task


async def test_deleting_a_status_of_an_archived_project_is_refused(
    client: httpx.AsyncClient, board: Board
) -> None:
    oh = board.owner.headers
    backlog = board.statuses["Backlog"]["id"]
    task = await make_task(client, board.member, board.pid, status_id=backlog)
    expect(
        await client.patch(f"/api/v1/projects/{board.pid}", json={"archived": True}, headers=oh),
        200,
    )
    refused = await client.delete(f"/api/v1/projects/{board.pid}/statuses/{backlog}", headers=oh)
    assert refused.status_code == 409
    assert refused.json()["code"] == "project_archived"
    recategorise = await client.patch(
        f"/api/v1/projects/{board.pid}/statuses/{backlog}", json={"category": "done"}, headers=oh
    )
    assert recategorise.json()["code"] == "project_archived"
    after = expect(await client.get(f"/api/v1/tasks/{task['id']}", headers=oh), 200)
    assert after["status_id"] == backlog
    assert after["version"] == task["version"]
    # Renaming touches no task, so it is allowed.
    expect(
        await client.patch(
            f"/api/v1/projects/{board.pid}/statuses/{backlog}", json={"name": "Later"}, headers=oh
        ),
        200,
    )
