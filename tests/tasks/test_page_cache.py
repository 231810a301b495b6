"""Cached pages of a project's tasks (tasklane.kit.pagecache): the same page asked for again is
sent from the process's memory, and only while neither its project nor its workspace has a
newer event. Every change that shows on a page must make the next read see it, in this process
and in another one on the same database; access is checked on every read, hit or not."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY

from tasklane.kit.clock import frozen, utcnow
from tasklane.kit.pagecache import PageCache
from tasklane.tasks.service import purge_trash
from tests.conftest import another_process
from tests.factories import Board, expect, make_project, make_task, make_user

NO_CACHE = {"Cache-Control": "no-cache"}


def _statements(response: httpx.Response) -> int:
    assert response.status_code == 200, response.text
    return int(response.headers["server-timing"].split('desc="')[1].split(" ")[0])


def _hits() -> float:
    return REGISTRY.get_sample_value("tasklane_page_cache_reads_total", {"result": "hit"}) or 0


def _pages(board: Board) -> list[str]:
    """Pages of different shapes: the board order (a walk of the columns), one column, a
    sort, filters on links, the caller's own tasks."""
    base = f"/api/v1/projects/{board.pid}/tasks?limit=50"
    first = next(iter(board.statuses.values()))
    return [
        base,
        f"{base}&status_id={first['id']}",
        f"{base}&sort=-updated",
        f"{base}&assignee_id=me",
        f"{base}&sort=created&assignee_id=none",
        f"/api/v1/projects/{board.pid}/tasks?limit=2",
    ]


async def _warm(client: httpx.AsyncClient, headers: dict[str, str], urls: list[str]) -> None:
    """Read each page twice: the second read must come from the cache."""
    for url in urls:
        first = await client.get(url, headers=headers)
        again = await client.get(url, headers=headers)
        assert _statements(again) < _statements(first), url
        assert again.content == first.content


async def _assert_current(
    client: httpx.AsyncClient, headers: dict[str, str], urls: list[str]
) -> None:
    """Each page as the cache sends it is what the database holds now."""
    for url in urls:
        cached = await client.get(url, headers=headers)
        fresh = await client.get(url, headers={**headers, **NO_CACHE})
        assert cached.status_code == fresh.status_code == 200
        assert cached.json() == fresh.json(), url


async def test_the_same_page_again_is_sent_from_memory(
    client: httpx.AsyncClient, board: Board
) -> None:
    for n in range(3):
        await make_task(client, board.owner, board.pid, f"Task {n}")
    url = _pages(board)[0]
    expect(await client.get("/api/v1/users/me", headers=board.owner.headers), 200)
    hits = _hits()
    first = await client.get(url, headers=board.owner.headers)
    again = await client.get(url, headers=board.owner.headers)
    assert (_statements(first), _statements(again)) == (2, 1)  # access + page; access only
    assert _hits() == hits + 1  # tasklane_page_cache_reads_total{result="hit"}
    assert again.content == first.content
    assert again.headers["x-event-seq"] == first.headers["x-event-seq"]
    # Another reader with access gets the same bytes from the same entry.
    other = await client.get(url, headers=board.member.headers)
    assert _statements(other) <= 2  # their session check, then access only
    assert other.content == first.content
    # `Cache-Control: no-cache` reads the database.
    fresh = await client.get(url, headers={**board.owner.headers, **NO_CACHE})
    assert _statements(fresh) == 2
    assert fresh.content == first.content


async def test_access_is_checked_on_every_read(client: httpx.AsyncClient, board: Board) -> None:
    await make_task(client, board.owner, board.pid, "Secret")
    url = _pages(board)[0]
    await _warm(client, board.owner.headers, [url])
    stranger = await make_user(client)
    r = await client.get(url, headers=stranger.headers)
    assert r.status_code == 404
    assert "Secret" not in r.text
    # A member removed from the workspace loses the cached page at once.
    expect(await client.get(url, headers=board.member.headers), 200)
    path = f"/api/v1/workspaces/{board.workspace['id']}/members/{board.member.id}"
    assert (await client.delete(path, headers=board.owner.headers)).status_code == 204
    assert (await client.get(url, headers=board.member.headers)).status_code == 404


