"""The people of a project: everyone who can see it, in a form every project role may read."""

from __future__ import annotations

import httpx

from tests.factories import Board, expect, make_user
from tests.projects.helpers import join, problem


def url(board: Board) -> str:
    return f"/api/v1/projects/{board.pid}/people"


async def test_anonymous_is_401(client: httpx.AsyncClient, board: Board) -> None:
    problem(await client.get(url(board)), 401)


async def test_outsider_is_404(client: httpx.AsyncClient, board: Board) -> None:
    outsider = await make_user(client)
    problem(await client.get(url(board), headers=outsider.headers), 404)


async def test_a_guest_sees_everyone_who_can_see_the_project_without_e_mails(
    client: httpx.AsyncClient, board: Board
) -> None:
    guest = await join(client, board, "guest", "viewer")
    viewer = await join(client, board, "member", "viewer")
    # A guest without a role in this project cannot see it, so is not one of its people.
    other_guest = await join(client, board, "guest")
    body = expect(await client.get(url(board), headers=guest.headers), 200)
    assert body["next_cursor"] is None
    got = {p["user_id"]: p for p in body["items"]}
    assert set(got) == {board.owner.id, board.member.id, guest.id, viewer.id}
    assert other_guest.id not in got
    assert got[board.owner.id]["name"] == "Olive Owner"
    assert got[board.owner.id]["initials"] == "OO"
    assert got[board.member.id]["initials"] == "MM"
    assert all(p["email"] is None for p in body["items"])
    names = [p["name"] for p in body["items"]]
    assert names == sorted(names, key=str.casefold)


async def test_members_see_e_mails(client: httpx.AsyncClient, board: Board) -> None:
    viewer = await join(client, board, "member", "viewer")
    body = expect(await client.get(url(board), headers=viewer.headers), 200)
    emails = {p["user_id"]: p["email"] for p in body["items"]}
    assert emails[board.owner.id] == board.owner.email
    assert emails[viewer.id] == viewer.email


async def test_someone_who_leaves_the_project_leaves_its_people(
    client: httpx.AsyncClient, board: Board
) -> None:
    guest = await join(client, board, "guest", "member")
    expect(
        await client.delete(
            f"/api/v1/projects/{board.pid}/members/{guest.id}", headers=board.owner.headers
        ),
        204,
    )
    body = expect(await client.get(url(board), headers=board.member.headers), 200)
    assert guest.id not in {p["user_id"] for p in body["items"]}


async def test_a_guest_listing_explicit_members_gets_no_e_mails_either(
    client: httpx.AsyncClient, board: Board
) -> None:
    guest = await join(client, board, "guest", "viewer")
    viewer = await join(client, board, "member", "viewer")
    url_members = f"/api/v1/projects/{board.pid}/members"
    items = expect(await client.get(url_members, headers=guest.headers), 200)["items"]
    assert {m["user_id"] for m in items} == {guest.id, viewer.id}
    assert all(m["email"] is None for m in items)
    items = expect(await client.get(url_members, headers=viewer.headers), 200)["items"]
    assert {m["email"] for m in items} == {guest.email, viewer.email}
