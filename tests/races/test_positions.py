"""Issue 13 item 3: every write that places a task in a column takes the column's lock, so
concurrent creates, status changes, moves and restores never share an ordering key."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from tests.factories import Board, expect, make_task
from tests.races.helpers import column_keys, duplicate_keys, no_server_errors, rounds


async def test_concurrent_creates_patches_moves_and_restores_get_distinct_keys(
    client: httpx.AsyncClient, app: FastAPI, board: Board
) -> None:
    h = board.member.headers
    todo = board.statuses["Todo"]["id"]
    doing = board.statuses["In Progress"]["id"]

    async def one_round(i: int) -> None:
        tasks = [
            await make_task(client, board.member, board.pid, title=f"r{i}-{n}") for n in range(9)
        ]
        trashed = tasks[8]
        expect(await client.delete(f"/api/v1/tasks/{trashed['id']}", headers=h), 204)
        # The trashed task is restored into "Todo", where the others leave and arrive.
        calls = [
            client.post(
                f"/api/v1/projects/{board.pid}/tasks",
                json={"title": f"n{i}-{k}", "status_id": doing},
                headers=h,
            )
            for k in range(3)
        ]
        calls.append(
            client.post(
                f"/api/v1/projects/{board.pid}/tasks",
                json={"title": f"top{i}", "status_id": doing, "placement": "top"},
                headers=h,
            )
        )
        calls += [
            client.patch(f"/api/v1/tasks/{t['id']}", json={"status_id": doing}, headers=h)
            for t in tasks[:3]
        ]
        calls += [
            client.post(f"/api/v1/tasks/{t['id']}/move", json={"status_id": doing}, headers=h)
            for t in tasks[3:6]
        ]
        calls += [
            client.post(
                f"/api/v1/tasks/{tasks[6]['id']}/move",
                json={"status_id": todo, "after_id": tasks[7]["id"]},
                headers=h,
            ),
            client.post(f"/api/v1/tasks/{trashed['id']}/restore", headers=h),
        ]
        results = await asyncio.gather(*calls)
        codes = no_server_errors(results)
        assert codes.count(201) == 4, codes
        assert codes.count(200) == len(calls) - 4, codes
        assert await duplicate_keys(app, board.pid) == []

    await rounds(one_round)
    keys = await column_keys(app, doing)
    assert len(keys) == len({k for k, _ in keys})


async def test_deleting_a_status_gives_the_moved_tasks_their_own_keys(
    client: httpx.AsyncClient, app: FastAPI, board: Board
) -> None:
    """Tasks moved by a status deletion join the end of the target column, in their order."""
    todo = board.statuses["Todo"]["id"]
    backlog = board.statuses["Backlog"]["id"]
    first = [
        await make_task(client, board.member, board.pid, title=f"b{n}", status_id=backlog)
        for n in range(3)
    ]
    stay = [
        await make_task(client, board.member, board.pid, title=f"t{n}", status_id=todo)
        for n in range(3)
    ]
    expect(
        await client.delete(
            f"/api/v1/projects/{board.pid}/statuses/{backlog}",
            params={"move_to": todo},
            headers=board.owner.headers,
        ),
        204,
    )
    keys = await column_keys(app, todo)
    assert len({k for k, _ in keys}) == 6
    assert [str(i) for _, i in keys] == [t["id"] for t in stay + first]
