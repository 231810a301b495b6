"""The delivery log over HTTP: listing (newest first, paged, filtered), one delivery with the
request as sent, redelivering one message, replaying the failed ones of a time window, and the
test ping."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

import httpx

from tests.factories import Board, expect, make_task, make_user
from tests.webhooks.conftest import Deliver, Receiver
from tests.webhooks.helpers import (
    body,
    deliveries,
    delivery,
    hook_url,
    moment,
    patch_hook,
    register,
    verified,
)


def log_url(hook: dict[str, Any]) -> str:
    return f"/api/v1/webhooks/{hook['id']}/deliveries"


async def delivered_tasks(
    client: httpx.AsyncClient, board: Board, deliver: Deliver, *titles: str
) -> None:
    for title in titles:
        await make_task(client, board.owner, board.pid, title)
    await deliver()


async def redeliver(
    client: httpx.AsyncClient, board: Board, hook: dict[str, Any], delivery_id: str
) -> dict[str, Any]:
    return expect(
        await client.post(f"{log_url(hook)}/{delivery_id}/redeliver", headers=board.owner.headers),
        202,
    )


async def replay(
    client: httpx.AsyncClient, board: Board, hook: dict[str, Any], since: Any, until: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/webhooks/{hook['id']}/replay",
        json={"since": str(since), "until": str(until)},
        headers=board.owner.headers,
    )


async def failed_with_410(
    client: httpx.AsyncClient,
    board: Board,
    receiver: Receiver,
    deliver: Deliver,
    hook: dict[str, Any],
    title: str,
) -> dict[str, Any]:
    """A delivery that failed for good (410), the webhook enabled again after it."""
    receiver.answer(410)
    await delivered_tasks(client, board, deliver, title)
    newest = (await deliveries(client, board.owner, hook))[0]
    assert newest["status"] == "failed"
    await patch_hook(client, board.owner, hook, enabled=True)
    return newest


class TestList:
    async def test_anonymous_is_401(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        hook = await register(client, board, receiver.url)
        assert (await client.get(log_url(hook))).status_code == 401

    async def test_an_outsider_is_404(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        hook = await register(client, board, receiver.url)
        outsider = await make_user(client)
        assert (await client.get(log_url(hook), headers=outsider.headers)).status_code == 404

    async def test_a_member_is_403(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        hook = await register(client, board, receiver.url)
        assert (await client.get(log_url(hook), headers=board.member.headers)).status_code == 403

    async def test_newest_first_with_each_attempts_answer_and_timing(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.created"])
        receiver.answer(500)
        await delivered_tasks(client, board, deliver, "First")
        await delivered_tasks(client, board, deliver, "Second")
        newest, oldest = await deliveries(client, board.owner, hook)
        assert newest["event_seq"] > oldest["event_seq"]
        assert newest["id"] > oldest["id"]
        assert (oldest["status"], oldest["attempts"], oldest["response_status"]) == (
            "pending",
            1,
            500,
        )
        assert oldest["response_body"] == '{"ok": true}'
        assert isinstance(oldest["duration_ms"], int)
        assert oldest["duration_ms"] >= 0
        assert oldest["next_attempt_at"] is not None
        assert oldest["first_attempt_at"] == oldest["last_attempt_at"]
        assert (newest["status"], newest["attempts"]) == ("pending", 0)  # waits behind
        assert newest["response_status"] is None
        assert {d["event_type"] for d in (newest, oldest)} == {"task.created"}
        assert "payload" not in newest
        assert "request_headers" not in newest

    async def test_pages_with_the_cursor(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.created"])
        await delivered_tasks(client, board, deliver, *(f"T{n}" for n in range(5)))
        everything = await deliveries(client, board.owner, hook)
        assert len(everything) == 5
        seen: list[dict[str, Any]] = []
        cursor = None
        pages = 0
        while True:
            params: dict[str, Any] = {"limit": 2}
            if cursor:
                params["cursor"] = cursor
            page = expect(
                await client.get(log_url(hook), params=params, headers=board.owner.headers), 200
            )
            seen.extend(page["items"])
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages == 3
        assert [d["id"] for d in seen] == [d["id"] for d in everything]
        seqs = [d["event_seq"] for d in seen]
        assert seqs == sorted(seqs, reverse=True)

    async def test_filters_by_status(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.created"])
        gone = await failed_with_410(client, board, receiver, deliver, hook, "Gone")
        await delivered_tasks(client, board, deliver, "Fine")
        failed = await deliveries(client, board.owner, hook, status="failed")
        assert [d["id"] for d in failed] == [gone["id"]]
        done = await deliveries(client, board.owner, hook, status="delivered")
        assert len(done) == 1
        assert done[0]["id"] != gone["id"]
        assert await deliveries(client, board.owner, hook, status="pending") == []
        r = await client.get(log_url(hook), params={"status": "lost"}, headers=board.owner.headers)
        assert r.status_code == 422

    async def test_another_webhooks_deliveries_are_not_listed(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        tasks = await register(client, board, receiver.url, ["task.created"])
        comments = await register(client, board, receiver.url, ["comment.created"])
        await delivered_tasks(client, board, deliver, "Only for tasks")
        assert len(await deliveries(client, board.owner, tasks)) == 1
        assert await deliveries(client, board.owner, comments) == []


class TestGet:
    async def test_an_outsider_is_404(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.created"])
        await delivered_tasks(client, board, deliver, "T")
        (one,) = await deliveries(client, board.owner, hook)
        outsider = await make_user(client)
        r = await client.get(f"{log_url(hook)}/{one['id']}", headers=outsider.headers)
        assert r.status_code == 404

    async def test_a_member_is_403(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.created"])
        await delivered_tasks(client, board, deliver, "T")
        (one,) = await deliveries(client, board.owner, hook)
        r = await client.get(f"{log_url(hook)}/{one['id']}", headers=board.member.headers)
        assert r.status_code == 403

    async def test_shows_the_request_as_sent(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.created"])
        await delivered_tasks(client, board, deliver, "T")
        (listed,) = await deliveries(client, board.owner, hook)
        one = await delivery(client, board.owner, hook, listed["id"])
        got = receiver.received[0]
        for name in ("webhook-id", "webhook-timestamp", "webhook-signature", "content-type"):
            assert one["request_headers"][name] == got.headers[name]
        assert one["payload"] == verified(hook["secret"], got)
        assert {k: v for k, v in one.items() if k not in ("request_headers", "payload")} == listed

    async def test_a_delivery_of_another_webhook_is_404(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        first = await register(client, board, receiver.url, ["task.created"])
        second = await register(client, board, receiver.url, ["comment.created"])
        await delivered_tasks(client, board, deliver, "T")
        (one,) = await deliveries(client, board.owner, first)
        r = await client.get(f"{log_url(second)}/{one['id']}", headers=board.owner.headers)
        assert r.status_code == 404


class TestRedeliver:
    async def test_an_outsider_is_404(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.created"])
        await delivered_tasks(client, board, deliver, "T")
        (one,) = await deliveries(client, board.owner, hook)
        outsider = await make_user(client)
        r = await client.post(f"{log_url(hook)}/{one['id']}/redeliver", headers=outsider.headers)
        assert r.status_code == 404

    async def test_a_member_is_403(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.created"])
        await delivered_tasks(client, board, deliver, "T")
        (one,) = await deliveries(client, board.owner, hook)
        r = await client.post(
            f"{log_url(hook)}/{one['id']}/redeliver", headers=board.member.headers
        )
        assert r.status_code == 403
        await deliver()
        assert len(receiver.received) == 1

    async def test_sends_the_message_again_as_a_new_manual_delivery(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.created"])
        await delivered_tasks(client, board, deliver, "Again")
        (original,) = await deliveries(client, board.owner, hook)
        again = await redeliver(client, board, hook, original["id"])
        assert again["id"] != original["id"]
        assert again["manual"] is True
        assert again["message_id"] == original["message_id"]
        assert again["event_seq"] == original["event_seq"]
        assert again["status"] == "pending"
        await deliver()
        assert len(receiver.received) == 2
        first, second = receiver.received
        assert second.headers["webhook-id"] == first.headers["webhook-id"]
        assert verified(hook["secret"], second) == body(first)
        newest, oldest = await deliveries(client, board.owner, hook)
        assert (newest["id"], newest["status"], newest["manual"]) == (
            again["id"],
            "delivered",
            True,
        )
        assert (oldest["id"], oldest["status"]) == (original["id"], "delivered")

    async def test_a_delivery_of_another_webhook_is_404(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        first = await register(client, board, receiver.url, ["task.created"])
        second = await register(client, board, receiver.url, ["comment.created"])
        await delivered_tasks(client, board, deliver, "T")
        (one,) = await deliveries(client, board.owner, first)
        r = await client.post(
            f"{log_url(second)}/{one['id']}/redeliver", headers=board.owner.headers
        )
        assert r.status_code == 404


class TestReplay:
    async def test_an_outsider_is_404(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        hook = await register(client, board, receiver.url)
        outsider = await make_user(client)
        r = await client.post(
            f"/api/v1/webhooks/{hook['id']}/replay",
            json={"since": "2026-01-01T00:00:00Z", "until": "2026-01-02T00:00:00Z"},
            headers=outsider.headers,
        )
        assert r.status_code == 404

    async def test_a_member_is_403(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        hook = await register(client, board, receiver.url)
        r = await client.post(
            f"/api/v1/webhooks/{hook['id']}/replay",
            json={"since": "2026-01-01T00:00:00Z", "until": "2026-01-02T00:00:00Z"},
            headers=board.member.headers,
        )
        assert r.status_code == 403

    async def test_resends_the_failed_ones_of_the_window(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.created"])
        before = await failed_with_410(client, board, receiver, deliver, hook, "Before")
        inside = await failed_with_410(client, board, receiver, deliver, hook, "Inside")
        await delivered_tasks(client, board, deliver, "Fine")
        after = await failed_with_410(client, board, receiver, deliver, hook, "After")
        since = moment(before["created_at"]) + timedelta(microseconds=1)
        until = moment(after["created_at"])  # until is not included
        r = await replay(client, board, hook, since.isoformat(), until.isoformat())
        assert expect(r, 202) == {"queued": 1}
        sent = len(receiver.received)
        await deliver()
        assert len(receiver.received) == sent + 1
        again = receiver.received[-1]
        assert again.headers["webhook-id"] == inside["message_id"]
        assert verified(hook["secret"], again)["data"]["entity"]["title"] == "Inside"
        newest = (await deliveries(client, board.owner, hook))[0]
        assert (newest["manual"], newest["status"], newest["message_id"]) == (
            True,
            "delivered",
            inside["message_id"],
        )

    async def test_a_window_in_another_zone_means_the_same_instants(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.created"])
        gone = await failed_with_410(client, board, receiver, deliver, hook, "Gone")
        at = moment(gone["created_at"])
        zone = timezone(timedelta(hours=5, minutes=30))
        since = (at - timedelta(seconds=1)).astimezone(zone)
        until = (at + timedelta(seconds=1)).astimezone(zone)
        r = await replay(client, board, hook, since.isoformat(), until.isoformat())
        assert expect(r, 202) == {"queued": 1}
        early = (at - timedelta(hours=1)).astimezone(zone)
        r = await replay(client, board, hook, early.isoformat(), since.isoformat())
        assert expect(r, 202) == {"queued": 0}

    async def test_a_window_with_nothing_failed_queues_nothing(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.created"])
        await delivered_tasks(client, board, deliver, "Fine")
        (fine,) = await deliveries(client, board.owner, hook)
        at = moment(fine["created_at"])
        r = await replay(
            client,
            board,
            hook,
            (at - timedelta(hours=1)).isoformat(),
            (at + timedelta(hours=1)).isoformat(),
        )
        assert expect(r, 202) == {"queued": 0}
        await deliver()
        assert len(receiver.received) == 1

    async def test_until_not_after_since_is_422(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        hook = await register(client, board, receiver.url)
        for until in ("2026-01-01T00:00:00Z", "2025-12-31T00:00:00Z"):
            r = await replay(client, board, hook, "2026-01-01T00:00:00Z", until)
            assert r.status_code == 422
            assert [e["field"] for e in r.json()["errors"]] == ["until"]

    async def test_a_time_without_its_zone_is_422(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        hook = await register(client, board, receiver.url)
        r = await replay(client, board, hook, "2026-01-01T00:00:00", "2026-01-02T00:00:00Z")
        assert r.status_code == 422


class TestPing:
    async def test_anonymous_is_401(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        hook = await register(client, board, receiver.url)
        assert (await client.post(f"{hook_url(hook)}/test")).status_code == 401

    async def test_an_outsider_is_404(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        hook = await register(client, board, receiver.url)
        outsider = await make_user(client)
        r = await client.post(f"{hook_url(hook)}/test", headers=outsider.headers)
        assert r.status_code == 404

    async def test_a_member_is_403(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url)
        r = await client.post(f"{hook_url(hook)}/test", headers=board.member.headers)
        assert r.status_code == 403
        await deliver()
        assert receiver.received == []

    async def test_sends_a_signed_ping(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["comment.created"])
        queued = expect(
            await client.post(f"{hook_url(hook)}/test", headers=board.owner.headers), 202
        )
        assert (queued["event_type"], queued["manual"], queued["status"]) == (
            "ping",
            True,
            "pending",
        )
        assert queued["event_seq"] is None
        await deliver()
        assert len(receiver.received) == 1
        ping = verified(hook["secret"], receiver.received[0])
        assert ping["type"] == "ping"
        assert ping["data"]["webhook_id"] == hook["id"]
        assert ping["data"]["workspace_id"] == board.workspace["id"]
        assert receiver.received[0].headers["webhook-id"] == queued["message_id"]
        (logged,) = await deliveries(client, board.owner, hook)
        assert (logged["id"], logged["status"]) == (queued["id"], "delivered")
