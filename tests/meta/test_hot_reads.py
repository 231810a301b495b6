"""Hot reads write their JSON themselves (tasklane.tasks.reads), past FastAPI's response
models; these tests hold them to those models, byte for byte, on both databases: each body
must be exactly what the route's documented model writes for the same data. They also hold
the hot routes to their statement budgets (docs/architecture.md, "Hot reads")."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter

from tasklane.app import API_PREFIX
from tasklane.comments.schemas import CommentRead
from tasklane.kit.pagination import Page
from tasklane.tasks.schemas import TaskRead
from tests.factories import Board, expect, make_task

_TASK = TypeAdapter(TaskRead)
_PAGE = TypeAdapter(Page[TaskRead])

# Route → its response model, for every route that answers past FastAPI's serialisation.
_COMMENTS = TypeAdapter(Page[CommentRead])
_HOT_ROUTES = {
    ("GET", "/api/v1/tasks/{task_ref}"): _TASK,
    ("GET", "/api/v1/projects/{project_id}/tasks"): _PAGE,
    ("GET", "/api/v1/tasks/{task_ref}/comments"): _COMMENTS,
}

_BUDGET = {"get": 2, "list": 3, "comments": 3}
"""Statements per request: the session check, access with the task (get), or access, then
the page with its links (list) or with its authors (comments)."""


def _statements(response: httpx.Response) -> int:
    return int(response.headers["server-timing"].split('desc="')[1].split(" ")[0])


def _same_as_model(response: httpx.Response, model: TypeAdapter[Any]) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    written = model.dump_json(model.validate_json(response.content))
    assert response.content == written


async def _world(client: httpx.AsyncClient, board: Board) -> list[dict[str, Any]]:
    """Tasks with every field set, with none set, and in between, in two columns."""
    h = board.owner
    label = expect(
        await client.post(
            f"{API_PREFIX}/projects/{board.pid}/labels",
            json={"name": "api", "color": "#336699"},
            headers=h.headers,
        ),
        201,
    )
    parent = await make_task(client, h, board.pid, "Plain")
    full = await make_task(
        client,
        h,
        board.pid,
        "Everything — \u00e9\u2028 <b>&",
        description="**Bold** and a line\nbreak",
        priority="urgent",
        assignee_ids=[board.member.id, board.owner.id],
        label_ids=[label["id"]],
        start_date="2026-12-01",
        due_date="2027-01-31",
        estimate=2,
        parent_id=parent["id"],
        status_id=board.statuses["In Progress"]["id"],
    )
    half = await make_task(client, h, board.pid, "Half", estimate=0.5, priority="low")
    return [parent, full, half]


async def test_hot_reads_write_what_their_models_write(
    client: httpx.AsyncClient, board: Board
) -> None:
    made = await _world(client, board)
    h = board.owner.headers
    for task in made:
        for ref in (task["id"], task["key"]):
            r = await client.get(f"{API_PREFIX}/tasks/{ref}", headers=h)
            _same_as_model(r, _TASK)
            assert r.headers["etag"] == f'"{task["version"]}"'
            assert r.json() == {**task, "deleted_at": None}
            assert _statements(r) <= _BUDGET["get"]
    listed: list[dict[str, Any]] = []
    for params in (
        {},
        {"limit": 1},
        {"sort": "-created"},
        {"sort": "due"},
        {"sort": "priority"},
        {"assignee_id": "me"},
        {"q": "line"},
        {"status_category": "started"},
    ):
        r = await client.get(f"{API_PREFIX}/projects/{board.pid}/tasks", params=params, headers=h)
        _same_as_model(r, _PAGE)
        assert _statements(r) <= _BUDGET["list"]
        listed.extend(r.json()["items"])
    by_id = {t["id"]: t for t in listed}
    assert {t["id"] for t in made} <= set(by_id)
    for task in made:
        assert by_id[task["id"]] == {**task, "deleted_at": None}


async def test_every_page_of_a_walk_follows_on(client: httpx.AsyncClient, board: Board) -> None:
    made = await _world(client, board)
    more = [await make_task(client, board.member, board.pid, f"t{i}") for i in range(4)]
    for sort in ("position", "-created", "due", "priority", "-updated"):
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 2, "sort": sort}
            if cursor:
                params["cursor"] = cursor
            r = await client.get(
                f"{API_PREFIX}/projects/{board.pid}/tasks",
                params=params,
                headers=board.owner.headers,
            )
            _same_as_model(r, _PAGE)
            body = r.json()
            seen.extend(t["id"] for t in body["items"])
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(t["id"] for t in made + more), sort
        assert len(seen) == len(set(seen)), sort


@pytest.mark.parametrize(("method", "path"), sorted(_HOT_ROUTES))
def test_hot_routes_are_documented_with_their_models(method: str, path: str) -> None:
    from tasklane.openapi import document

    operation = document()["paths"][path][method.lower()]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema.get("$ref") or schema.get("type"), (method, path)


async def test_comment_pages_write_what_their_model_writes(
    client: httpx.AsyncClient, board: Board
) -> None:
    task = await make_task(client, board.owner, board.pid, "Talked about")
    url = f"{API_PREFIX}/tasks/{task['key']}/comments"
    r = await client.get(url, headers=board.member.headers)
    _same_as_model(r, _COMMENTS)
    assert r.json() == {"items": [], "next_cursor": None}
    posted = []
    for n, who in enumerate((board.owner, board.member, board.owner)):
        body = {"body": f"Comment {n} — **Markdown** \u00e9\u2028"}
        posted.append(expect(await client.post(url, json=body, headers=who.headers), 201))
    edited = expect(
        await client.patch(
            f"{API_PREFIX}/comments/{posted[1]['id']}",
            json={"body": "Edited"},
            headers=board.member.headers,
        ),
        200,
    )
    posted[1] = edited
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        r = await client.get(url, params=params, headers=board.member.headers)
        _same_as_model(r, _COMMENTS)
        assert _statements(r) <= _BUDGET["comments"]
        seen.extend(r.json()["items"])
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == posted