async def test_me_is_each_callers_own(client: httpx.AsyncClient, board: Board) -> None:
    await make_task(client, board.owner, board.pid, "Olive's", assignee_ids=[board.owner.id])
    await make_task(client, board.owner, board.pid, "Max's", assignee_ids=[board.member.id])
    url = f"/api/v1/projects/{board.pid}/tasks?assignee_id=me"
    for user, title in ((board.owner, "Olive's"), (board.member, "Max's")):
        for _ in "ab":
            body = expect(await client.get(url, headers=user.headers), 200)
            assert [t["title"] for t in body["items"]] == [title]


Change = Callable[[httpx.AsyncClient, FastAPI, Board, dict[str, Any]], Awaitable[None]]


async def _patch(
    client: httpx.AsyncClient, board: Board, task: dict[str, Any], **data: Any
) -> None:
    expect(
        await client.patch(f"/api/v1/tasks/{task['key']}", json=data, headers=board.owner.headers),
        200,
    )


async def _create(c: httpx.AsyncClient, _: FastAPI, b: Board, t: dict[str, Any]) -> None:
    await make_task(c, b.owner, b.pid, "Brand new", assignee_ids=[b.owner.id])


async def _retitle(c: httpx.AsyncClient, _: FastAPI, b: Board, t: dict[str, Any]) -> None:
    await _patch(c, b, t, title="Renamed")


async def _assign(c: httpx.AsyncClient, _: FastAPI, b: Board, t: dict[str, Any]) -> None:
    await _patch(c, b, t, assignee_ids=[b.owner.id, b.member.id])


async def _move(c: httpx.AsyncClient, _: FastAPI, b: Board, t: dict[str, Any]) -> None:
    last = list(b.statuses.values())[-1]
    r = await c.post(
        f"/api/v1/tasks/{t['key']}/move", json={"status_id": last["id"]}, headers=b.owner.headers
    )
    expect(r, 200)


async def _trash(c: httpx.AsyncClient, _: FastAPI, b: Board, t: dict[str, Any]) -> None:
    assert (await c.delete(f"/api/v1/tasks/{t['key']}", headers=b.owner.headers)).status_code == 204


async def _delete_label(c: httpx.AsyncClient, _: FastAPI, b: Board, t: dict[str, Any]) -> None:
    path = f"/api/v1/projects/{b.pid}/labels/{t['label_ids'][0]}"
    assert (await c.delete(path, headers=b.owner.headers)).status_code == 204


async def _delete_status(c: httpx.AsyncClient, _: FastAPI, b: Board, t: dict[str, Any]) -> None:
    path = f"/api/v1/projects/{b.pid}/statuses/{t['status_id']}"
    assert (await c.delete(path, headers=b.owner.headers)).status_code == 204


async def _reorder(c: httpx.AsyncClient, _: FastAPI, b: Board, t: dict[str, Any]) -> None:
    path = f"/api/v1/projects/{b.pid}/statuses/{t['status_id']}"
    expect(await c.patch(path, json={"position": 3}, headers=b.owner.headers), 200)


async def _remove_member(c: httpx.AsyncClient, _: FastAPI, b: Board, t: dict[str, Any]) -> None:
    """A workspace-level event: the member's assignments in every project go with them."""
    path = f"/api/v1/workspaces/{b.workspace['id']}/members/{b.member.id}"
    assert (await c.delete(path, headers=b.owner.headers)).status_code == 204


async def _purge_parent(c: httpx.AsyncClient, app: FastAPI, b: Board, t: dict[str, Any]) -> None:
    """The housekeeping job deletes a trashed parent for good: its subtask loses it."""
    parent = await make_task(c, b.owner, b.pid, "Parent")
    await _patch(c, b, t, parent_id=parent["id"])
    await _warm(c, b.owner.headers, _pages(b))
    assert (
        await c.delete(f"/api/v1/tasks/{parent['key']}", headers=b.owner.headers)
    ).status_code == 204
    await _warm(c, b.owner.headers, _pages(b))
    with frozen(utcnow() + timedelta(days=31)):
        async with app.state.runtime.db.transaction() as session:
            assert await purge_trash(session, retention_days=30) == 1


