"""The inbox API (notifications.service and routes) through HTTP: listing and paging, the
unread count, read/unread, archive/unarchive, snooze; only ever the caller's own
notifications, and none about a project they can no longer see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from tasklane.models import Notification
from tests.factories import Board, User, expect, make_task, make_user
from tests.notifications.conftest import Notify
from tests.notifications.helpers import (
    API,
    JSON,
    add_to_project,
    change,
    changed,
    deliver,
    inbox,
    join,
    remove_from_project,
    remove_from_workspace,
    unread,
)


async def _assigned(
    client: httpx.AsyncClient, board: Board, notify: Notify, *titles: str, to: User | None = None
) -> list[JSON]:
    """A task per title assigned to `to` (the board's member) by the owner: their inbox,
    newest first."""
    user = to or board.member
    for title in titles:
        await make_task(client, board.owner, board.pid, title, assignee_ids=[user.id])
    await deliver(notify)
    return await inbox(client, user)


def _titles(items: list[JSON]) -> list[str]:
    return [n["task_title"] for n in items]


def _assert_problem(response: httpx.Response, status: int = 422) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


async def _snooze(
    client: httpx.AsyncClient, user: User, notification_id: str, until: str
) -> httpx.Response:
    return await client.post(
        f"{API}/notifications/{notification_id}/snooze", json={"until": until}, headers=user.headers
    )


BAD_SELECTIONS: dict[str, JSON] = {
    "empty": {},
    "all-false": {"all": False},
    "no-ids": {"ids": []},
    "both": {"ids": [str(UUID(int=1))], "all": True},
    "bad-id": {"ids": ["not-a-uuid"]},
    "extra-field": {"all": True, "extra": 1},
}
"""Bodies of POST /notifications/{action} that select nothing valid, by case name."""


def _in(minutes: float) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


class TestList:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient) -> None:
        _assert_problem(await client.get(f"{API}/notifications"), 401)

    async def test_newest_first(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        items = await _assigned(client, board, notify, "One", "Two", "Three")
        assert _titles(items) == ["Three", "Two", "One"]
        assert [n["created_at"] for n in items] == sorted(
            (n["created_at"] for n in items), reverse=True
        )

    async def test_a_cursor_walks_every_notification_once(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        await _assigned(client, board, notify, "One", "Two", "Three", "Four")
        seen: list[str] = []
        params: dict[str, Any] = {"limit": 1}
        while True:
            body = expect(
                await client.get(
                    f"{API}/notifications", params=params, headers=board.member.headers
                ),
                200,
            )
            assert len(body["items"]) == 1
            seen += _titles(body["items"])
            if body["next_cursor"] is None:
                break
            params["cursor"] = body["next_cursor"]
        assert seen == ["Four", "Three", "Two", "One"]

    async def test_a_forged_cursor_is_422(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        response = await client.get(
            f"{API}/notifications",
            params={"cursor": "eyJ4IjoxfQ.AAAAAAAAAAAAAAAA"},
            headers=board.member.headers,
        )
        _assert_problem(response)

    async def test_unread_lists_only_the_unread(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        _, two, _ = await _assigned(client, board, notify, "One", "Two", "Three")
        await changed(client, board.member, "read", ids=[two["id"]])
        assert _titles(await inbox(client, board.member, unread="true")) == ["Three", "One"]
        assert _titles(await inbox(client, board.member)) == ["Three", "Two", "One"]

    async def test_only_your_own(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        stranger = await make_user(client)
        await _assigned(client, board, notify, "One")
        assert await inbox(client, stranger) == []
        assert await inbox(client, board.owner) == []


class TestUnreadCount:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient) -> None:
        _assert_problem(await client.get(f"{API}/notifications/unread-count"), 401)

    async def test_counts_the_unread_in_the_inbox(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        assert await unread(client, board.member) == 0
        three, two, _ = await _assigned(client, board, notify, "One", "Two", "Three")
        assert await unread(client, board.member) == 3
        await changed(client, board.member, "read", ids=[three["id"]])
        await changed(client, board.member, "archive", ids=[two["id"]])
        assert await unread(client, board.member) == 1
        assert len(await inbox(client, board.member, unread="true")) == 1
        assert await unread(client, board.owner) == 0


class TestRead:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient) -> None:
        _assert_problem(await client.post(f"{API}/notifications/read", json={"all": True}), 401)

    async def test_by_ids(self, client: httpx.AsyncClient, board: Board, notify: Notify) -> None:
        three, _, one = await _assigned(client, board, notify, "One", "Two", "Three")
        assert await changed(client, board.member, "read", ids=[one["id"], three["id"]]) == 2
        items = {n["task_title"]: n for n in await inbox(client, board.member)}
        assert items["One"]["read_at"] is not None
        assert items["Three"]["read_at"] is not None
        assert items["Two"]["read_at"] is None

    async def test_all(self, client: httpx.AsyncClient, board: Board, notify: Notify) -> None:
        await _assigned(client, board, notify, "One", "Two")
        assert await changed(client, board.member, "read", all=True) == 2
        assert await unread(client, board.member) == 0
        assert all(n["read_at"] is not None for n in await inbox(client, board.member))

    async def test_someone_elses_ids_are_not_changed(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        [mine] = await _assigned(client, board, notify, "One")
        for action in ("read", "archive", "unread", "unarchive"):
            assert await changed(client, board.owner, action, ids=[mine["id"]]) == 0
        assert await changed(client, board.owner, "read", all=True) == 0
        assert await inbox(client, board.member) == [mine]

    async def test_unknown_ids_change_nothing(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        await _assigned(client, board, notify, "One")
        assert await changed(client, board.member, "read", ids=[str(uuid4())]) == 0
        assert await unread(client, board.member) == 1

    async def test_a_bad_selection_is_422(
        self, client: httpx.AsyncClient, board: Board, notify: Notify, subtests: pytest.Subtests
    ) -> None:
        await _assigned(client, board, notify, "One")
        for case, body in BAD_SELECTIONS.items():
            with subtests.test(case, body=body):
                response = await client.post(
                    f"{API}/notifications/read", json=body, headers=board.member.headers
                )
                assert _assert_problem(response)["code"] == "validation_failed", case
                assert await unread(client, board.member) == 1, case

    async def test_more_than_200_ids_is_422(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        [mine] = await _assigned(client, board, notify, "One")
        ids = [mine["id"], *(str(uuid4()) for _ in range(200))]
        response = await change(client, board.member, "read", ids=ids)
        assert _assert_problem(response)["code"] == "validation_failed"
        assert await unread(client, board.member) == 1
        assert await changed(client, board.member, "read", ids=ids[:200]) == 1


class TestUnread:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient) -> None:
        _assert_problem(await client.post(f"{API}/notifications/unread", json={"all": True}), 401)

    async def test_by_ids(self, client: httpx.AsyncClient, board: Board, notify: Notify) -> None:
        _, one = await _assigned(client, board, notify, "One", "Two")
        await changed(client, board.member, "read", all=True)
        assert await changed(client, board.member, "unread", ids=[one["id"]]) == 1
        assert _titles(await inbox(client, board.member, unread="true")) == ["One"]
        assert await unread(client, board.member) == 1

    async def test_all(self, client: httpx.AsyncClient, board: Board, notify: Notify) -> None:
        await _assigned(client, board, notify, "One", "Two")
        await changed(client, board.member, "read", all=True)
        assert await changed(client, board.member, "unread", all=True) == 2
        assert await unread(client, board.member) == 2


class TestArchive:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient) -> None:
        _assert_problem(await client.post(f"{API}/notifications/archive", json={"all": True}), 401)

    async def test_an_archived_one_leaves_the_inbox_for_the_archive(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        two, one = await _assigned(client, board, notify, "One", "Two")
        assert await changed(client, board.member, "archive", ids=[one["id"]]) == 1
        assert _titles(await inbox(client, board.member)) == [two["task_title"]]
        [archived] = await inbox(client, board.member, box="archived")
        assert archived["id"] == one["id"]
        assert archived["archived_at"] is not None
        assert archived["read_at"] is not None
        assert await unread(client, board.member) == 1
        assert await inbox(client, board.member, box="snoozed") == []

    async def test_all(self, client: httpx.AsyncClient, board: Board, notify: Notify) -> None:
        await _assigned(client, board, notify, "One", "Two")
        assert await changed(client, board.member, "archive", all=True) == 2
        assert await inbox(client, board.member) == []
        assert len(await inbox(client, board.member, box="archived")) == 2
        assert await unread(client, board.member) == 0

    async def test_an_unknown_box_is_422(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        response = await client.get(
            f"{API}/notifications", params={"box": "trash"}, headers=board.member.headers
        )
        _assert_problem(response)


class TestUnarchive:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.post(f"{API}/notifications/unarchive", json={"all": True})
        _assert_problem(response, 401)

    async def test_by_ids_it_is_back_in_the_inbox(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        two, one = await _assigned(client, board, notify, "One", "Two")
        await changed(client, board.member, "archive", ids=[one["id"], two["id"]])
        assert await changed(client, board.member, "unarchive", ids=[one["id"]]) == 1
        assert _titles(await inbox(client, board.member)) == [one["task_title"]]
        assert _titles(await inbox(client, board.member, box="archived")) == [two["task_title"]]

    async def test_all_brings_every_archived_one_back(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        _, two, one = await _assigned(client, board, notify, "One", "Two", "Three")
        await changed(client, board.member, "archive", ids=[one["id"], two["id"]])
        assert await changed(client, board.member, "unarchive", all=True) == 2
        assert await inbox(client, board.member, box="archived") == []
        assert _titles(await inbox(client, board.member)) == ["Three", "Two", "One"]


class TestSnooze:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            f"{API}/notifications/{uuid4()}/snooze", json={"until": _in(60)}
        )
        _assert_problem(response, 401)

    async def test_a_snoozed_one_leaves_the_inbox_until_then(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        two, one = await _assigned(client, board, notify, "One", "Two")
        expect(await _snooze(client, board.member, one["id"], _in(60)), 204)
        assert _titles(await inbox(client, board.member)) == [two["task_title"]]
        [snoozed] = await inbox(client, board.member, box="snoozed")
        assert snoozed["id"] == one["id"]
        assert snoozed["snoozed_until"] is not None
        assert await unread(client, board.member) == 1
        assert await inbox(client, board.member, unread="true") == [two]
        assert await inbox(client, board.member, box="archived") == []

    async def test_it_comes_back_unread_when_the_time_has_passed(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI, notify: Notify
    ) -> None:
        [one] = await _assigned(client, board, notify, "One")
        await changed(client, board.member, "read", ids=[one["id"]])
        expect(await _snooze(client, board.member, one["id"], _in(60)), 204)
        assert await inbox(client, board.member) == []
        async with app.state.runtime.db.transaction() as session:
            await session.execute(
                update(Notification)
                .where(Notification.id == UUID(one["id"]))
                .values(snoozed_until=datetime.now(UTC) - timedelta(seconds=1))
            )
        [back] = await inbox(client, board.member)
        assert back["id"] == one["id"]
        assert back["read_at"] is None
        assert await inbox(client, board.member, box="snoozed") == []
        assert await unread(client, board.member) == 1

    async def test_snoozing_an_archived_one_takes_it_out_of_the_archive(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        [one] = await _assigned(client, board, notify, "One")
        await changed(client, board.member, "archive", ids=[one["id"]])
        expect(await _snooze(client, board.member, one["id"], _in(60)), 204)
        assert await inbox(client, board.member, box="archived") == []
        assert [n["id"] for n in await inbox(client, board.member, box="snoozed")] == [one["id"]]

    async def test_a_time_in_the_past_is_422(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        [one] = await _assigned(client, board, notify, "One")
        body = _assert_problem(await _snooze(client, board.member, one["id"], _in(-1)))
        assert body["errors"][0]["field"] == "until"
        assert await inbox(client, board.member) == [one]

    async def test_a_time_without_a_zone_is_422(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        [one] = await _assigned(client, board, notify, "One")
        naive = (datetime.now(UTC) + timedelta(hours=1)).replace(tzinfo=None).isoformat()
        _assert_problem(await _snooze(client, board.member, one["id"], naive))
        assert await inbox(client, board.member) == [one]

    async def test_a_time_past_the_calendar_is_422(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        [one] = await _assigned(client, board, notify, "One")
        # Year 9999 in a zone west of UTC is past year 9999 in UTC.
        response = await _snooze(client, board.member, one["id"], "9999-12-31T23:00:00-05:00")
        _assert_problem(response)
        assert await inbox(client, board.member) == [one]

    async def test_someone_elses_notification_is_404(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        [one] = await _assigned(client, board, notify, "One")
        _assert_problem(await _snooze(client, board.owner, one["id"], _in(60)), 404)
        _assert_problem(await _snooze(client, board.owner, str(uuid4()), _in(60)), 404)
        assert await inbox(client, board.member) == [one]


class TestVisibility:
    async def test_none_about_a_workspace_you_left_is_listed_or_counted(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        await _assigned(client, board, notify, "One")
        await remove_from_workspace(client, board, board.member)
        assert await inbox(client, board.member) == []
        assert await inbox(client, board.member, unread="true") == []
        assert await unread(client, board.member) == 0

    async def test_none_about_a_project_a_guest_lost_is_listed_or_counted(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        guest = await join(client, board, workspace_role="guest", project_role="member")
        items = await _assigned(client, board, notify, "One", to=guest)
        assert [n["type"] for n in items] == ["assigned", "added"]
        await remove_from_project(client, board, guest)
        assert await inbox(client, guest) == []
        assert await unread(client, guest) == 0
        await add_to_project(client, board, guest, "viewer")
        assert _titles(await inbox(client, guest)) == ["One", None]
