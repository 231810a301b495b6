"""Bad input of any shape is a 4xx problem response that changes nothing, on both databases."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import Board, expect


@pytest.mark.parametrize(
    "body",
    [
        {"title": "a\x00b"},
        {"title": "ok", "description": "nul \x00 inside"},
        {"title": "x" * 501},
        {"title": ""},
        {"title": 42},
        {"title": "ok", "priority": "ultra"},
        {"title": "ok", "due_date": "10000-01-01"},
        {"title": "ok", "estimate": -1},
        {"title": "ok", "assignee_ids": ["not-a-uuid"]},
        {"title": "ok", "assignee_ids": ["00000000-0000-0000-0000-000000000000"] * 21},
        [],
        "just a string",
    ],
)
async def test_task_create_refuses_and_writes_nothing(
    client: httpx.AsyncClient, board: Board, body: object
) -> None:
    r = await client.post(
        f"/api/v1/projects/{board.pid}/tasks", json=body, headers=board.member.headers
    )
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"] == "application/problem+json"
    listed = expect(
        await client.get(f"/api/v1/projects/{board.pid}/tasks", headers=board.member.headers), 200
    )
    assert listed["items"] == []


async def test_escaped_backslash_u0000_is_ordinary_text(
    client: httpx.AsyncClient, board: Board
) -> None:
    r = await client.post(
        f"/api/v1/projects/{board.pid}/tasks",
        content=b'{"title": "literal \\\\u0000 text"}',
        headers={**board.member.headers, "content-type": "application/json"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["title"] == "literal \\u0000 text"


@pytest.mark.parametrize(
    "query", ["q=%00", "assignee_id=%00", "cursor=a%00", "limit=abc", "sort=%00"]
)
async def test_list_refuses_bad_query(client: httpx.AsyncClient, board: Board, query: str) -> None:
    r = await client.get(
        f"/api/v1/projects/{board.pid}/tasks?{query}", headers=board.member.headers
    )
    assert r.status_code == 422, r.text


@pytest.mark.parametrize("ref", ["%00", "ENG-99999999999999999999", "x" * 65, "01a208f0-zzzz"])
async def test_task_refs_that_cannot_exist(
    client: httpx.AsyncClient, board: Board, ref: str
) -> None:
    r = await client.get(f"/api/v1/tasks/{ref}", headers=board.member.headers)
    assert r.status_code in (404, 422), r.text
