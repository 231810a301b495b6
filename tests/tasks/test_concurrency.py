"""Concurrent writers through the real HTTP stack and the real database."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from tasklane.models import Event
from tests.factories import Board, expect, make_task


async def test_concurrent_creates_get_distinct_consecutive_keys(
    client: httpx.AsyncClient, board: Board
) -> None:
    results = await asyncio.gather(
        *[
            client.post(
                f"/api/v1/projects/{board.pid}/tasks",
                json={"title": f"c{i}"},
                headers=board.member.headers,
            )
            for i in range(20)
        ]
    )
    assert [r.status_code for r in results] == [201] * 20
    numbers = sorted(r.json()["number"] for r in results)
    assert numbers == list(range(1, 21))


async def test_same_version_patches_give_one_200_and_one_412(
    client: httpx.AsyncClient, board: Board
) -> None:
    task = await make_task(client, board.member, board.pid)
    headers = {**board.member.headers, "If-Match": '"1"'}
    results = await asyncio.gather(
        client.patch(f"/api/v1/tasks/{task['id']}", json={"title": "first"}, headers=headers),
        client.patch(f"/api/v1/tasks/{task['id']}", json={"title": "second"}, headers=headers),
    )
    assert sorted(r.status_code for r in results) == [200, 412]
    winner = next(r.json() for r in results if r.status_code == 200)
    now = expect(await client.get(f"/api/v1/tasks/{task['id']}", headers=board.member.headers), 200)
    assert now["title"] == winner["title"]
    assert now["version"] == 2


async def test_concurrent_moves_keep_distinct_positions_and_gapless_events(
    client: httpx.AsyncClient, app: FastAPI, board: Board
) -> None:
    tasks = [await make_task(client, board.member, board.pid, title=f"t{i}") for i in range(6)]
    doing = board.statuses["In Progress"]["id"]
    results = await asyncio.gather(
        *[
            client.post(
                f"/api/v1/tasks/{t['id']}/move",
                json={"status_id": doing},
                headers=board.member.headers,
            )
            for t in tasks
        ]
    )
    assert [r.status_code for r in results] == [200] * 6
    column = expect(
        await client.get(
            f"/api/v1/projects/{board.pid}/tasks",
            params={"status_id": doing},
            headers=board.member.headers,
        ),
        200,
    )
    assert len({t["position"] for t in column["items"]}) == 6
    async with app.state.runtime.db.transaction(write=False) as s:
        seqs = list((await s.scalars(select(Event.seq).order_by(Event.seq))).all())
    assert seqs == list(range(1, len(seqs) + 1))
