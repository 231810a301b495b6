"""Watchers (issue 14, item 1) through HTTP: a task's creator, assignees and commenters
watch it; anyone who can see it starts and stops watching it; only a project admin changes
someone else's watching, and only for someone who can see the task."""

from __future__ import annotations

import httpx

from tests.factories import (
    Board,
    User,
    expect,
    make_board,
    make_task,
    make_user,
)


def watchers_url(task: dict[str, object]) -> str:
    return f"/api/v1/tasks/{task['id']}/watchers"


async def watching(client: httpx.AsyncClient, board: Board, task: dict[str, object]) -> list[str]:
    body = expect(await client.get(watchers_url(task), headers=board.owner.headers), 200)
    return [w["name"] for w in body["items"]]


async def test_creator_assignees_and_commenters_watch_and_anyone_may_start_or_stop(
    client: httpx.AsyncClient,
) -> None:
    board = await make_board(client)  # Olive Owner and Max Member
    task = await make_task(client, board.owner, board.pid, "Plan")
    assert await watching(client, board, task) == ["Olive Owner"]
    me = board.member
    first = await client.post(watchers_url(task), json={"user_id": me.id}, headers=me.headers)
    assert first.status_code == 201, first.text
    assert first.json() == {
        "user_id": me.id,
        "name": "Max Member",
        "handle": first.json()["handle"],
        "avatar_color": first.json()["avatar_color"],
    }
    again = await client.post(watchers_url(task), json={"user_id": me.id}, headers=me.headers)
    assert again.status_code == 200
    assert await watching(client, board, task) == ["Max Member", "Olive Owner"]
    stop = f"{watchers_url(task)}/{me.id}"
    expect(await client.delete(stop, headers=me.headers), 204)
    expect(await client.delete(stop, headers=me.headers), 204)  # done already
    assert await watching(client, board, task) == ["Olive Owner"]

    assigned = await make_task(client, board.owner, board.pid, "Build", assignee_ids=[me.id])
    assert await watching(client, board, assigned) == ["Max Member", "Olive Owner"]
    commented = await make_task(client, board.owner, board.pid, "Review")
    expect(
        await client.post(
            f"/api/v1/tasks/{commented['id']}/comments",
            json={"body": "On it"},
            headers=me.headers,
        ),
        201,
    )
    assert await watching(client, board, commented) == ["Max Member", "Olive Owner"]


async def test_only_a_project_admin_changes_someone_elses_watching(
    client: httpx.AsyncClient,
) -> None:
    board = await make_board(client)
    task = await make_task(client, board.owner, board.pid, "Plan")
    owner, member = board.owner, board.member
    r = await client.post(watchers_url(task), json={"user_id": owner.id}, headers=member.headers)
    assert r.status_code == 403, r.text
    r = await client.delete(f"{watchers_url(task)}/{owner.id}", headers=member.headers)
    assert r.status_code == 403, r.text
    assert await watching(client, board, task) == ["Olive Owner"]

    r = await client.post(watchers_url(task), json={"user_id": member.id}, headers=owner.headers)
    assert r.status_code == 201, r.text
    assert await watching(client, board, task) == ["Max Member", "Olive Owner"]
    expect(await client.delete(f"{watchers_url(task)}/{member.id}", headers=owner.headers), 204)
    assert await watching(client, board, task) == ["Olive Owner"]


async def test_someone_who_cannot_see_the_task_neither_watches_nor_is_listed(
    client: httpx.AsyncClient,
) -> None:
    board = await make_board(client)
    outsider: User = await make_user(client, name="Oscar Outside")
    task = await make_task(client, board.owner, board.pid, "Plan")
    r = await client.post(
        watchers_url(task), json={"user_id": outsider.id}, headers=board.owner.headers
    )
    assert (r.status_code, r.json()["code"]) == (422, "validation_failed"), r.text
    r = await client.get(watchers_url(task), headers=outsider.headers)
    assert r.status_code == 404
    # A member who watched and then left the workspace is no longer listed.
    await client.post(
        watchers_url(task), json={"user_id": board.member.id}, headers=board.member.headers
    )
    expect(
        await client.delete(
            f"/api/v1/workspaces/{board.workspace['id']}/members/{board.member.id}",
            headers=board.owner.headers,
        ),
        204,
    )
    assert await watching(client, board, task) == ["Olive Owner"]
