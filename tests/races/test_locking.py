"""Issue 13 item 5: check-then-write races. Each test sends conflicting writes at once (one
gather is the barrier) for several rounds; none may answer 500, and afterwards the database
must hold every invariant (tests/races/invariants.py). SQLite serialises writers, so these
hold there too; PostgreSQL runs them side by side."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI

from tests.factories import Board, add_member, expect, make_task, make_user
from tests.races.helpers import no_server_errors, rounds
from tests.races.invariants import broken_invariants


async def test_swapping_parents_at_once_gives_no_cycle_and_no_500(
    client: httpx.AsyncClient, app: FastAPI, board: Board
) -> None:
    h = board.member.headers

    async def one_round(i: int) -> None:
        a = await make_task(client, board.member, board.pid, title=f"a{i}")
        b = await make_task(client, board.member, board.pid, title=f"b{i}")
        c = await make_task(client, board.member, board.pid, title=f"c{i}", parent_id=b["id"])
        results = await asyncio.gather(
            client.patch(f"/api/v1/tasks/{a['id']}", json={"parent_id": b["id"]}, headers=h),
            client.patch(f"/api/v1/tasks/{b['id']}", json={"parent_id": a["id"]}, headers=h),
            # A longer cycle: a -> c -> b, and b -> a.
            client.patch(f"/api/v1/tasks/{a['id']}", json={"parent_id": c["id"]}, headers=h),
        )
        codes = no_server_errors(results)
        assert codes.count(200) >= 1, codes
        assert set(codes) <= {200, 422}, codes
        assert await broken_invariants(app) == []

    await rounds(one_round)


async def test_deleting_a_status_while_tasks_go_into_it(
    client: httpx.AsyncClient, app: FastAPI, board: Board
) -> None:
    h = board.member.headers
    todo = board.statuses["Todo"]["id"]
    tasks = [await make_task(client, board.member, board.pid, title=f"t{n}") for n in range(4)]

    async def one_round(i: int) -> None:
        status = expect(
            await client.post(
                f"/api/v1/projects/{board.pid}/statuses",
                json={"name": f"Review {i}", "category": "started"},
                headers=board.owner.headers,
            ),
            201,
        )
        sid = status["id"]
        waiting = await make_task(client, board.member, board.pid, title=f"w{i}", status_id=sid)
        calls = [
            client.delete(
                f"/api/v1/projects/{board.pid}/statuses/{sid}",
                params={"move_to": todo},
                headers=board.owner.headers,
            ),
            client.post(
                f"/api/v1/projects/{board.pid}/tasks",
                json={"title": f"n{i}", "status_id": sid},
                headers=h,
            ),
            client.patch(f"/api/v1/tasks/{tasks[0]['id']}", json={"status_id": sid}, headers=h),
            client.post(f"/api/v1/tasks/{tasks[1]['id']}/move", json={"status_id": sid}, headers=h),
            client.post(
                f"/api/v1/tasks/{tasks[2]['id']}/move",
                json={"status_id": sid, "after_id": waiting["id"]},
                headers=h,
            ),
            client.patch(f"/api/v1/tasks/{waiting['id']}", json={"title": f"w{i}!"}, headers=h),
        ]
        results = await asyncio.gather(*calls)
        codes = no_server_errors(results)
        assert codes[0] == 204, results[0].text
        assert await broken_invariants(app) == []

    await rounds(one_round)


async def test_deleting_a_label_while_tasks_get_it(
    client: httpx.AsyncClient, app: FastAPI, board: Board
) -> None:
    h = board.member.headers
    tasks = [await make_task(client, board.member, board.pid, title=f"t{n}") for n in range(3)]

    async def one_round(i: int) -> None:
        label = expect(
            await client.post(
                f"/api/v1/projects/{board.pid}/labels",
                json={"name": f"bug{i}", "color": "#ff0000"},
                headers=h,
            ),
            201,
        )
        lid = label["id"]
        calls = [
            client.delete(
                f"/api/v1/projects/{board.pid}/labels/{lid}", headers=board.owner.headers
            ),
            client.post(
                f"/api/v1/projects/{board.pid}/tasks",
                json={"title": f"n{i}", "label_ids": [lid]},
                headers=h,
            ),
            *[
                client.patch(f"/api/v1/tasks/{t['id']}", json={"label_ids": [lid]}, headers=h)
                for t in tasks
            ],
            client.patch(
                f"/api/v1/projects/{board.pid}/tasks",
                json={"items": [{"id": tasks[0]["id"], "changes": {"label_ids": []}}]},
                headers=h,
            ),
        ]
        results = await asyncio.gather(*calls)
        codes = no_server_errors(results)
        assert codes[0] == 204, results[0].text
        assert await broken_invariants(app) == []

    await rounds(one_round)


async def test_removing_members_while_assigning_them(
    client: httpx.AsyncClient, app: FastAPI, board: Board
) -> None:
    h = board.member.headers
    wid = board.workspace["id"]
    worker = await make_user(client)
    guest = await make_user(client)
    await add_member(client, board.owner, wid, guest, role="guest")
    tasks = [await make_task(client, board.member, board.pid, title=f"t{n}") for n in range(4)]

    async def one_round(i: int) -> None:
        await add_member(client, board.owner, wid, worker)
        expect(
            await client.post(
                f"/api/v1/projects/{board.pid}/members",
                json={"user_id": guest.id, "role": "member"},
                headers=board.owner.headers,
            ),
            201,
        )
        calls: list[Any] = [
            client.delete(
                f"/api/v1/workspaces/{wid}/members/{worker.id}", headers=board.owner.headers
            ),
            client.delete(
                f"/api/v1/projects/{board.pid}/members/{guest.id}", headers=board.owner.headers
            ),
            client.post(
                f"/api/v1/projects/{board.pid}/tasks",
                json={"title": f"n{i}", "assignee_ids": [worker.id, guest.id]},
                headers=h,
            ),
            client.patch(
                f"/api/v1/tasks/{tasks[0]['id']}", json={"assignee_ids": [worker.id]}, headers=h
            ),
            client.patch(
                f"/api/v1/tasks/{tasks[1]['id']}", json={"assignee_ids": [guest.id]}, headers=h
            ),
            client.patch(
                f"/api/v1/tasks/{tasks[2]['id']}",
                json={"assignee_ids": [worker.id, guest.id]},
                headers=h,
            ),
        ]
        results = await asyncio.gather(*calls)
        codes = no_server_errors(results)
        assert codes[:2] == [204, 204], [r.text for r in results[:2]]
        assert await broken_invariants(app) == []

    await rounds(one_round)


async def test_archiving_a_project_while_writing_to_it(
    client: httpx.AsyncClient, app: FastAPI, board: Board
) -> None:
    h = board.member.headers
    doing = board.statuses["In Progress"]["id"]
    tasks = [await make_task(client, board.member, board.pid, title=f"t{n}") for n in range(4)]

    async def one_round(i: int) -> None:
        expect(
            await client.patch(
                f"/api/v1/projects/{board.pid}",
                json={"archived": False},
                headers=board.owner.headers,
            ),
            200,
        )
        calls = [
            client.patch(
                f"/api/v1/projects/{board.pid}",
                json={"archived": True},
                headers=board.owner.headers,
            ),
            client.post(f"/api/v1/projects/{board.pid}/tasks", json={"title": f"n{i}"}, headers=h),
            client.patch(f"/api/v1/tasks/{tasks[0]['id']}", json={"title": f"r{i}"}, headers=h),
            client.post(
                f"/api/v1/tasks/{tasks[1]['id']}/move", json={"status_id": doing}, headers=h
            ),
            client.delete(f"/api/v1/tasks/{tasks[2]['id']}", headers=h),
            client.post(f"/api/v1/tasks/{tasks[2]['id']}/restore", headers=h),
        ]
        results = await asyncio.gather(*calls)
        codes = no_server_errors(results)
        assert codes[0] == 200, results[0].text
        assert await broken_invariants(app) == []

    await rounds(one_round)


async def test_deleting_a_project_while_writing_to_it(
    client: httpx.AsyncClient, app: FastAPI, board: Board
) -> None:
    h = board.member.headers
    wid = board.workspace["id"]

    async def one_round(i: int) -> None:
        project = expect(
            await client.post(
                f"/api/v1/workspaces/{wid}/projects",
                json={"key": f"P{i}", "name": f"Project {i}"},
                headers=board.owner.headers,
            ),
            201,
        )
        pid = project["id"]
        tasks = [await make_task(client, board.member, pid, title=f"t{n}") for n in range(3)]
        label = expect(
            await client.post(
                f"/api/v1/projects/{pid}/labels", json={"name": "x", "color": "#ff0000"}, headers=h
            ),
            201,
        )
        results = await asyncio.gather(
            client.delete(f"/api/v1/projects/{pid}", headers=board.owner.headers),
            client.post(
                f"/api/v1/projects/{pid}/tasks",
                json={"title": "new", "label_ids": [label["id"]]},
                headers=h,
            ),
            client.patch(f"/api/v1/tasks/{tasks[0]['id']}", json={"title": "renamed"}, headers=h),
            client.patch(
                f"/api/v1/tasks/{tasks[1]['id']}", json={"parent_id": tasks[2]["id"]}, headers=h
            ),
            client.post(
                f"/api/v1/tasks/{tasks[2]['id']}/move",
                json={"status_id": tasks[0]["status_id"]},
                headers=h,
            ),
        )
        codes = no_server_errors(results)
        assert codes[0] == 204, results[0].text
        assert await broken_invariants(app) == []

    await rounds(one_round)
