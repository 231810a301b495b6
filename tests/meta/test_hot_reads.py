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
from tasklane.kit.rawsql import RawConnection
from tasklane.projects.schemas import StatusRead
from tasklane.tasks.schemas import ActivityItem, TaskCounts, TaskRead
from tests.factories import Board, add_member, expect, make_project, make_task, make_user

_TASK = TypeAdapter(TaskRead)
_PAGE = TypeAdapter(Page[TaskRead])

# Route → its response model, for every route that answers past FastAPI's serialisation.
_COMMENTS = TypeAdapter(Page[CommentRead])
_COUNTS = TypeAdapter(TaskCounts)
_ACTIVITY = TypeAdapter(Page[ActivityItem])
_STATUSES = TypeAdapter(Page[StatusRead])
_HOT_ROUTES = {
    ("GET", "/api/v1/tasks/{task_ref}"): _TASK,
    ("GET", "/api/v1/projects/{project_id}/tasks"): _PAGE,
    ("GET", "/api/v1/tasks/{task_ref}/comments"): _COMMENTS,
    ("GET", "/api/v1/projects/{project_id}/task-counts"): _COUNTS,
    ("GET", "/api/v1/tasks/{task_ref}/activity"): _ACTIVITY,
    ("GET", "/api/v1/workspaces/{workspace_id}/tasks"): _PAGE,
    ("GET", "/api/v1/projects/{project_id}/statuses"): _STATUSES,
}

_BUDGET = {
    "get": 2,
    "list": 3,
    "comments": 3,
    "counts": 2,
    "statuses": 2,
    "activity": 3,
    "activity_naming_tasks": 4,
    "search": 3,
    "create": 6,
}
"""Statements per request: the session check, then access with the task (get), or access
with the statuses and their counts (counts); or access, then the page with its links (list,
search) or with its authors (comments), or the events (activity), and for a page of events
that names other tasks (relations, parents) which of those the caller can see. The budgets
count the sign-in check, which a caller's next requests skip (tasklane.auth.signedin); a
create's does not, as the write pattern new routes copy is measured on a caller already
checked (test_a_create_takes_few_statements)."""


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


# --- task counts, activity, workspace search ---------------------------------------------------


async def test_status_lists_write_what_their_model_writes(
    client: httpx.AsyncClient, board: Board
) -> None:
    """The workflow in board order, after a status is added in the middle and one renamed;
    a project the caller cannot see is 404, one they see with no statuses an empty page."""
    h = board.owner.headers
    url = f"{API_PREFIX}/projects/{board.pid}/statuses"
    expect(
        await client.post(
            url,
            json={
                "name": "Review \u00e9 <b>&",
                "category": "started",
                "color": "#aa00ff",
                "position": 2,
            },
            headers=h,
        ),
        201,
    )
    done = board.statuses["Done"]["id"]
    expect(await client.patch(f"{url}/{done}", json={"name": "Shipped"}, headers=h), 200)
    for who in (board.owner, board.member):
        r = await client.get(url, headers=who.headers)
        _same_as_model(r, _STATUSES)
        assert _statements(r) <= _BUDGET["statuses"]
        items = r.json()["items"]
        assert [s["position"] for s in items] == sorted(s["position"] for s in items)
        assert items[2]["name"] == "Review \u00e9 <b>&"
        assert {s["project_id"] for s in items} == {board.pid}
        assert "Shipped" in [s["name"] for s in items]
        assert r.json()["next_cursor"] is None
    stranger = await make_user(client)
    r = await client.get(url, headers=stranger.headers)
    assert r.status_code == 404, r.text
    assert r.headers["content-type"] == "application/problem+json"
    r = await client.get(f"{API_PREFIX}/projects/{board.workspace['id']}/statuses", headers=h)
    assert r.status_code == 404, r.text


def _event_seq(response: httpx.Response) -> int:
    return int(response.headers["x-event-seq"])


async def _trash(client: httpx.AsyncClient, board: Board, task: dict[str, Any]) -> None:
    r = await client.delete(f"{API_PREFIX}/tasks/{task['id']}", headers=board.owner.headers)
    expect(r, 204)


