"""Deleting a comment takes its text out of everything that shows it: the comment, the task's
activity, the event log (its earlier created and edited events) and the WebSocket replay. The
deletion itself stays on record: that a comment was deleted, by whom and when."""

from __future__ import annotations

import json

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from tasklane.models import Event
from tests.factories import expect, make_board, make_task
from tests.realtime.helpers import head, live_client, running_server

SECRET = "pelican-47"


async def test_a_deleted_comment_leaves_no_text_anywhere(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    board = await make_board(client)
    task = await make_task(client, board.owner, board.pid, "Launch")
    cursor = await head(app)
    comment = expect(
        await client.post(
            f"/api/v1/tasks/{task['key']}/comments",
            json={"body": f"The password is {SECRET}"},
            headers=board.member.headers,
        ),
        201,
    )
    expect(
        await client.patch(
            f"/api/v1/comments/{comment['id']}",
            json={"body": f"Oops, {SECRET} again"},
            headers=board.member.headers,
        ),
        200,
    )
    expect(
        await client.patch(
            f"/api/v1/comments/{comment['id']}",
            json={"body": "nothing to see"},
            headers=board.member.headers,
        ),
        200,
    )
    # Before the deletion the history shows the text (so the checks below can fail).
    before = await client.get(f"/api/v1/tasks/{task['key']}/activity", headers=board.owner.headers)
    assert SECRET in before.text
    expect(
        await client.delete(f"/api/v1/comments/{comment['id']}", headers=board.member.headers),
        204,
    )

    activity = await client.get(
        f"/api/v1/tasks/{task['key']}/activity", headers=board.owner.headers
    )
    items = expect(activity, 200)["items"]
    assert SECRET not in activity.text
    assert "nothing to see" not in activity.text
    deleted = [i for i in items if i["type"] == "comment.deleted"]
    assert len(deleted) == 1
    assert deleted[0]["actor_id"] == board.member.id
    assert deleted[0]["created_at"]
    # The comment's earlier events stay (the history keeps its shape), without their text.
    assert [i["type"] for i in items if i["type"].startswith("comment.")] == [
        "comment.created",
        "comment.updated",
        "comment.updated",
        "comment.deleted",
    ]

    comments = await client.get(
        f"/api/v1/tasks/{task['key']}/comments", headers=board.owner.headers
    )
    assert expect(comments, 200)["items"] == []
    gone = await client.get(f"/api/v1/comments/{comment['id']}", headers=board.owner.headers)
    assert gone.status_code == 404
    assert SECRET not in gone.text

    async with app.state.runtime.db.transaction(write=False) as session:
        rows = (await session.scalars(select(Event).where(Event.seq > cursor))).all()
    assert len(rows) >= 4
    for row in rows:
        assert SECRET not in json.dumps(row.data), (row.type, row.data)
        assert "nothing to see" not in json.dumps(row.data), (row.type, row.data)

    async with running_server(app) as url, live_client(url, board.owner.access_token) as live:
        subscribed, replayed = await live.subscribe(task_id=task["key"], since=cursor)
    assert subscribed["replayed"] == len(replayed) >= 4
    assert [e["event"]["type"] for e in replayed][-1] == "comment.deleted"
    assert SECRET not in json.dumps(live.log)