CHANGES: dict[str, Change] = {
    "create": _create,
    "retitle": _retitle,
    "assign": _assign,
    "move": _move,
    "trash": _trash,
    "delete_label": _delete_label,
    "delete_status": _delete_status,
    "reorder_statuses": _reorder,
    "remove_member": _remove_member,
    "purge_parent": _purge_parent,
}


@pytest.mark.parametrize("change", CHANGES)
async def test_every_change_that_shows_is_seen_at_once(
    client: httpx.AsyncClient, app: FastAPI, board: Board, change: str
) -> None:
    label = expect(
        await client.post(
            f"/api/v1/projects/{board.pid}/labels",
            json={"name": "bug", "color": "#d73a4a"},
            headers=board.owner.headers,
        ),
        201,
    )
    task = await make_task(
        client,
        board.owner,
        board.pid,
        "Watched",
        assignee_ids=[board.member.id],
        label_ids=[label["id"]],
    )
    for n in range(3):
        await make_task(
            client, board.owner, board.pid, f"Other {n}", assignee_ids=[board.member.id]
        )
    urls = [
        *_pages(board),
        f"/api/v1/projects/{board.pid}/tasks?label_id={label['id']}",
        f"/api/v1/projects/{board.pid}/tasks?assignee_id={board.member.id}",
    ]
    await _warm(client, board.owner.headers, urls)
    await CHANGES[change](client, app, board, task)
    await _assert_current(client, board.owner.headers, urls)


async def test_a_change_elsewhere_does_not_drop_the_page(
    client: httpx.AsyncClient, board: Board
) -> None:
    await make_task(client, board.owner, board.pid, "Here")
    other = await make_project(client, board.owner, board.workspace["id"], key="OPS", name="Ops")
    url = _pages(board)[0]
    await _warm(client, board.owner.headers, [url])
    await make_task(client, board.owner, other["id"], "There")
    assert _statements(await client.get(url, headers=board.owner.headers)) == 1


async def test_a_change_made_by_another_process_is_seen_at_once(
    client: httpx.AsyncClient, board: Board, database_url: str, tmp_path: Path
) -> None:
    task = await make_task(client, board.owner, board.pid, "Shared")
    urls = _pages(board)
    await _warm(client, board.owner.headers, urls)
    async with another_process(database_url, tmp_path / "other") as other:
        await _patch(other, board, task, title="Renamed")
        await make_task(other, board.owner, board.pid, "From the other process")
    await _assert_current(client, board.owner.headers, urls)
    body = expect(await client.get(urls[0], headers=board.owner.headers), 200)
    assert {t["title"] for t in body["items"]} == {"Renamed", "From the other process"}


async def test_with_no_memory_for_pages_every_read_reads_the_database(
    database_url: str, tmp_path: Path
) -> None:
    async with another_process(database_url, tmp_path / "off", page_cache_mb=0) as client:
        user = await make_user(client)
        workspace = expect(
            await client.post("/api/v1/workspaces", json={"name": "W"}, headers=user.headers), 201
        )
        project = await make_project(client, user, workspace["id"])
        url = f"/api/v1/projects/{project['id']}/tasks"
        counts = [_statements(await client.get(url, headers=user.headers)) for _ in "abc"]
        assert counts[1] == counts[2] == 2


def test_the_cache_keeps_what_fits_and_drops_the_least_recently_used() -> None:
    pages = PageCache(16 / 1024)  # 16 KiB: the largest page kept is 1 KiB
    pages.put("a", (1, None), b"x" * 100)
    pages.put("big", (1, None), b"x" * 2000)
    assert pages.get("big", (1, None)) is None
    assert pages.get("a", (1, None)) == b"x" * 100
    assert pages.get("a", (2, None)) is None  # a newer event: read again
    assert pages.get("a", (1, 7)) is None  # a newer workspace event
    for n in range(60):  # 60 entries of 300 bytes with their overhead: more than 16 KiB
        pages.put(n, (1, None), b"y" * 100)
    assert pages.get("a", (1, None)) is None
    assert pages.get(59, (1, None)) == b"y" * 100
    assert not PageCache(0).enabled
