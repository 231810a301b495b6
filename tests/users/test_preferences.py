"""Account preferences on /users/me: handle, avatar colour, time zone and theme, and the
handle and colour where other people are listed."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.factories import PASSWORD, Board, add_member, expect, make_user

ME = "/api/v1/users/me"
PREFERENCES = {"handle", "avatar_color", "time_zone", "theme"}


def fields(response: httpx.Response) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


async def me(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = expect(await client.get(ME, headers=headers), 200)
    return body


class TestDefaults:
    async def test_a_new_account_has_a_handle_and_no_preferences_yet(
        self, client: httpx.AsyncClient
    ) -> None:
        user = await make_user(client, name="Mia Kowalski")
        body = await me(client, user.headers)
        assert set(body) >= PREFERENCES
        assert body["handle"] == "mia-kowalski"  # from the name (tests/users/test_handles.py)
        assert body["avatar_color"] is None
        assert body["time_zone"] is None
        assert body["theme"] == "system"

    async def test_the_sign_in_session_carries_them(self, client: httpx.AsyncClient) -> None:
        """The web app applies the theme right after signing in, from the session's user."""
        user = await make_user(client)
        expect(await client.patch(ME, json={"theme": "dark"}, headers=user.headers), 200)
        r = await client.post(
            "/api/v1/auth/session", json={"email": user.email, "password": PASSWORD}
        )
        body = expect(r, 200)
        assert body["user"]["theme"] == "dark"


