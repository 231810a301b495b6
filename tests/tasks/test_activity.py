"""A task's activity names related tasks only when the reader may see them."""

from __future__ import annotations

import httpx

from tests.factories import add_member, expect, make_board, make_project, make_task, make_user


async def test_activity_leaves_out_related_tasks_the_reader_cannot_see(
    client: httpx.AsyncClient,
) -> None:
    board = await make_board(client)  # project ENG ("A")
    hidden = await make_project(client, board.owner, board.workspace["id"], key="SEC")
    a1 = await make_task(client, board.owner, board.pid, "Visible work")
    b1 = await make_task(client, board.owner, hidden["id"], "Secret work")
    guest = await make_user(client)
    await add_member(client, board.owner, board.workspace["id"], guest, role="guest")
    expect(
        await client.post(
            f"/api/v1/projects/{board.pid}/members",
            json={"user_id": guest.id, "role": "viewer"},
            headers=board.owner.headers,
        ),
        201,
    )
    relation = expect(
        await client.post(
            f"/api/v1/tasks/{a1['key']}/relations",
            json={"type": "blocks", "task_id": b1["id"]},
            headers=board.owner.headers,
        ),
        201,
    )
    expect(
        await client.delete(
            f"/api/v1/tasks/{a1['key']}/relations/{relation['id']}", headers=board.owner.headers
        ),
        204,
    )
    # The guest cannot see B-1 at all.
    assert (await client.get(f"/api/v1/tasks/{b1['id']}", headers=guest.headers)).status_code == 404

    seen = await client.get(f"/api/v1/tasks/{a1['key']}/activity", headers=guest.headers)
    items = expect(seen, 200)["items"]
    assert b1["id"] not in seen.text
    assert b1["key"] not in seen.text
    added = next(i for i in items if i["type"] == "task.relation_added")
    removed = next(i for i in items if i["type"] == "task.relation_removed")
    assert added["changes"]["relation"] == {"from": None, "to": {"type": "blocks", "task_id": None}}
    assert removed["changes"]["relation"] == {
        "from": {"type": "blocks", "task_id": None},
        "to": None,
    }

    # Who may see B-1 still reads its id.
    full = expect(
        await client.get(f"/api/v1/tasks/{a1['key']}/activity", headers=board.owner.headers), 200
    )["items"]
    added = next(i for i in full if i["type"] == "task.relation_added")
    assert added["changes"]["relation"]["to"]["task_id"] == b1["id"]