async def test_task_counts_write_what_their_model_writes(
    client: httpx.AsyncClient, board: Board
) -> None:
    """Each count is what the task list finds with the same filters; the trash counts not."""
    made = await _world(client, board)
    trashed = await make_task(client, board.owner, board.pid, "Trashed line")
    await _trash(client, board, trashed)
    # A trashed subtask of `Plain` (made[0]) counts neither.
    gone = await make_task(client, board.member, board.pid, "Gone child", parent_id=made[0]["id"])
    await _trash(client, board, gone)
    url = f"{API_PREFIX}/projects/{board.pid}/task-counts"
    h = board.owner.headers
    order = [s["id"] for s in sorted(board.statuses.values(), key=lambda s: s["position"])]
    for params in (
        {},
        {"assignee_id": "me"},
        {"assignee_id": ["none", board.member.id]},
        {"q": "line"},
        {"q": "%"},
        {"status_category": "started"},
        {"status_category": ["unstarted", "done"]},
        {"status_id": board.statuses["In Progress"]["id"]},
        {"priority": ["urgent", "low"]},
        {"parent_id": "none"},
        {"parent_id": made[0]["id"]},
        {"due_before": "2027-02-01", "due_after": "2027-01-01"},
        {"label_id": made[1]["label_ids"]},
    ):
        r = await client.get(url, params=params, headers=h)
        _same_as_model(r, _COUNTS)
        assert _statements(r) <= _BUDGET["counts"], params
        assert _event_seq(r) >= 0
        counts = r.json()
        assert [c["status_id"] for c in counts["by_status"]] == order
        listed = expect(
            await client.get(
                f"{API_PREFIX}/projects/{board.pid}/tasks",
                params={**params, "limit": 200},
                headers=h,
            ),
            200,
        )["items"]
        assert trashed["id"] not in {t["id"] for t in listed}
        assert counts["total"] == len(listed), params
        for count in counts["by_status"]:
            expected = sum(1 for t in listed if t["status_id"] == count["status_id"])
            assert count["count"] == expected, params
    everything = expect(await client.get(url, headers=h), 200)
    assert everything["total"] == len(made)


async def test_activity_pages_write_what_their_model_writes(
    client: httpx.AsyncClient, board: Board
) -> None:
    """A task with events of many types, read whole and page by page, by an owner who sees
    every related task and by a guest who sees only this project (the others become null)."""
    h = board.owner.headers
    made = await _world(client, board)
    task = made[2]
    ref = task["key"]
    hidden_project = await make_project(client, board.owner, board.workspace["id"], key="SEC")
    secret = await make_task(client, board.owner, hidden_project["id"], "Secret")
    expect(
        await client.patch(
            f"{API_PREFIX}/tasks/{ref}",
            json={
                "title": "Half \u00e9\u2028 done",
                "priority": "high",
                "estimate": 1e-07,
                "assignee_ids": [board.member.id],
                "parent_id": made[0]["id"],
            },
            headers=h,
        ),
        200,
    )
    expect(
        await client.post(
            f"{API_PREFIX}/tasks/{ref}/move",
            json={"status_id": board.statuses["Done"]["id"]},
            headers=h,
        ),
        200,
    )
    for other in (made[1], secret):
        relation = expect(
            await client.post(
                f"{API_PREFIX}/tasks/{ref}/relations",
                json={"type": "blocks", "task_id": other["id"]},
                headers=h,
            ),
            201,
        )
    expect(
        await client.delete(f"{API_PREFIX}/tasks/{ref}/relations/{relation['id']}", headers=h), 204
    )
    comment = expect(
        await client.post(
            f"{API_PREFIX}/tasks/{ref}/comments", json={"body": "First **word**"}, headers=h
        ),
        201,
    )
    expect(
        await client.patch(
            f"{API_PREFIX}/comments/{comment['id']}", json={"body": "Edited"}, headers=h
        ),
        200,
    )
    expect(await client.delete(f"{API_PREFIX}/comments/{comment['id']}", headers=h), 204)
    guest = await make_user(client)
    await add_member(client, board.owner, board.workspace["id"], guest, role="guest")
    expect(
        await client.post(
            f"{API_PREFIX}/projects/{board.pid}/members",
            json={"user_id": guest.id, "role": "viewer"},
            headers=h,
        ),
        201,
    )
    url = f"{API_PREFIX}/tasks/{ref}/activity"
    wholes = {}
    for reader in (board.owner, guest):
        r = await client.get(url, params={"limit": 200}, headers=reader.headers)
        _same_as_model(r, _ACTIVITY)
        assert _statements(r) <= _BUDGET["activity_naming_tasks"]
        whole = wholes[reader.id] = r.json()
        assert whole["next_cursor"] is None
        types = {item["type"] for item in whole["items"]}
        assert {
            "task.created",
            "task.updated",
            "task.moved",
            "task.relation_added",
            "task.relation_removed",
            "comment.created",
            "comment.updated",
            "comment.deleted",
        } <= types, types
        assert (secret["id"] in r.text) is (reader is board.owner)
        seen: list[dict[str, Any]] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            r = await client.get(url, params=params, headers=reader.headers)
            _same_as_model(r, _ACTIVITY)
            assert _statements(r) <= _BUDGET["activity_naming_tasks"]
            seen.extend(r.json()["items"])
            cursor = r.json()["next_cursor"]
            if cursor is None:
                break
        assert seen == whole["items"]
    # A page that names no other task reads no more than the budget; the trash keeps history.
    r = await client.get(url, params={"limit": 1}, headers=h)
    _same_as_model(r, _ACTIVITY)
    assert _statements(r) <= _BUDGET["activity"]
    await _trash(client, board, task)
    r = await client.get(url, params={"limit": 200}, headers=h)
    _same_as_model(r, _ACTIVITY)
    *before, deleted = r.json()["items"]
    assert before == wholes[board.owner.id]["items"]
    assert deleted["type"] == "task.deleted"


