"""Forged input that reaches the database: task keys past the `tasks.number` column's range,
and pagination cursors of every shape. Each is a 4xx problem (404 for a key that cannot name a
task, 422 naming `cursor` for a cursor), never a 500, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tasklane.kit.pagination import cursor_key, seal_cursor, sign_cursor
from tests.factories import Board, expect, make_board, make_task, make_workspace
from tests.realtime.helpers import live_client, running_server

API = "/api/v1"
HUGE_NUMBERS = [2**31, 2**63, 10**30]
ID = "0190d3c4-5b6a-7c8d-9e0f-1a2b3c4d5e6f"
WHEN = "2026-01-01T00:00:00+00:00"


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def names_cursor(response: httpx.Response) -> None:
    body = problem(response, 422, "validation_failed")
    assert [e["field"] for e in body["errors"]] == ["cursor"], body


# --- task keys -----------------------------------------------------------------------------


@pytest.mark.parametrize("number", HUGE_NUMBERS)
class TestKeyPastTheColumn:
    async def test_every_task_route_is_404(
        self, client: httpx.AsyncClient, board: Board, number: int
    ) -> None:
        await make_task(client, board.owner, board.pid)
        ref = f"ENG-{number}"
        h = board.owner.headers
        for response in (
            await client.get(f"{API}/tasks/{ref}", headers=h),
            await client.patch(f"{API}/tasks/{ref}", json={"title": "x"}, headers=h),
            await client.post(
                f"{API}/tasks/{ref}/move",
                json={"status_id": board.statuses["Todo"]["id"]},
                headers=h,
            ),
            await client.delete(f"{API}/tasks/{ref}", headers=h),
            await client.post(f"{API}/tasks/{ref}/restore", headers=h),
            await client.get(f"{API}/tasks/{ref}/relations", headers=h),
            await client.post(
                f"{API}/tasks/{ref}/relations",
                json={"type": "blocks", "task_id": "ENG-1"},
                headers=h,
            ),
            await client.get(f"{API}/tasks/{ref}/activity", headers=h),
            await client.get(f"{API}/tasks/{ref}/comments", headers=h),
            await client.post(f"{API}/tasks/{ref}/comments", json={"body": "hi"}, headers=h),
        ):
            problem(response, 404, "not_found")

    async def test_a_relation_to_it_is_refused_like_any_missing_task(
        self, client: httpx.AsyncClient, board: Board, number: int
    ) -> None:
        task = await make_task(client, board.owner, board.pid)
        r = await client.post(
            f"{API}/tasks/{task['key']}/relations",
            json={"type": "blocks", "task_id": f"ENG-{number}"},
            headers=board.owner.headers,
        )
        body = problem(r, 422, "validation_failed")
        assert [e["field"] for e in body["errors"]] == ["task_id"]
        listed = expect(
            await client.get(f"{API}/tasks/{task['key']}/relations", headers=board.owner.headers),
            200,
        )
        assert listed["items"] == []

    async def test_bulk_items_take_ids_only(
        self, client: httpx.AsyncClient, board: Board, number: int
    ) -> None:
        task = await make_task(client, board.owner, board.pid, title="Before")
        r = await client.patch(
            f"{API}/projects/{board.pid}/tasks",
            json={"items": [{"id": f"ENG-{number}", "changes": {"title": "After"}}]},
            headers=board.owner.headers,
        )
        problem(r, 422, "validation_failed")
        after = expect(
            await client.get(f"{API}/tasks/{task['id']}", headers=board.owner.headers), 200
        )
        assert after["title"] == "Before"


async def test_the_largest_key_in_range_is_a_plain_404(
    client: httpx.AsyncClient, board: Board
) -> None:
    r = await client.get(f"{API}/tasks/ENG-{2**31 - 1}", headers=board.owner.headers)
    problem(r, 404, "not_found")


@pytest.fixture
async def base_url(app: FastAPI) -> AsyncIterator[str]:
    async with running_server(app) as url:
        yield url


async def test_a_live_subscription_to_it_is_not_found_and_the_socket_stays_open(
    app: FastAPI, base_url: str
) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        board = await make_board(http)
        task = await make_task(http, board.owner, board.pid)
    async with live_client(base_url, board.owner.access_token) as live:
        await live.expect("hello")
        for number in HUGE_NUMBERS:
            await live.send(type="subscribe", task_id=f"ENG-{number}")
            error = await live.expect("error")
            assert error["code"] == "not_found", error
            assert error["task_id"] == f"ENG-{number}"
            await live.send(type="ping")
            await live.expect("pong")
        subscribed, _ = await live.subscribe(task_id=task["key"])
        assert subscribed["task_id"] == task["id"]


# --- cursors -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """One paginated list: where it is, the name its cursors are signed for, and a well-formed
    cursor's values with each one's kind (the test shows such a cursor is accepted before it
    forges others)."""

    url: Callable[[Board, dict[str, Any]], str]
    scope: str
    good: list[tuple[str, Any]]
    params: dict[str, str]


def _tasks(b: Board, _: dict[str, Any]) -> str:
    return f"{API}/projects/{b.pid}/tasks"


_BY_POSITION = [("int32", 0), ("str64", "a0"), ("uuid", ID)]
LISTINGS: dict[str, Listing] = {
    "tasks by position": Listing(_tasks, "tasks:position", _BY_POSITION, {}),
    "tasks by position, filtered": Listing(
        _tasks, "tasks:position", _BY_POSITION, {"assignee_id": "me"}
    ),
    "tasks newest first": Listing(
        _tasks, "tasks:-created", [("datetime", WHEN), ("uuid", ID)], {"sort": "-created"}
    ),
    "tasks by update": Listing(
        _tasks, "tasks:updated", [("datetime", WHEN), ("uuid", ID)], {"sort": "updated"}
    ),
    "tasks by priority": Listing(
        _tasks, "tasks:-priority", [("int16", 4), ("uuid", ID)], {"sort": "-priority"}
    ),
    "tasks by due date": Listing(
        _tasks, "tasks:due", [("date", "2026-01-01"), ("uuid", ID)], {"sort": "due"}
    ),
    "trash": Listing(
        lambda b, _: f"{API}/projects/{b.pid}/trash",
        "trash",
        [("datetime", WHEN), ("uuid", ID)],
        {},
    ),
    "comments": Listing(
        lambda _, c: f"{API}/tasks/{c['task']['key']}/comments",
        "comments",
        [("datetime", WHEN), ("uuid", ID)],
        {},
    ),
    "activity": Listing(
        lambda _, c: f"{API}/tasks/{c['task']['key']}/activity", "activity", [("int64", 0)], {}
    ),
    "projects": Listing(
        lambda b, _: f"{API}/workspaces/{b.workspace['id']}/projects",
        "projects",
        [("uuid", ID)],
        {},
    ),
    "workspaces": Listing(lambda _, __: f"{API}/workspaces", "workspaces", [("uuid", ID)], {}),
    "members": Listing(
        lambda b, _: f"{API}/workspaces/{b.workspace['id']}/members", "members", [("uuid", ID)], {}
    ),
}

# Wrong for a value of any kind: not JSON text or integers of any database's width.
ANY_KIND: list[Any] = [2**63, -(2**63) - 1, 10**30, 1.5, 1e300, True, None, {"a": 1}, [1]]
# Wrong for a value of one kind (and some of them right for another: "a0" is a fine position).
BAD: dict[str, list[Any]] = {
    "int64": ["1", 2**64],
    "int32": ["1", 2**31, -(2**31) - 1],
    "int16": ["1", 2**15, -(2**15) - 1, 2**31],
    "str64": ["a\x00b", "\ud800", "x\udfffy", "x" * 65],
    "uuid": ["not-a-uuid", "a\x00b", "\ud800", 1],
    "datetime": [
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
        "2026-01-01T00:00:00",
        "2026-01-01T00:00:00+00:00\x00",
        "\ud800",
        "yesterday",
        1_700_000_000,
    ],
    "date": ["10000-01-01", "2026-02-30", "\ud800", 20260101],
}
BAD_PAYLOADS: list[bytes] = [
    b"[" * 300 + b"]" * 300,
    b"[" + b"9" * 400 + b"]",
    b"[1e999]",
    b"[NaN]",
    b"{}",
    b'"x"',
    b"[]",
    b"[1, 2, 3, 4]",
    b"[1,",
    b"\xff",
    b"",
]


def forged_cursors(listing: Listing, key: bytes) -> list[str]:
    good = [value for _, value in listing.good]
    cursors = []
    for i, (kind, _) in enumerate(listing.good):
        for bad in ANY_KIND + BAD[kind]:
            values = [*good[:i], bad, *good[i + 1 :]]
            cursors.append(sign_cursor(values, scope=listing.scope, key=key))
    cursors += [seal_cursor(raw, scope=listing.scope, key=key) for raw in BAD_PAYLOADS]
    payload, tag = sign_cursor(good, scope=listing.scope, key=key).split(".")
    cursors += [
        payload,  # unsigned, as cursors were before they were signed
        f"{payload}.{tag[::-1]}",
        f"{payload[:-2]}.{tag}",
        sign_cursor(good, scope=listing.scope + "x", key=key),
        sign_cursor(good, scope=listing.scope, key=cursor_key("not-the-server-key")),
        "garbage",
        "a\x00b",
    ]
    return cursors


async def _context(client: httpx.AsyncClient, board: Board) -> dict[str, Any]:
    task = await make_task(client, board.owner, board.pid)
    return {"task": task}


def server_key(app: FastAPI) -> bytes:
    return cursor_key(app.state.runtime.settings.signing_key)


@pytest.mark.parametrize("name", list(LISTINGS))
async def test_every_forged_cursor_is_422_naming_cursor(
    app: FastAPI, client: httpx.AsyncClient, board: Board, name: str
) -> None:
    listing = LISTINGS[name]
    context = await _context(client, board)
    url = listing.url(board, context)
    key = server_key(app)

    async def get(cursor: str) -> httpx.Response:
        params = {**listing.params, "cursor": cursor}
        return await client.get(url, params=params, headers=board.owner.headers)

    # The test signs cursors as the server does: a well-formed one is accepted.
    expect(await get(sign_cursor([v for _, v in listing.good], scope=listing.scope, key=key)), 200)
    for cursor in forged_cursors(listing, key):
        r = await get(cursor)
        assert r.status_code == 422, (cursor, r.text)
        names_cursor(r)


async def _first_cursor(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], **params: str
) -> str:
    body = expect(await client.get(url, params={"limit": "1", **params}, headers=headers), 200)
    cursor = body["next_cursor"]
    assert isinstance(cursor, str)
    return cursor


async def test_a_cursor_replayed_on_another_list_is_422(
    client: httpx.AsyncClient, board: Board
) -> None:
    h = board.owner.headers
    first = await make_task(client, board.owner, board.pid)
    second = await make_task(client, board.owner, board.pid)
    for task in (first, second):
        await client.post(f"{API}/tasks/{task['key']}/comments", json={"body": "a"}, headers=h)
        await client.post(f"{API}/tasks/{task['key']}/comments", json={"body": "b"}, headers=h)
        expect(await client.delete(f"{API}/tasks/{task['key']}", headers=h), 204)
        expect(await client.post(f"{API}/tasks/{task['key']}/restore", headers=h), 200)
    await make_workspace(client, board.owner, name="Second")
    tasks = f"{API}/projects/{board.pid}/tasks"
    comments = f"{API}/tasks/{first['key']}/comments"
    activity = f"{API}/tasks/{first['key']}/activity"
    workspaces = f"{API}/workspaces"
    members = f"{API}/workspaces/{board.workspace['id']}/members"
    made: dict[str, str] = {
        "position": await _first_cursor(client, tasks, h),
        "-created": await _first_cursor(client, tasks, h, sort="-created"),
        "priority": await _first_cursor(client, tasks, h, sort="priority"),
        "comments": await _first_cursor(client, comments, h),
        "activity": await _first_cursor(client, activity, h),
        "workspaces": await _first_cursor(client, workspaces, h),
        "members": await _first_cursor(client, members, h),
    }
    targets: dict[str, tuple[str, dict[str, str]]] = {
        "position": (tasks, {}),
        "-created": (tasks, {"sort": "-created"}),
        "priority": (tasks, {"sort": "priority"}),
        "comments": (comments, {}),
        "activity": (activity, {}),
        "workspaces": (workspaces, {}),
        "members": (members, {}),
    }
    for origin, cursor in made.items():
        for target, (url, params) in targets.items():
            r = await client.get(url, params={**params, "cursor": cursor}, headers=h)
            if target == origin:
                expect(r, 200)
            else:
                assert r.status_code == 422, (origin, target, r.text)
                names_cursor(r)


def test_cursors_fit_in_the_query_limit() -> None:
    cursor = sign_cursor([2**31 - 1, "z" * 64, ID], scope="tasks:-priority", key=cursor_key("k"))
    assert len(cursor) <= 200
