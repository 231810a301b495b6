"""The WebSocket's user channel (realtime.hub `follow_user`, `_notify`) against a running
server with the worker (and so the notification consumer) running, on SQLite and PostgreSQL:
a connection subscribed with `{"type": "subscribe", "user": true}` gets a `notification`
message for each of its user's new notifications, and nobody else's."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import Board, expect, make_board, make_task
from tests.realtime.helpers import QUIET, LiveClient, events_after, head, live_client

WITHIN = 10.0
"""Long enough for the worker's dispatcher and the hub (it polls every 0.2 s here)."""


async def _subscribe_user(live: LiveClient) -> dict[str, Any]:
    await live.send(type="subscribe", user=True)
    return await live.expect("subscribed")


async def _notified_at(app: FastAPI, after: int) -> int:
    """The seq of the first `notification.created` event after `after`, once the worker's
    consumer has recorded it."""
    deadline = asyncio.get_running_loop().time() + WITHIN
    while True:
        found = await events_after(app, after, type="notification.created")
        if found:
            return found[0].seq
        assert asyncio.get_running_loop().time() < deadline, "no notification was recorded"
        await asyncio.sleep(0.05)


async def _messages_until(live: LiveClient, seq: int) -> list[dict[str, Any]]:
    """Every message but pongs, heartbeats and presence until the hub has handled `seq`."""
    found: list[dict[str, Any]] = []
    deadline = asyncio.get_running_loop().time() + WITHIN
    while True:
        await live.send(type="ping")
        while True:
            message = await live.recv(WITHIN)
            if message["type"] == "pong":
                break
            if message["type"] not in QUIET:
                found.append(message)
        if message["seq"] >= seq:
            return found
        assert asyncio.get_running_loop().time() < deadline, f"never reached seq {seq}"
        await asyncio.sleep(0.05)


async def _assign_member(http: httpx.AsyncClient, board: Board, title: str) -> dict[str, Any]:
    return await make_task(http, board.owner, board.pid, title, assignee_ids=[board.member.id])


class TestSubscribe:
    async def test_the_subscription_is_confirmed(
        self, base_url: str, http: httpx.AsyncClient, app: FastAPI
    ) -> None:
        board = await make_board(http)
        async with live_client(base_url, board.member.access_token) as live:
            assert (await live.recv())["type"] == "hello"
            subscribed = await _subscribe_user(live)
        assert subscribed == {"type": "subscribed", "user": True, "seq": subscribed["seq"]}
        assert 0 <= subscribed["seq"] <= await head(app)

    async def test_unsubscribing_is_confirmed_and_stops_them(
        self, base_url: str, http: httpx.AsyncClient, app: FastAPI
    ) -> None:
        board = await make_board(http)
        async with live_client(base_url, board.member.access_token) as live:
            await _subscribe_user(live)
            await live.send(type="unsubscribe", user=True)
            unsubscribed = await live.expect("unsubscribed")
            assert unsubscribed["user"] is True
            start = await head(app)
            await _assign_member(http, board, "Plan")
            assert await _messages_until(live, await _notified_at(app, start)) == []

    @pytest.mark.parametrize(
        "message",
        [
            {"type": "subscribe", "user": False},
            {
                "type": "subscribe",
                "user": True,
                "project_id": "00000000-0000-0000-0000-000000000001",
            },
        ],
        ids=["user-false", "user-and-project"],
    )
    async def test_a_bad_user_subscription_is_an_invalid_message(
        self, base_url: str, http: httpx.AsyncClient, message: dict[str, Any]
    ) -> None:
        board = await make_board(http)
        async with live_client(base_url, board.member.access_token) as live:
            await live.send(**message)
            assert (await live.expect("error"))["code"] == "invalid_message"


class TestNotificationMessages:
    async def test_a_new_notification_reaches_its_recipient(
        self, base_url: str, http: httpx.AsyncClient, app: FastAPI
    ) -> None:
        board = await make_board(http)
        async with live_client(base_url, board.member.access_token) as live:
            await _subscribe_user(live)
            task = await _assign_member(http, board, "Plan")
            message = await live.expect("notification", within=WITHIN)
        [listed] = expect(
            await http.get("/api/v1/notifications", headers=board.member.headers), 200
        )["items"]
        assert message["notification"] == {
            "id": listed["id"],
            "type": "assigned",
            "task_id": task["id"],
            "created_at": message["notification"]["created_at"],
        }
        [event] = await events_after(app, message["seq"] - 1, type="notification.created")
        assert event.seq == message["seq"]

    async def test_other_peoples_notifications_are_not_sent(
        self, base_url: str, http: httpx.AsyncClient
    ) -> None:
        board = await make_board(http)
        async with (
            live_client(base_url, board.owner.access_token) as owner,
            live_client(base_url, board.member.access_token) as member,
        ):
            await _subscribe_user(owner)
            await _subscribe_user(member)
            await _assign_member(http, board, "Plan")
            told = await member.expect("notification", within=WITHIN)
            assert await _messages_until(owner, told["seq"]) == []

    async def test_without_the_subscription_none_is_sent(
        self, base_url: str, http: httpx.AsyncClient, app: FastAPI
    ) -> None:
        board = await make_board(http)
        async with live_client(base_url, board.member.access_token) as live:
            await live.subscribe(project_id=board.pid)
            start = await head(app)
            task = await _assign_member(http, board, "Plan")
            messages = await _messages_until(live, await _notified_at(app, start))
        assert [(m["type"], m["event"]["task_id"]) for m in messages] == [("event", task["id"])]

    async def test_every_tab_of_the_recipient_that_follows_gets_it(
        self, base_url: str, http: httpx.AsyncClient
    ) -> None:
        board = await make_board(http)
        async with (
            live_client(base_url, board.member.access_token) as first,
            live_client(base_url, board.member.access_token) as second,
        ):
            await _subscribe_user(first)
            await _subscribe_user(second)
            await _assign_member(http, board, "Plan")
            one = await first.expect("notification", within=WITHIN)
            two = await second.expect("notification", within=WITHIN)
        assert one == two

    async def test_a_change_folded_into_an_unread_one_is_sent_again(
        self, base_url: str, http: httpx.AsyncClient
    ) -> None:
        board = await make_board(http)
        task = await make_task(http, board.owner, board.pid, "Plan")
        expect(
            await http.post(
                f"/api/v1/tasks/{task['id']}/watchers",
                json={"user_id": board.member.id},
                headers=board.member.headers,
            ),
            201,
        )
        async with live_client(base_url, board.member.access_token) as live:
            await _subscribe_user(live)
            messages = []
            for name in ("In Progress", "Done"):
                expect(
                    await http.post(
                        f"/api/v1/tasks/{task['id']}/move",
                        json={"status_id": board.statuses[name]["id"]},
                        headers=board.owner.headers,
                    ),
                    200,
                )
                messages.append(await live.expect("notification", within=WITHIN))
        first, second = (m["notification"] for m in messages)
        assert first["id"] == second["id"]
        assert "summary" not in second  # the message names it; the list says what it says
        [listed] = expect(
            await http.get("/api/v1/notifications", headers=board.member.headers), 200
        )["items"]
        assert listed["id"] == first["id"]
        assert listed["summary"] == "Olive Owner moved ENG-1 to Done"
        assert listed["count"] == 2