async def test_search_writes_what_its_model_writes(client: httpx.AsyncClient, board: Board) -> None:
    made = await _world(client, board)
    ops = await make_project(client, board.owner, board.workspace["id"], key="OPS")
    in_ops = await make_task(client, board.owner, ops["id"], "Notes about ENG-2 and 100%")
    await _trash(client, board, await make_task(client, board.owner, board.pid, "Plain gone"))
    url = f"{API_PREFIX}/workspaces/{board.workspace['id']}/tasks"
    by_id = {t["id"]: {**t, "deleted_at": None} for t in [*made, in_ops]}
    newest_first = [in_ops["id"], made[2]["id"], made[1]["id"], made[0]["id"]]
    # The query language: words (the last a prefix while typed), most recently updated first.
    for q, expected in (
        ("eng-2", [in_ops["id"]]),
        ("ENG-2", [in_ops["id"]]),
        ("plain", [made[0]["id"]]),
        ("L", [made[1]["id"]]),  # "line", in its description
        ("  100%  ", [in_ops["id"]]),
        ("_", newest_first),  # no word in it: no condition
        ("no such words", []),
        ("ENG-99", []),
        # Stripped, "é" is being typed: a prefix of "ENG" (accents do not matter) too.
        ("\u00e9\u2028", [in_ops["id"], made[1]["id"]]),
        ("priority:urgent", [made[1]["id"]]),
        ("-parent:none", [made[1]["id"]]),
    ):
        for params in ({"q": q}, {"q": q, "limit": 1}):
            r = await client.get(url, params=params, headers=board.member.headers)
            _same_as_model(r, _PAGE)
            assert _statements(r) <= _BUDGET["search"]
            body = r.json()
            limit = params.get("limit", 50)
            assert (body["next_cursor"] is None) == (len(expected) <= limit), q
            want = expected[:limit]
            assert [t["id"] for t in body["items"]] == want, (
                q,
                [t["title"] for t in body["items"]],
            )
            for item in body["items"]:
                fresh = expect(
                    await client.get(
                        f"{API_PREFIX}/tasks/{item['id']}", headers=board.owner.headers
                    ),
                    200,
                )
                assert item == fresh
                assert by_id[item["id"]]["title"] == item["title"]


