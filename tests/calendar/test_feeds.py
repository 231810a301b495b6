"""Calendar feeds (issue 14, item 5) through HTTP: the address is made on first use and says
the same until rotated; the feed parses with `icalendar` and holds exactly the open tasks with
a due date assigned to (or watched by) its owner in projects they can see; 304 on a matching
ETag; a rotated, tampered or unknown address is 404, and a removed member's feed empties."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlsplit

import httpx
import icalendar

from tests.factories import (
    Board,
    User,
    api_token_headers,
    expect,
    make_board,
    make_project,
    make_task,
    make_user,
)

FEED = "/api/v1/users/me/calendar-feed"


async def feed_path(client: httpx.AsyncClient, user: User) -> str:
    body = expect(await client.get(FEED, headers=user.headers), 200)
    url = urlsplit(body["url"])
    assert url.path.startswith("/ical/")
    assert url.path.endswith(".ics")
    return url.path


async def events(client: httpx.AsyncClient, path: str, **params: str) -> dict[str, Any]:
    """The feed's events by summary."""
    r = await client.get(path, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(r.content)
    assert calendar["version"] == "2.0"
    return {str(e["summary"]): e for e in calendar.walk("VEVENT")}


async def task(board: Board, client: httpx.AsyncClient, title: str, **fields: Any) -> Any:
    return await make_task(client, board.owner, board.pid, title, **fields)


async def test_the_address_is_made_once_and_lists_open_assigned_tasks_with_a_due_date(
    client: httpx.AsyncClient,
) -> None:
    board = await make_board(client)
    member = board.member.id
    first = await feed_path(client, board.member)
    assert await feed_path(client, board.member) == first  # the same address each time
    due = "2026-12-24"
    shipped = await task(board, client, "Ship it", assignee_ids=[member], due_date=due)
    await task(board, client, "No date", assignee_ids=[member])
    await task(board, client, "Someone else's", due_date=due)
    await task(
        board,
        client,
        "Done already",
        assignee_ids=[member],
        due_date=due,
        status_id=board.statuses["Done"]["id"],
    )
    await task(
        board,
        client,
        "Cancelled",
        assignee_ids=[member],
        due_date=due,
        status_id=board.statuses["Cancelled"]["id"],
    )
    trashed = await task(board, client, "Trashed", assignee_ids=[member], due_date=due)
    expect(await client.delete(f"/api/v1/tasks/{trashed['id']}", headers=board.owner.headers), 204)

    found = await events(client, first)
    key = f"ENG-{shipped['number']}"
    assert list(found) == [f"{key}: Ship it"]
    event = found[f"{key}: Ship it"]
    assert event.decoded("dtstart") == date(2026, 12, 24)
    assert event.decoded("dtend") == date(2026, 12, 25)  # all day
    assert str(event["uid"]) == f"{shipped['id']}@tasklane"
    assert int(event["sequence"]) == shipped["version"]
    assert str(event["url"]).endswith(f"/{board.workspace['slug']}/t/{key}")

    # An edit shows: the same event (UID) with a higher sequence.
    edited = expect(
        await client.patch(
            f"/api/v1/tasks/{shipped['id']}",
            json={"title": "Ship it now", "due_date": "2026-12-23"},
            headers=board.owner.headers,
        ),
        200,
    )
    event = (await events(client, first))[f"{key}: Ship it now"]
    assert str(event["uid"]) == f"{shipped['id']}@tasklane"
    assert int(event["sequence"]) == edited["version"] > shipped["version"]
    assert event.decoded("dtstart") == date(2026, 12, 23)


async def test_watching_scope_and_one_project(client: httpx.AsyncClient) -> None:
    board = await make_board(client)
    other = await make_project(client, board.owner, board.workspace["id"], key="OPS", name="Ops")
    path = await feed_path(client, board.owner)
    # The owner made these tasks, so watches them; none is assigned to the owner.
    await task(board, client, "Plan", due_date="2026-12-10")
    await make_task(client, board.owner, other["id"], "Deploy", due_date="2026-12-11")
    assert await events(client, path) == {}
    watched = await events(client, path, scope="watching")
    assert sorted(watched) == ["ENG-1: Plan", "OPS-1: Deploy"]
    assert list(await events(client, path, scope="watching", project="ops")) == ["OPS-1: Deploy"]
    r = await client.get(path, params={"scope": "everything"})
    assert r.status_code == 422


async def test_an_unchanged_feed_is_304_and_a_change_is_not(client: httpx.AsyncClient) -> None:
    board = await make_board(client)
    path = await feed_path(client, board.member)
    await task(board, client, "One", assignee_ids=[board.member.id], due_date="2026-12-05")
    r = await client.get(path)
    etag = r.headers["etag"]
    assert r.headers["last-modified"].endswith("GMT")
    again = await client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    await task(board, client, "Two", assignee_ids=[board.member.id], due_date="2026-12-06")
    changed = await client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


async def test_rotating_ends_the_old_address_at_once(client: httpx.AsyncClient) -> None:
    user = await make_user(client)
    old = await feed_path(client, user)
    assert (await client.get(old)).status_code == 200
    body = expect(await client.post(f"{FEED}/rotate", headers=user.headers), 200)
    new = urlsplit(body["url"]).path
    assert new != old
    assert body["rotated_at"] is not None
    assert await feed_path(client, user) == new
    gone = await client.get(old)
    assert (gone.status_code, gone.json()["code"]) == (404, "no_calendar_feed")
    assert (await client.get(new)).status_code == 200


async def test_tampered_and_unknown_addresses_are_404(client: httpx.AsyncClient) -> None:
    user = await make_user(client)
    path = await feed_path(client, user)
    token = path.removeprefix("/ical/").removesuffix(".ics")
    user_hex, version, signature = token.split(".")
    other = await make_user(client)
    other_hex = (await feed_path(client, other)).removeprefix("/ical/").split(".")[0]
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    for bad in (
        f"{user_hex}.{version}.{flipped}",  # a signature that is not ours
        f"{other_hex}.{version}.{signature}",  # someone else's id with this signature
        f"{user_hex}.{int(version) + 1}.{signature}",  # a version it was not signed for
        "not-a-token",
        "",
    ):
        r = await client.get(f"/ical/{bad}.ics")
        assert r.status_code == 404, (bad, r.text)


async def test_a_removed_member_and_a_deactivated_account_see_nothing(
    client: httpx.AsyncClient,
) -> None:
    board = await make_board(client)
    path = await feed_path(client, board.member)
    await task(board, client, "Theirs", assignee_ids=[board.member.id], due_date="2026-12-05")
    assert list(await events(client, path)) == ["ENG-1: Theirs"]
    expect(
        await client.delete(
            f"/api/v1/workspaces/{board.workspace['id']}/members/{board.member.id}",
            headers=board.owner.headers,
        ),
        204,
    )
    assert await events(client, path) == {}


async def test_the_address_and_its_rotation_are_not_for_api_tokens(
    client: httpx.AsyncClient,
) -> None:
    user = await make_user(client)
    bearer = await api_token_headers(client, user, "admin")
    for r in (
        await client.get(FEED, headers=bearer),
        await client.post(f"{FEED}/rotate", headers=bearer),
    ):
        assert (r.status_code, r.json()["code"]) == (403, "token_scope")
