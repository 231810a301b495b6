"""Bad input of any shape is a 4xx problem response that changes nothing, on both databases."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tasklane.api import new_router
from tests.factories import Board, expect

BAD_TASKS: dict[str, object] = {
    "nul-in-title": {"title": "a\x00b"},
    "nul-in-description": {"title": "ok", "description": "nul \x00 inside"},
    "title-too-long": {"title": "x" * 501},
    "title-empty": {"title": ""},
    "title-a-number": {"title": 42},
    "unknown-priority": {"title": "ok", "priority": "ultra"},
    "due-in-year-10000": {"title": "ok", "due_date": "10000-01-01"},
    "negative-estimate": {"title": "ok", "estimate": -1},
    "assignee-not-a-uuid": {"title": "ok", "assignee_ids": ["not-a-uuid"]},
    "too-many-assignees": {
        "title": "ok",
        "assignee_ids": ["00000000-0000-0000-0000-000000000000"] * 21,
    },
    "a-list": [],
    "a-string": "just a string",
}
"""Bodies of a task create that are refused, by case name."""


async def test_task_create_refuses_and_writes_nothing(
    client: httpx.AsyncClient, board: Board, subtests: pytest.Subtests
) -> None:
    for case, body in BAD_TASKS.items():
        with subtests.test(case, body=body):
            r = await client.post(
                f"/api/v1/projects/{board.pid}/tasks", json=body, headers=board.member.headers
            )
            assert 400 <= r.status_code < 500, f"{case}: {r.text}"
            assert r.headers["content-type"] == "application/problem+json", case
            listed = expect(
                await client.get(
                    f"/api/v1/projects/{board.pid}/tasks", headers=board.member.headers
                ),
                200,
            )
            assert listed["items"] == [], case


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


@pytest.mark.parametrize("raw", [b"\xff\xfe{}", b'{"title": "caf\xe9"}'])
async def test_a_body_that_is_not_utf8_is_a_422_naming_the_body(
    client: httpx.AsyncClient, board: Board, raw: bytes
) -> None:
    r = await client.post(
        f"/api/v1/projects/{board.pid}/tasks",
        content=raw,
        headers={**board.member.headers, "content-type": "application/json"},
    )
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "body"
    listed = expect(
        await client.get(f"/api/v1/projects/{board.pid}/tasks", headers=board.member.headers), 200
    )
    assert listed["items"] == []


async def test_a_bug_is_a_500_problem_with_request_id_and_security_headers(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """A route that fails unexpectedly (added to the real app for this test): the answer is
    a problem document that passes back through the middleware like any other."""
    router = new_router()

    @router.get("/api/v1/test-only/bug")
    async def bug() -> None:
        raise RuntimeError("a bug with a secret-looking detail: hunter2")

    app.include_router(router)
    app.router.routes.insert(0, app.router.routes.pop())  # before the web app's catch-all
    r = await client.get("/api/v1/test-only/bug", headers={"X-Request-ID": "trace-me-123"})
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["code"] == "internal_error"
    assert body["request_id"] == "trace-me-123"
    assert r.headers["x-request-id"] == "trace-me-123"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "hunter2" not in r.text