async def test_errors_of_the_raw_reads_are_the_problems_they_were(
    client: httpx.AsyncClient, board: Board
) -> None:
    task = await make_task(client, board.owner, board.pid, "Mine")
    outsider = await make_user(client)
    ws = board.workspace["id"]
    routes = (
        f"{API_PREFIX}/projects/{board.pid}/task-counts",
        f"{API_PREFIX}/tasks/{task['key']}/activity",
        f"{API_PREFIX}/workspaces/{ws}/tasks?q=Mine",
    )
    for url in routes:
        r = await client.get(url)
        assert r.status_code == 401, url
        assert r.headers["content-type"] == "application/problem+json"
        r = await client.get(url, headers=outsider.headers)
        assert r.status_code == 404, url
        assert r.headers["content-type"] == "application/problem+json"
        assert "Mine" not in r.text
    missing = (
        (f"{API_PREFIX}/projects/{task['id']}/task-counts", "No such project."),
        (f"{API_PREFIX}/tasks/ENG-999/activity", "No such task."),
        (f"{API_PREFIX}/tasks/not-a-ref/activity", "No such task."),
        (f"{API_PREFIX}/workspaces/{board.pid}/tasks?q=x", "No such workspace."),
    )
    for url, detail in missing:
        r = await client.get(url, headers=board.owner.headers)
        assert r.status_code == 404, url
        assert r.json()["detail"] == detail
        assert r.json()["code"] == "not_found"
    r = await client.get(
        f"{API_PREFIX}/tasks/{task['key']}/activity",
        params={"cursor": "!!"},
        headers=board.owner.headers,
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"].endswith("cursor")
    r = await client.get(
        f"{API_PREFIX}/projects/{board.pid}/task-counts",
        params={"assignee_id": "bob"},
        headers=board.owner.headers,
    )
    assert r.status_code == 422
    r = await client.get(
        f"{API_PREFIX}/workspaces/{ws}/tasks?q=asignee:me", headers=board.owner.headers
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"


async def test_a_create_takes_few_statements(client: httpx.AsyncClient, board: Board) -> None:
    """The write pattern new routes copy, for a caller whose sign-in session was checked a
    moment ago (the board's owner): SQLite's BEGIN, the access statement with the project's
    statuses, the number with the column's edge, the task, its watchers, and the event with
    its sequence number: 6 on both databases (on PostgreSQL the column lock takes the place
    of SQLite's BEGIN)."""
    for placement in ("bottom", "top", "bottom"):
        r = await client.post(
            f"{API_PREFIX}/projects/{board.pid}/tasks",
            json={"title": f"At the {placement}", "placement": placement},
            headers=board.owner.headers,
        )
        expect(r, 201)
        assert _statements(r) <= _BUDGET["create"], placement


@pytest.mark.parametrize(
    ("query", "off_the_loop"),
    [
        ({}, False),
        ({"status_category": "started"}, False),
        ({"priority": "high"}, True),
        ({"due_before": "2026-01-01"}, True),
        ({"parent_id": "none"}, True),
        ({"assignee_id": "none"}, True),
        ({"q": "login"}, True),
    ],
)
async def test_a_column_walk_that_checks_rows_is_read_off_the_loop(
    client: httpx.AsyncClient,
    board: Board,
    monkeypatch: pytest.MonkeyPatch,
    query: dict[str, str],
    off_the_loop: bool,
) -> None:
    """Walked in board order, a page is an index walk of at most a page per column, fast
    enough for the event loop; a filter checked row by row may read whole columns first, so
    that read is sent with `slow=True` (a thread on SQLite, see kit.rawsql)."""
    await make_task(client, board.member, board.pid, "Login times out")
    sent: list[bool] = []
    fetch = RawConnection.fetch

    async def recording(self: RawConnection, sql: Any, values: Any, *, slow: bool = False) -> Any:
        sent.append(slow)
        return await fetch(self, sql, values, slow=slow)

    monkeypatch.setattr(RawConnection, "fetch", recording)
    expect(
        await client.get(
            f"{API_PREFIX}/projects/{board.pid}/tasks", params=query, headers=board.member.headers
        ),
        200,
    )
    assert sent[-1] is off_the_loop  # the page; the statement before it authorises
