"""Due soon: the hourly job tells each assignee of an open task due today or tomorrow, once
per task and due date."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI

from tasklane.kit.clock import utcnow
from tasklane.notifications.due import notify_due_soon
from tasklane.notifications.fanout import announce
from tests.factories import Board, expect, make_task


async def run_due_soon(app: FastAPI) -> int:
    runtime = app.state.runtime
    async with runtime.db.transaction() as session:
        shown = await notify_due_soon(session, runtime.settings)
        announce(session, shown)
    return len(shown)


async def inbox(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, object]]:
    body = expect(await client.get("/api/v1/notifications", headers=headers), 200)
    return list(body["items"])


async def test_assignees_of_open_tasks_due_within_a_day_hear_once(
    app: FastAPI, client: httpx.AsyncClient, board: Board
) -> None:
    today = utcnow().date()
    me, owner = board.member, board.owner
    due_today = await make_task(
        client, owner, board.pid, "Today", assignee_ids=[me.id, owner.id], due_date=str(today)
    )
    tomorrow = today + timedelta(days=1)
    await make_task(
        client, owner, board.pid, "Tomorrow", assignee_ids=[me.id], due_date=str(tomorrow)
    )
    await make_task(
        client,
        owner,
        board.pid,
        "Later",
        assignee_ids=[me.id],
        due_date=str(today + timedelta(days=2)),
    )
    await make_task(
        client,
        owner,
        board.pid,
        "Overdue",
        assignee_ids=[me.id],
        due_date=str(today - timedelta(days=1)),
    )
    await make_task(client, owner, board.pid, "Nobody's", due_date=str(today))
    done = await make_task(
        client, owner, board.pid, "Done", assignee_ids=[me.id], due_date=str(today)
    )
    expect(
        await client.patch(
            f"/api/v1/tasks/{done['id']}",
            json={"status_id": board.statuses["Done"]["id"]},
            headers=owner.headers,
        ),
        200,
    )
    assert await run_due_soon(app) == 3  # Today (twice: both assignees) and Tomorrow
    mine = await inbox(client, me.headers)
    assert sorted(str(n["summary"]) for n in mine) == [
        f"{due_today['key']} is due today: Today",
        "ENG-2 is due tomorrow: Tomorrow",
    ]
    assert {n["type"] for n in mine} == {"due_soon"}
    assert len(await inbox(client, owner.headers)) == 1  # an assignee, even the creator

    assert await run_due_soon(app) == 0  # the next hour: once per task and due date
    expect(
        await client.patch(
            f"/api/v1/tasks/{due_today['id']}",
            json={"due_date": str(tomorrow)},
            headers=owner.headers,
        ),
        200,
    )
    assert await run_due_soon(app) == 2  # a new due date is news again
    assert len(await inbox(client, me.headers)) == 3
