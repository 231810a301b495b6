"""Issue 13 item 4: ordering keys stay short however often tasks are dragged into one gap."""

from __future__ import annotations

from uuid import UUID

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from tasklane.kit.ordering import MAX_KEY_LENGTH
from tasklane.models import Event
from tests.factories import Board, expect, make_task
from tests.races.helpers import column_keys


async def test_400_drags_between_the_same_neighbours_keep_keys_short_unique_and_ordered(
    client: httpx.AsyncClient, app: FastAPI, board: Board
) -> None:
    h = board.member.headers
    todo = board.statuses["Todo"]["id"]
    top, x, y, bottom = [
        await make_task(client, board.member, board.pid, title=name, status_id=todo)
        for name in ("top", "x", "y", "bottom")
    ]
    longest = 0
    # Past the 373rd drag, where PostgreSQL's varchar(64) once failed; two rebalances.
    for n in range(400):
        # Each drag lands right under `top`, above the task dragged before: always the same gap.
        mover = (x, y)[n % 2]
        moved = expect(
            await client.post(
                f"/api/v1/tasks/{mover['id']}/move",
                json={"status_id": todo, "after_id": top["id"]},
                headers=h,
            ),
            200,
        )
        longest = max(longest, len(moved["position"]))
        if n % 50 == 49:
            keys = await column_keys(app, todo)
            expected = [top, (x, y)[n % 2], (y, x)[n % 2], bottom]
            assert [i for _, i in keys] == [UUID(t["id"]) for t in expected]
            assert len({k for k, _ in keys}) == 4
            assert max(len(k) for k, _ in keys) <= MAX_KEY_LENGTH
    assert longest <= MAX_KEY_LENGTH
    keys = await column_keys(app, todo)
    assert [i for _, i in keys] == [UUID(t["id"]) for t in (top, y, x, bottom)]
    # The API reads the same order, and live clients were told about every re-keyed task.
    listed = expect(
        await client.get(
            f"/api/v1/projects/{board.pid}/tasks", params={"status_id": todo}, headers=h
        ),
        200,
    )
    assert [t["id"] for t in listed["items"]] == [t["id"] for t in (top, y, x, bottom)]
    async with app.state.runtime.db.transaction(write=False) as s:
        moved = (await s.scalars(select(Event.data).where(Event.type == "task.moved"))).all()
    assert len(moved) > 400
    assert any(data.get("rebalanced") for data in moved)
    for task in (top, bottom):
        now = expect(await client.get(f"/api/v1/tasks/{task['id']}", headers=h), 200)
        assert now["position"] == {str(i): k for k, i in keys}[task["id"]]