class TestUpdate:
    async def test_sets_all_four_and_reads_them_back(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        sent = {
            "handle": "Mia_K-2",
            "avatar_color": "teal",
            "time_zone": "Europe/Berlin",
            "theme": "dark",
        }
        body = expect(await client.patch(ME, json=sent, headers=user.headers), 200)
        want = {**sent, "handle": "mia_k-2"}
        assert {k: body[k] for k in PREFERENCES} == want
        assert {k: v for k, v in (await me(client, user.headers)).items() if k in PREFERENCES} == (
            want
        )

    async def test_a_hex_colour_is_stored_lower_case(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        body = expect(
            await client.patch(ME, json={"avatar_color": "#A1B2C3"}, headers=user.headers), 200
        )
        assert body["avatar_color"] == "#a1b2c3"

    async def test_only_the_fields_sent_change(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client, name="Kept")
        expect(
            await client.patch(ME, json={"handle": "kept", "theme": "light"}, headers=user.headers),
            200,
        )
        body = expect(await client.patch(ME, json={"time_zone": "UTC"}, headers=user.headers), 200)
        assert (body["name"], body["handle"], body["theme"], body["time_zone"]) == (
            "Kept",
            "kept",
            "light",
            "UTC",
        )

    async def test_null_clears_the_optional_ones_but_not_the_theme(
        self, client: httpx.AsyncClient
    ) -> None:
        user = await make_user(client)
        set_all = {"handle": "gone", "avatar_color": "red", "time_zone": "Asia/Tokyo"}
        expect(await client.patch(ME, json={**set_all, "theme": "dark"}, headers=user.headers), 200)
        cleared = dict.fromkeys(set_all) | {"theme": None}
        body = expect(await client.patch(ME, json=cleared, headers=user.headers), 200)
        assert (body["handle"], body["avatar_color"], body["time_zone"]) == (None, None, None)
        assert body["theme"] == "dark"

    async def test_a_cleared_handle_is_free_for_someone_else(
        self, client: httpx.AsyncClient
    ) -> None:
        a, b = await make_user(client), await make_user(client)
        expect(await client.patch(ME, json={"handle": "shared"}, headers=a.headers), 200)
        expect(await client.patch(ME, json={"handle": None}, headers=a.headers), 200)
        body = expect(await client.patch(ME, json={"handle": "shared"}, headers=b.headers), 200)
        assert body["handle"] == "shared"

    async def test_keeping_ones_own_handle_is_not_a_conflict(
        self, client: httpx.AsyncClient
    ) -> None:
        user = await make_user(client)
        expect(await client.patch(ME, json={"handle": "mine"}, headers=user.headers), 200)
        expect(await client.patch(ME, json={"handle": "MINE"}, headers=user.headers), 200)


BAD_VALUES: dict[str, tuple[str, object]] = {
    "handle-too-short": ("handle", "a"),
    "handle-too-long": ("handle", "x" * 33),
    "handle-with-space": ("handle", "has space"),
    "handle-with-dot": ("handle", "dot.ted"),
    "handle-not-ascii": ("handle", "émile"),
    "handle-a-number": ("handle", 12),
    "color-a-name": ("avatar_color", "chartreuse"),
    "color-short-hex": ("avatar_color", "#abc"),
    "color-not-hex": ("avatar_color", "#gggggg"),
    "color-injected": ("avatar_color", "red; x"),
    "zone-unknown": ("time_zone", "Mars/Olympus_Mons"),
    "zone-lower-case": ("time_zone", "europe/berlin"),
    "zone-empty": ("time_zone", ""),
    "zone-too-long": ("time_zone", "x" * 65),
    "theme-unknown": ("theme", "sepia"),
    "theme-empty": ("theme", ""),
}
"""A preference and a value it refuses, by case name."""


class TestBadInput:
    async def test_is_422_naming_the_field_and_changes_nothing(
        self, client: httpx.AsyncClient, subtests: pytest.Subtests
    ) -> None:
        user = await make_user(client, name="Kept")
        before = await me(client, user.headers)
        for case, (field, value) in BAD_VALUES.items():
            with subtests.test(case, field=field, value=value):
                r = await client.patch(
                    ME, json={"name": "Changed", field: value}, headers=user.headers
                )
                assert r.status_code == 422, f"{case}: {r.text}"
                assert r.headers["content-type"].startswith("application/problem+json"), case
                assert fields(r) == [field], case
                assert await me(client, user.headers) == before, case


class TestTakenHandle:
    async def test_is_409_and_changes_nothing(self, client: httpx.AsyncClient) -> None:
        a, b = await make_user(client), await make_user(client, name="Bea")
        expect(await client.patch(ME, json={"handle": "taken"}, headers=a.headers), 200)
        before = await me(client, b.headers)
        r = await client.patch(ME, json={"name": "Changed", "handle": "taken"}, headers=b.headers)
        assert r.status_code == 409
        assert r.json()["code"] == "handle_taken"
        assert await me(client, b.headers) == before

    async def test_case_does_not_make_a_handle_new(self, client: httpx.AsyncClient) -> None:
        a, b = await make_user(client), await make_user(client)
        expect(await client.patch(ME, json={"handle": "Case"}, headers=a.headers), 200)
        r = await client.patch(ME, json={"handle": "cASE"}, headers=b.headers)
        assert r.status_code == 409

    async def test_two_people_racing_for_one_handle_get_one_each_way(
        self, client: httpx.AsyncClient
    ) -> None:
        users = [await make_user(client) for _ in range(4)]
        results = await asyncio.gather(
            *(client.patch(ME, json={"handle": "race"}, headers=u.headers) for u in users)
        )
        assert sorted(r.status_code for r in results) == [200, 409, 409, 409]
        holders = [u for u in users if (await me(client, u.headers))["handle"] == "race"]
        assert len(holders) == 1


class TestListedForOthers:
    async def test_members_and_people_show_handle_and_colour(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        expect(
            await client.patch(
                ME, json={"handle": "maxm", "avatar_color": "#112233"}, headers=board.member.headers
            ),
            200,
        )
        members = expect(
            await client.get(
                f"/api/v1/workspaces/{board.workspace['id']}/members", headers=board.owner.headers
            ),
            200,
        )
        by_id = {m["user_id"]: m for m in members["items"]}
        assert (by_id[board.member.id]["handle"], by_id[board.member.id]["avatar_color"]) == (
            "maxm",
            "#112233",
        )
        assert (by_id[board.owner.id]["handle"], by_id[board.owner.id]["avatar_color"]) == (
            "olive-owner",  # made from the name at sign-up
            None,
        )
        guest = await make_user(client)
        await add_member(client, board.owner, board.workspace["id"], guest, role="guest")
        expect(
            await client.post(
                f"/api/v1/projects/{board.pid}/members",
                json={"user_id": guest.id, "role": "viewer"},
                headers=board.owner.headers,
            ),
            201,
        )
        people = expect(
            await client.get(f"/api/v1/projects/{board.pid}/people", headers=guest.headers), 200
        )
        person = next(p for p in people["items"] if p["user_id"] == board.member.id)
        assert (person["handle"], person["avatar_color"]) == ("maxm", "#112233")

    async def test_time_zone_and_theme_stay_private(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        expect(
            await client.patch(
                ME,
                json={"time_zone": "Europe/Paris", "theme": "dark"},
                headers=board.member.headers,
            ),
            200,
        )
        members = expect(
            await client.get(
                f"/api/v1/workspaces/{board.workspace['id']}/members", headers=board.owner.headers
            ),
            200,
        )
        assert all("time_zone" not in m and "theme" not in m for m in members["items"])
