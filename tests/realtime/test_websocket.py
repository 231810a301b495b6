"""The live-updates WebSocket through a real client against a running server, on SQLite and
PostgreSQL: authentication, subscriptions, delivery of HTTP changes, replay with `since`,
permission checks and re-checks, presence, heartbeats and session end."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from uuid import UUID

import httpx
import pyotp
import pytest
import websockets
from fastapi import FastAPI

from tests.factories import (
    Board,
    add_member,
    expect,
    make_board,
    make_project,
    make_task,
    make_user,
)
from tests.realtime.helpers import LiveClient, events_after, head, live_client
from tests.test_metrics import parse, value


def _masked_text_frame(text: str) -> bytes:
    """One client-to-server WebSocket text frame (clients must mask; RFC 6455 section 5.3)."""
    payload = text.encode()
    assert len(payload) < 126
    mask = b"\x01\x02\x03\x04"
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + mask + masked


async def _rename(http: httpx.AsyncClient, board: Board, ref: str, title: str) -> dict[str, Any]:
    return expect(
        await http.patch(
            f"/api/v1/tasks/{ref}", json={"title": title}, headers=board.owner.headers
        ),
        200,
    )


async def _expect_closed_unauthenticated(live: LiveClient) -> None:
    """The server says the session ended, then closes with 4401."""
    error = await live.expect("error")
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await live.expect("never")
    assert error["code"] == "unauthenticated"
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401


class TestConnect:
    async def test_anonymous_is_refused_with_4401(self, base_url: str) -> None:
        async with live_client(base_url) as live:
            message = await live.recv()
            assert message["type"] == "error"
            assert message["code"] == "unauthenticated"
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await live.recv()
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4401

    async def test_a_forged_token_is_refused(self, base_url: str) -> None:
        async with live_client(base_url, token="eyJhbGciOiJub25lIn0.e30.") as live:
            assert (await live.recv())["code"] == "unauthenticated"

    async def test_hello_names_the_user_and_the_current_position(
        self, base_url: str, http: httpx.AsyncClient, app: FastAPI
    ) -> None:
        board = await make_board(http)
        async with live_client(base_url, board.owner.access_token) as live:
            hello = await live.recv()
        assert hello["type"] == "hello"
        assert hello["user_id"] == board.owner.id
        assert hello["seq"] == await head(app)

    async def test_open_connections_are_counted_in_metrics(
        self, base_url: str, http: httpx.AsyncClient
    ) -> None:
        board = await make_board(http)

        async def connections() -> float:
            samples = parse((await http.get("/metrics")).text)
            return value(samples, "tasklane_websocket_connections")

        before = await connections()
        async with (
            live_client(base_url, board.owner.access_token) as first,
            live_client(base_url, board.member.access_token) as second,
            live_client(base_url) as anonymous,
        ):
            assert (await first.recv())["type"] == "hello"
            assert (await second.recv())["type"] == "hello"
            assert (await anonymous.recv())["code"] == "unauthenticated"
            assert await connections() == before + 2
        for _ in range(100):  # the server notices the close a moment later
            if await connections() == before:
                break
            await asyncio.sleep(0.05)
        assert await connections() == before

    async def test_bearer_header_works(self, base_url: str, http: httpx.AsyncClient) -> None:
        board = await make_board(http)
        async with live_client(base_url, additional_headers=board.owner.headers) as live:
            assert (await live.recv())["type"] == "hello"

    async def test_session_cookie_from_our_origin_works_and_a_foreign_origin_does_not(
        self, base_url: str, http: httpx.AsyncClient
    ) -> None:
        board = await make_board(http)
        r = expect(
            await http.post(
                "/api/v1/auth/session",
                json={"email": board.member.email, "password": "correct horse battery staple"},
            ),
            200,
        )
        assert r
        cookie = f"tasklane_access={http.cookies['tasklane_access']}"
        host = base_url.removeprefix("http://")
        async with live_client(
            base_url, additional_headers={"Cookie": cookie}, origin=f"http://{host}"
        ) as live:
            assert (await live.recv())["type"] == "hello"
        async with live_client(
            base_url, additional_headers={"Cookie": cookie}, origin="https://evil.example"
        ) as live:
            assert (await live.recv())["code"] == "unauthenticated"


class TestDelivery:
    async def test_a_change_over_http_reaches_a_subscriber(
        self, base_url: str, http: httpx.AsyncClient, app: FastAPI
    ) -> None:
        board = await make_board(http)
        async with live_client(base_url, board.member.access_token) as live:
            await live.recv()
            subscribed, replayed = await live.subscribe(project_id=board.pid)
            assert replayed == []
            assert subscribed["project_id"] == board.pid
            task = await make_task(http, board.owner, board.pid, "Ship it")
            created = await live.expect("event")
            await _rename(http, board, task["key"], "Ship it today")
            updated = await live.expect("event")
        assert created["event"]["type"] == "task.created"
        assert created["event"]["task_id"] == task["id"]
        assert created["event"]["actor_id"] == board.owner.id
        assert created["event"]["changes"]["title"] == {"from": None, "to": "Ship it"}
        assert updated["event"]["type"] == "task.updated"
        assert updated["event"]["changes"] == {"title": {"from": "Ship it", "to": "Ship it today"}}
        assert updated["seq"] == created["seq"] + 1
        stored = await events_after(app, created["seq"] - 1)
        assert [e.seq for e in stored] == [created["seq"], updated["seq"]]

    async def test_events_of_other_projects_are_not_sent(
        self, base_url: str, http: httpx.AsyncClient, app: FastAPI
    ) -> None:
        board = await make_board(http)
        other = await make_project(http, board.owner, board.workspace["id"], key="OPS")
        async with live_client(base_url, board.member.access_token) as live:
            await live.subscribe(project_id=board.pid)
            await make_task(http, board.owner, other["id"], "Elsewhere")
            mine = await make_task(http, board.owner, board.pid, "Here")
            events = await live.events_until(await head(app))
        assert [e["event"]["task_id"] for e in events] == [mine["id"]]

    async def test_overlapping_subscriptions_send_each_event_once(
        self, base_url: str, http: httpx.AsyncClient, app: FastAPI
    ) -> None:
        board = await make_board(http)
        task = await make_task(http, board.owner, board.pid)
        async with live_client(base_url, board.member.access_token) as live:
            await live.subscribe(workspace_id=board.workspace["id"])
            await live.subscribe(project_id=board.pid)
            await live.subscribe(task_id=task["key"])
            await _rename(http, board, task["key"], "Once")
            events = await live.events_until(await head(app))
        assert [e["event"]["type"] for e in events] == ["task.updated"]

    async def test_task_subscription_by_key_gets_comments(
        self, base_url: str, http: httpx.AsyncClient
    ) -> None:
        board = await make_board(http)
        task = await make_task(http, board.owner, board.pid)
        async with live_client(base_url, board.member.access_token) as live:
            subscribed, _ = await live.subscribe(task_id=task["key"])
            assert subscribed["task_id"] == task["id"]
            assert subscribed["key"] == task["key"]
            expect(
                await http.post(
                    f"/api/v1/tasks/{task['key']}/comments",
                    json={"body": "On it"},
                    headers=board.owner.headers,
                ),
                201,
            )
            event = await live.expect("event")
        assert event["event"]["type"] == "comment.created"
        assert event["event"]["changes"]["body"]["to"] == "On it"

    async def test_unsubscribe_stops_events(
        self, base_url: str, http: httpx.AsyncClient, app: FastAPI
    ) -> None:
        board = await make_board(http)
        async with live_client(base_url, board.member.access_token) as live:
            await live.subscribe(project_id=board.pid)
            await live.send(type="unsubscribe", project_id=board.pid)
            assert (await live.expect("unsubscribed"))["project_id"] == board.pid
            await make_task(http, board.owner, board.pid)
            assert await live.events_until(await head(app)) == []

    async def test_a_rolled_back_request_sends_nothing(
        self, base_url: str, http: httpx.AsyncClient, app: FastAPI
    ) -> None:
        board = await make_board(http)
        task = await make_task(http, board.owner, board.pid)
        async with live_client(base_url, board.member.access_token) as live:
            await live.subscribe(project_id=board.pid)
            stale = await http.patch(
                f"/api/v1/tasks/{task['key']}",
                json={"title": "Nope"},
                headers={**board.owner.headers, "If-Match": '"99"'},
            )
            assert stale.status_code == 412
            await _rename(http, board, task["key"], "Yes")
            events = await live.events_until(await head(app))
        assert [e["event"]["changes"]["title"]["to"] for e in events] == ["Yes"]


class TestReplay:
    async def test_reconnect_with_since_gets_exactly_the_missed_events_in_order(
        self, base_url: str, http: httpx.AsyncClient, app: FastAPI
    ) -> None:
        board = await make_board(http)
        async with live_client(base_url, board.member.access_token) as live:
            subscribed, _ = await live.subscribe(project_id=board.pid)
            task = await make_task(http, board.owner, board.pid, "First")
            cursor = (await live.expect("event"))["seq"]
        missed = [await make_task(http, board.owner, board.pid, f"Missed {i}") for i in range(3)]
        await _rename(http, board, task["key"], "First, renamed")
        await make_task(
            http,
            board.owner,
            (await make_project(http, board.owner, board.workspace["id"], key="OPS"))["id"],
            "Not in this project",
        )
        expected = [e.seq for e in await events_after(app, cursor, project_id=UUID(board.pid))]
        assert len(expected) == 4
        async with live_client(base_url, board.member.access_token) as live:
            subscribed, replayed = await live.subscribe(project_id=board.pid, since=cursor)
            assert subscribed["replayed"] == 4
            late = await make_task(http, board.owner, board.pid, "After reconnect")
            live_event = await live.expect("event")
        assert [e["seq"] for e in replayed] == expected
        assert [e["event"]["task_id"] for e in replayed[:3]] == [t["id"] for t in missed]
        assert live_event["event"]["task_id"] == late["id"]
        assert live_event["seq"] > expected[-1]

    async def test_a_task_subscription_replays_the_tasks_missed_events(
        self, base_url: str, http: httpx.AsyncClient, app: FastAPI
    ) -> None:
        board = await make_board(http)
        task = await make_task(http, board.owner, board.pid, "Watched")
        other = await make_task(http, board.owner, board.pid, "Not watched")
        cursor = await head(app)
        await _rename(http, board, task["key"], "Watched, renamed")
        await _rename(http, board, other["key"], "Not watched, renamed")
        expect(
            await http.post(
                f"/api/v1/tasks/{task['key']}/comments",
                json={"body": "While you were away"},
                headers=board.owner.headers,
            ),
            201,
        )
        async with live_client(base_url, board.member.access_token) as live:
            subscribed, replayed = await live.subscribe(task_id=task["key"], since=cursor)
        assert subscribed["replayed"] == 2
        assert [e["event"]["type"] for e in replayed] == ["task.updated", "comment.created"]
        assert {e["event"]["task_id"] for e in replayed} == {task["id"]}
        assert replayed[0]["seq"] < replayed[1]["seq"]

    async def test_the_event_seq_of_a_read_is_a_safe_since(
        self, base_url: str, http: httpx.AsyncClient, app: FastAPI
    ) -> None:
        """A client that loads a list and then subscribes with the list's X-Event-Seq misses
        no change made in between."""
        board = await make_board(http)
        listed = await http.get(f"/api/v1/projects/{board.pid}/tasks", headers=board.member.headers)
        seq = int(listed.headers["x-event-seq"])
        assert seq <= await head(app)
        between = await make_task(http, board.owner, board.pid, "Made after the list")
        async with live_client(base_url, board.member.access_token) as live:
            _, replayed = await live.subscribe(project_id=board.pid, since=seq)
        assert between["id"] in [e["event"]["task_id"] for e in replayed]

    async def test_since_ahead_of_the_log_is_a_reset(
        self, base_url: str, http: httpx.AsyncClient
    ) -> None:
        board = await make_board(http)
        async with live_client(base_url, board.member.access_token) as live:
            await live.send(type="subscribe", project_id=board.pid, since=10**9)
            reset = await live.expect("reset")
            assert reset["project_id"] == board.pid
            assert "ahead" in reset["reason"]
            subscribed = await live.expect("subscribed")
            assert subscribed["replayed"] == 0
            await make_task(http, board.owner, board.pid)
            assert (await live.expect("event"))["event"]["type"] == "task.created"

    @pytest.mark.parametrize("settings_overrides", [{"replay_limit": 3, "run_worker": True}])
    async def test_more_missed_events_than_the_limit_is_a_reset(
        self, base_url: str, http: httpx.AsyncClient, app: FastAPI
    ) -> None:
        board = await make_board(http)
        cursor = await head(app)
        for i in range(4):
            await make_task(http, board.owner, board.pid, f"Task {i}")
        async with live_client(base_url, board.member.access_token) as live:
            await live.send(type="subscribe", project_id=board.pid, since=cursor)
            reset = await live.expect("reset")
        assert "more than 3" in reset["reason"]


class TestPermissions:
    async def test_outsider_cannot_subscribe_to_anything_of_the_workspace(
        self, base_url: str, http: httpx.AsyncClient
    ) -> None:
        board = await make_board(http)
        task = await make_task(http, board.owner, board.pid)
        outsider = await make_user(http)
        async with live_client(base_url, outsider.access_token) as live:
            await live.recv()
            for scope in (
                {"project_id": board.pid},
                {"workspace_id": board.workspace["id"]},
                {"task_id": task["key"]},
                {"task_id": task["id"]},
            ):
                await live.send(type="subscribe", **scope)
                error = await live.expect("error")
                assert error["code"] == "not_found"
                assert error[next(iter(scope))] == next(iter(scope.values()))

    @pytest.mark.parametrize(
        "message",
        [
            "not json",
            '{"type": "subscribe"}',
            '{"type": "subscribe", "project_id": "00000000-0000-0000-0000-000000000000",'
            ' "task_id": "ENG-1"}',
            '{"type": "subscribe", "project_id": "not-a-uuid"}',
            '{"type": "subscribe", "project_id": "00000000-0000-0000-0000-000000000000",'
            ' "since": -1}',
            '{"type": "shout"}',
            "[1, 2]",
        ],
    )
    async def test_bad_messages_get_invalid_message_and_the_socket_stays(
        self, base_url: str, http: httpx.AsyncClient, message: str
    ) -> None:
        board = await make_board(http)
        async with live_client(base_url, board.member.access_token) as live:
            await live.recv()
            await live.ws.send(message)
            assert (await live.expect("error"))["code"] == "invalid_message"
            await live.send(type="ping")
            assert (await live.expect("pong"))["type"] == "pong"

    async def test_removal_from_the_project_stops_delivery(
        self, base_url: str, http: httpx.AsyncClient, app: FastAPI
    ) -> None:
        board = await make_board(http)
        guest = await make_user(http)
        await add_member(http, board.owner, board.workspace["id"], guest, role="guest")
        expect(
            await http.post(
                f"/api/v1/projects/{board.pid}/members",
                json={"user_id": guest.id, "role": "member"},
                headers=board.owner.headers,
            ),
            201,
        )
        async with live_client(base_url, guest.access_token) as live:
            await live.subscribe(project_id=board.pid)
            await make_task(http, board.owner, board.pid, "Seen")
            assert (await live.expect("event"))["event"]["type"] == "task.created"
            expect(
                await http.delete(
                    f"/api/v1/projects/{board.pid}/members/{guest.id}", headers=board.owner.headers
                ),
                204,
            )
            removal = await live.expect("event")
            revoked = await live.expect("error")
            await make_task(http, board.owner, board.pid, "Not seen")
            after = await live.events_until(await head(app))
        assert removal["event"]["type"] == "project.member_removed"
        assert revoked["code"] == "subscription_revoked"
        assert revoked["project_id"] == board.pid
        assert after == []

    async def test_workspace_subscription_of_a_guest_sees_only_their_projects(
        self, base_url: str, http: httpx.AsyncClient, app: FastAPI
    ) -> None:
        board = await make_board(http)
        guest = await make_user(http)
        await add_member(http, board.owner, board.workspace["id"], guest, role="guest")
        hidden = await make_project(http, board.owner, board.workspace["id"], key="SEC")
        async with live_client(base_url, guest.access_token) as live:
            await live.subscribe(workspace_id=board.workspace["id"])
            await make_task(http, board.owner, hidden["id"], "Secret")
            other = await make_user(http)
            await add_member(http, board.owner, board.workspace["id"], other)
            # Being added to a project widens what the workspace subscription sees.
            expect(
                await http.post(
                    f"/api/v1/projects/{board.pid}/members",
                    json={"user_id": guest.id, "role": "viewer"},
                    headers=board.owner.headers,
                ),
                201,
            )
            visible = await make_task(http, board.owner, board.pid, "Visible")
            events = await live.events_until(await head(app))
        types = [e["event"]["type"] for e in events]
        assert types == ["project.member_added", "task.created"], types
        assert events[1]["event"]["task_id"] == visible["id"]

    async def test_removal_from_the_workspace_revokes_its_subscriptions(
        self, base_url: str, http: httpx.AsyncClient
    ) -> None:
        board = await make_board(http)
        async with live_client(base_url, board.member.access_token) as live:
            await live.subscribe(workspace_id=board.workspace["id"])
            await live.subscribe(project_id=board.pid)
            expect(
                await http.delete(
                    f"/api/v1/workspaces/{board.workspace['id']}/members/{board.member.id}",
                    headers=board.owner.headers,
                ),
                204,
            )
            removed = await live.expect("event")
            revoked = {
                next(k for k in ("workspace_id", "project_id") if k in m)
                for m in [await live.expect("error"), await live.expect("error")]
            }
        assert removed["event"]["type"] == "workspace.member_removed"
        assert revoked == {"workspace_id", "project_id"}

    async def test_requiring_two_factor_revokes_the_subscriptions_of_members_without_it(
        self, base_url: str, http: httpx.AsyncClient
    ) -> None:
        board = await make_board(http)
        secret = expect(
            await http.post("/api/v1/users/me/mfa/totp", headers=board.owner.headers), 201
        )["secret"]
        code = {"code": pyotp.TOTP(secret).now()}
        expect(
            await http.post(
                "/api/v1/users/me/mfa/totp/confirm", json=code, headers=board.owner.headers
            ),
            200,
        )
        async with live_client(base_url, board.member.access_token) as live:
            await live.subscribe(project_id=board.pid)
            expect(
                await http.patch(
                    f"/api/v1/workspaces/{board.workspace['id']}",
                    json={"require_mfa": True},
                    headers=board.owner.headers,
                ),
                200,
            )
            revoked = await live.expect("error")
        assert revoked["code"] == "subscription_revoked"
        assert revoked["project_id"] == board.pid

    async def test_too_many_subscriptions(self, base_url: str, http: httpx.AsyncClient) -> None:
        board = await make_board(http)
        tasks = [await make_task(http, board.owner, board.pid, f"T{i}") for i in range(51)]
        async with live_client(base_url, board.member.access_token) as live:
            for task in tasks[:50]:
                await live.subscribe(task_id=task["id"])
            await live.send(type="subscribe", task_id=tasks[50]["id"])
            assert (await live.expect("error"))["code"] == "too_many_subscriptions"


class TestPresence:
    async def test_viewers_join_and_leave(self, base_url: str, http: httpx.AsyncClient) -> None:
        board = await make_board(http)
        skip: frozenset[str] = frozenset({"heartbeat", "subscribed"})
        async with live_client(base_url, board.owner.access_token) as owner:
            await owner.subscribe(project_id=board.pid)
            first = await owner.expect("presence")
            assert [v["name"] for v in first["viewers"]] == ["Olive Owner"]
            async with live_client(base_url, board.member.access_token) as member:
                await member.subscribe(project_id=board.pid)
                joined = await owner.expect("presence", skip=skip)
                seen_by_member = await member.expect("presence", skip=skip)
                await member.send(type="unsubscribe", project_id=board.pid)
                left = await owner.expect("presence", skip=skip)
        assert joined["joined"]["user_id"] == board.member.id
        assert {v["name"] for v in joined["viewers"]} == {"Olive Owner", "Max Member"}
        assert seen_by_member["viewers"] == joined["viewers"]
        assert left["left"]["user_id"] == board.member.id
        assert [v["name"] for v in left["viewers"]] == ["Olive Owner"]

    async def test_a_dropped_connection_leaves_after_the_grace_period(
        self, base_url: str, http: httpx.AsyncClient
    ) -> None:
        board = await make_board(http)
        task = await make_task(http, board.owner, board.pid)
        skip: frozenset[str] = frozenset({"heartbeat", "subscribed"})
        async with live_client(base_url, board.owner.access_token) as owner:
            await owner.subscribe(task_id=task["id"])
            await owner.expect("presence")
            member_connection = live_client(base_url, board.member.access_token)
            member = await member_connection.__aenter__()
            await member.subscribe(task_id=task["id"])
            await owner.expect("presence", skip=skip)
            member.ws.transport.abort()  # no close frame: like a laptop that went to sleep
            loop = asyncio.get_running_loop()
            dropped = loop.time()
            left = await owner.expect("presence", skip=skip)
            waited = loop.time() - dropped
            with contextlib.suppress(websockets.ConnectionClosed):
                await member_connection.__aexit__(None, None, None)
        assert left["left"]["user_id"] == board.member.id
        assert left["task_id"] == task["id"]
        assert waited >= 0.3  # presence_grace_seconds is 0.4 in these tests

    async def test_two_tabs_of_one_user_are_one_viewer(
        self, base_url: str, http: httpx.AsyncClient
    ) -> None:
        board = await make_board(http)
        async with (
            live_client(base_url, board.member.access_token) as tab1,
            live_client(base_url, board.member.access_token) as tab2,
        ):
            await tab1.subscribe(project_id=board.pid)
            await tab1.expect("presence")
            await tab2.subscribe(project_id=board.pid)
            second = await tab2.expect("presence")
        assert [v["user_id"] for v in second["viewers"]] == [board.member.id]
        assert "joined" not in second


class TestKeepalive:
    @pytest.mark.parametrize("settings_overrides", [{"heartbeat_seconds": 0.2, "run_worker": True}])
    async def test_heartbeats_carry_the_position(
        self, base_url: str, http: httpx.AsyncClient, app: FastAPI
    ) -> None:
        board = await make_board(http)
        async with live_client(base_url, board.member.access_token) as live:
            heartbeat = await live.expect("heartbeat", skip=frozenset({"hello"}))
        assert heartbeat["seq"] == await head(app)

    @pytest.mark.parametrize(
        "settings_overrides",
        [{"ws_ping_seconds": 0.3, "presence_grace_seconds": 0, "run_worker": True}],
    )
    async def test_a_peer_that_stops_answering_pings_is_closed_and_leaves(
        self, base_url: str, board: Board
    ) -> None:
        """A raw socket does the handshake and subscribes, then goes silent (never answers
        the server's pings), like a machine that lost its network."""
        host, port = base_url.removeprefix("http://").split(":")
        # The worker relays the fixture's own events (project.created, ...) whenever it gets to
        # them, so they may arrive before or between the presence messages; only those matter.
        quiet = frozenset({"heartbeat", "event"})
        async with live_client(base_url, board.owner.access_token) as owner:
            await owner.subscribe(project_id=board.pid)
            await owner.expect("presence", skip=quiet)
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(
                f"GET /api/v1/ws?token={board.member.access_token} HTTP/1.1\r\n"
                f"Host: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n".encode()
            )
            assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101")
            writer.write(_masked_text_frame(f'{{"type":"subscribe","project_id":"{board.pid}"}}'))
            await writer.drain()
            joined = await owner.expect("presence", skip=quiet)
            loop = asyncio.get_running_loop()
            silent_since = loop.time()
            left = await owner.expect("presence", skip=quiet)
            closed_after = loop.time() - silent_since
            rest = await asyncio.wait_for(reader.read(), timeout=5)  # the server hung up
            writer.close()
        assert joined["joined"]["user_id"] == board.member.id
        assert left["left"]["user_id"] == board.member.id
        assert closed_after < 5
        assert rest is not None

    async def test_signing_out_closes_the_socket(
        self, base_url: str, http: httpx.AsyncClient
    ) -> None:
        board = await make_board(http)
        async with live_client(base_url, board.member.access_token) as live:
            await live.subscribe(project_id=board.pid)
            expect(
                await http.post(
                    "/api/v1/auth/logout",
                    json={"refresh_token": board.member.refresh_token},
                    headers=board.member.headers,
                ),
                204,
            )
            await _expect_closed_unauthenticated(live)

    async def test_an_api_token_follows_changes_until_it_is_revoked(
        self, base_url: str, http: httpx.AsyncClient
    ) -> None:
        """A personal API token of any scope, sent as a header, may follow what its owner
        sees; revoking it closes the socket like signing out does."""
        board = await make_board(http)
        created = expect(
            await http.post(
                "/api/v1/users/me/tokens",
                json={"name": "listener", "scopes": ["read"]},
                headers=board.member.headers,
            ),
            201,
        )
        # Not in the URL, where a long-lived secret would be logged on the way.
        async with live_client(base_url, created["token"]) as refused:
            await _expect_closed_unauthenticated(refused)
        bearer = {"Authorization": f"Bearer {created['token']}"}
        async with live_client(base_url, additional_headers=bearer) as live:
            hello = await live.expect("hello")
            assert hello["user_id"] == board.member.id
            await live.subscribe(project_id=board.pid)
            task = await make_task(http, board.owner, board.pid, "Heard by a script")
            event = await live.expect_task_event(task["id"])
            assert event["event"]["type"] == "task.created"
            expect(
                await http.delete(
                    f"/api/v1/users/me/tokens/{created['id']}", headers=board.member.headers
                ),
                204,
            )
            await _expect_closed_unauthenticated(live)
