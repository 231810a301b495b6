"""Delivering events to a real receiver on loopback: the signed body, which webhooks get which
events, one message per event and webhook, order (also with several workers), retries with
growing delays (the clock moved, not slept), 410, giving up, secret rotation, and receivers
that answer oddly or slowly."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from standardwebhooks.webhooks import WebhookVerificationError

from tasklane.kit.clock import frozen, utcnow
from tasklane.kit.ids import new_id
from tasklane.models import Event, Webhook
from tasklane.webhooks.consumer import WebhookConsumer
from tasklane.webhooks.service import new_secret
from tasklane.worker.runner import JobRunner
from tests.factories import (
    Board,
    add_member,
    expect,
    make_project,
    make_task,
    make_user,
    make_workspace,
)
from tests.webhooks.conftest import Answer, Deliver, Receiver
from tests.webhooks.helpers import (
    body,
    deliveries,
    get_hook,
    hook_url,
    just_after,
    moment,
    once_each,
    patch_hook,
    register,
    types,
    verified,
)


async def comment(
    client: httpx.AsyncClient, board: Board, task: dict[str, Any], text: str = "Looks good"
) -> dict[str, Any]:
    return expect(
        await client.post(
            f"/api/v1/tasks/{task['id']}/comments", json={"body": text}, headers=board.owner.headers
        ),
        201,
    )


async def rename(
    client: httpx.AsyncClient, board: Board, task: dict[str, Any], title: str
) -> dict[str, Any]:
    return expect(
        await client.patch(
            f"/api/v1/tasks/{task['id']}", json={"title": title}, headers=board.owner.headers
        ),
        200,
    )


async def only(client: httpx.AsyncClient, board: Board, hook: dict[str, Any]) -> dict[str, Any]:
    """The webhook's one delivery."""
    found = await deliveries(client, board.owner, hook)
    assert len(found) == 1, found
    return found[0]


class TestPayload:
    async def test_the_body_verifies_and_carries_the_event_and_the_task(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.created"])
        task = await make_task(client, board.owner, board.pid, "Ship the webhooks")
        await deliver()
        assert len(receiver.received) == 1
        got = receiver.received[0]
        assert got.path == "/hook"
        payload = verified(hook["secret"], got)
        assert set(payload) == {"type", "timestamp", "data"}
        assert payload["type"] == "task.created"
        assert abs(moment(payload["timestamp"]) - utcnow()) < timedelta(minutes=1)
        data = payload["data"]
        assert isinstance(data["seq"], int)
        assert data["type"] == "task.created"
        assert data["actor_id"] == board.owner.id
        assert data["workspace_id"] == board.workspace["id"]
        assert data["project_id"] == board.pid
        assert data["changes"]["title"] == {"from": None, "to": "Ship the webhooks"}
        shown = expect(
            await client.get(f"/api/v1/tasks/{task['id']}", headers=board.owner.headers), 200
        )
        assert data["entity"] == shown

    async def test_the_headers_follow_standard_webhooks(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        await register(client, board, receiver.url, ["task.created"])
        await make_task(client, board.owner, board.pid)
        await deliver()
        headers = receiver.received[0].headers
        assert headers["content-type"] == "application/json"
        assert headers["webhook-id"].startswith("msg_")
        assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
        assert headers["webhook-signature"].startswith("v1,")
        assert headers["user-agent"].startswith("Tasklane-Webhooks/")
        assert "authorization" not in headers

    async def test_another_secret_does_not_verify(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        await register(client, board, receiver.url, ["task.created"])
        other = await register(client, board, receiver.url, ["comment.created"])
        await make_task(client, board.owner, board.pid)
        await deliver()
        with pytest.raises(WebhookVerificationError):
            verified(other["secret"], receiver.received[0])

    async def test_a_comment_carries_the_comment(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        task = await make_task(client, board.owner, board.pid)
        hook = await register(client, board, receiver.url, ["comment.created"])
        made = await comment(client, board, task, "Ship **it**")
        await deliver()
        assert len(receiver.received) == 1
        payload = verified(hook["secret"], receiver.received[0])
        assert payload["type"] == "comment.created"
        assert payload["data"]["actor_id"] == board.owner.id
        assert payload["data"]["project_id"] == board.pid
        shown = expect(
            await client.get(f"/api/v1/comments/{made['id']}", headers=board.owner.headers), 200
        )
        assert payload["data"]["entity"] == shown

    async def test_an_update_carries_its_changes(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        task = await make_task(client, board.owner, board.pid, "Old")
        hook = await register(client, board, receiver.url, ["task.updated"])
        await rename(client, board, task, "New")
        await deliver()
        payload = verified(hook["secret"], receiver.received[0])
        assert payload["data"]["changes"]["title"] == {"from": "Old", "to": "New"}
        assert payload["data"]["entity"]["title"] == "New"

    async def test_a_deleted_task_is_named_without_an_entity(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        task = await make_task(client, board.owner, board.pid)
        hook = await register(client, board, receiver.url, ["task.deleted"])
        expect(await client.delete(f"/api/v1/tasks/{task['id']}", headers=board.owner.headers), 204)
        await deliver()
        payload = verified(hook["secret"], receiver.received[0])
        assert payload["type"] == "task.deleted"
        assert payload["data"]["task_id"] == task["id"]
        assert payload["data"]["entity"] is None

    async def test_the_log_records_the_success(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.created"])
        await make_task(client, board.owner, board.pid)
        await deliver()
        logged = await only(client, board, hook)
        assert logged["status"] == "delivered"
        assert logged["attempts"] == 1
        assert logged["response_status"] == 200
        assert logged["message_id"] == receiver.received[0].headers["webhook-id"]
        assert logged["manual"] is False
        assert logged["delivered_at"] is not None
        assert logged["next_attempt_at"] is None


class TestFilter:
    async def test_a_family_gets_its_types_only(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        await register(client, board, receiver.url, ["task.*"])
        task = await make_task(client, board.owner, board.pid)
        await rename(client, board, task, "Renamed")
        await comment(client, board, task)
        await deliver()
        assert types(receiver.received) == ["task.created", "task.updated"]

    async def test_an_exact_type_gets_that_type_only(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        await register(client, board, receiver.url, ["comment.created"])
        task = await make_task(client, board.owner, board.pid)
        await rename(client, board, task, "Renamed")
        await comment(client, board, task)
        await deliver()
        assert types(receiver.received) == ["comment.created"]

    async def test_star_gets_every_type(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        await register(client, board, receiver.url, ["*"])
        task = await make_task(client, board.owner, board.pid)
        await rename(client, board, task, "Renamed")
        await comment(client, board, task)
        await make_project(client, board.owner, board.workspace["id"], key="OPS", name="Ops")
        await deliver()
        got = types(receiver.received)
        assert {"task.created", "task.updated", "comment.created", "project.created"} <= set(got)

    async def test_a_project_webhook_gets_only_its_projects_events(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        ops = await make_project(client, board.owner, board.workspace["id"], key="OPS", name="Ops")
        await deliver()  # OPS's own project.created, before the webhook exists
        await register(client, board, receiver.url, ["*"], project_id=ops["id"])
        await make_task(client, board.owner, board.pid, "In ENG")
        await make_task(client, board.owner, ops["id"], "In OPS")
        await make_project(client, board.owner, board.workspace["id"], key="DOC", name="Docs")
        await deliver()
        assert types(receiver.received) == ["task.created"]
        assert body(receiver.received[0])["data"]["entity"]["title"] == "In OPS"

    async def test_another_workspaces_events_never_reach_it(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        await register(client, board, receiver.url, ["*"])
        stranger = await make_user(client)
        theirs = await make_workspace(client, stranger, "Elsewhere")
        project = await make_project(client, stranger, theirs["id"], key="OTH")
        await make_task(client, stranger, project["id"], "Theirs")
        await deliver()
        assert receiver.received == []

    async def test_a_disabled_webhook_gets_nothing(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["*"])
        await patch_hook(client, board.owner, hook, enabled=False)
        await make_task(client, board.owner, board.pid)
        await deliver()
        assert receiver.received == []
        assert await deliveries(client, board.owner, hook) == []

    async def test_each_matching_webhook_gets_its_own_signed_copy(
        self,
        client: httpx.AsyncClient,
        board: Board,
        receiver: Receiver,
        other_receiver: Receiver,
        deliver: Deliver,
    ) -> None:
        first = await register(client, board, receiver.url, ["task.*"])
        second = await register(client, board, other_receiver.url, ["*"])
        await make_task(client, board.owner, board.pid)
        await deliver()
        assert verified(first["secret"], receiver.received[0])["type"] == "task.created"
        assert verified(second["secret"], other_receiver.received[0])["type"] == "task.created"
        ids = {receiver.received[0].headers["webhook-id"]}
        ids.add(other_receiver.received[0].headers["webhook-id"])
        assert len(ids) == 2


class TestConsumer:
    async def test_an_event_handed_over_twice_is_sent_once(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        board: Board,
        receiver: Receiver,
        deliver: Deliver,
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.created"])
        task = await make_task(client, board.owner, board.pid)
        await deliver()
        db = app.state.runtime.db
        async with db.transaction(write=False) as session:
            events = list(
                await session.scalars(
                    select(Event).where(Event.task_id == UUID(task["id"])).order_by(Event.seq)
                )
            )
        # The dispatcher hands a batch over again after a crash before it saved its position.
        await WebhookConsumer(db).handle(events)
        await deliver()
        assert len(receiver.received) == 1
        assert len(await deliveries(client, board.owner, hook)) == 1

    async def test_events_from_before_it_was_registered_are_not_sent(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        # The dispatcher runs a little behind the API (far behind while a worker is down):
        # an event committed before the webhook existed is not the webhook's to send.
        await make_task(client, board.owner, board.pid, "Before")
        hook = await register(client, board, receiver.url, ["task.created"])
        await make_task(client, board.owner, board.pid, "After")
        await deliver()
        titles = [body(r)["data"]["entity"]["title"] for r in receiver.received]
        assert titles == ["After"]
        assert len(await deliveries(client, board.owner, hook)) == 1


class TestMessageIds:
    async def test_two_webhooks_made_in_the_same_millisecond_get_distinct_webhook_ids(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        board: Board,
        receiver: Receiver,
        deliver: Deliver,
    ) -> None:
        # Webhook ids are UUIDv7: their first 48 bits are the millisecond they were made in.
        # Two made in the same millisecond (two admins, a script) differ only after those.
        first = new_id()
        second = UUID(hex=first.hex[:20] + f"{(int(first.hex[20:], 16) + 1) % 16**12:012x}")
        now = utcnow()
        async with app.state.runtime.db.transaction() as session:
            for hook_id in (first, second):
                session.add(
                    Webhook(
                        id=hook_id,
                        workspace_id=UUID(board.workspace["id"]),
                        url=receiver.url,
                        event_types=["task.created"],
                        secret=new_secret(),
                        created_at=now,
                        updated_at=now,
                    )
                )
        await make_task(client, board.owner, board.pid)
        await deliver()
        assert len(receiver.received) == 2
        # One event to two webhooks is two messages: a receiver that drops repeats by
        # webhook-id must get both.
        assert len(once_each(receiver.received)) == 2


class TestOrder:
    async def test_several_events_arrive_in_seq_order_once_each(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.*"])
        task = await make_task(client, board.owner, board.pid, "v0")
        for n in range(1, 5):
            await rename(client, board, task, f"v{n}")
        await deliver()
        seqs = [body(r)["data"]["seq"] for r in receiver.received]
        assert len(seqs) == 5
        assert seqs == sorted(seqs)
        assert [body(r)["data"]["changes"]["title"]["to"] for r in receiver.received] == [
            "v0",
            "v1",
            "v2",
            "v3",
            "v4",
        ]
        assert all(d["status"] == "delivered" for d in await deliveries(client, board.owner, hook))
        await deliver()
        assert len(receiver.received) == 5


class TestConcurrency:
    async def test_two_workers_send_one_webhooks_messages_one_at_a_time_in_order(
        self, app: FastAPI, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        hook = await register(client, board, receiver.url, ["*"])
        receiver.answer_with(*[Answer(200, delay=0.05)] * 6)
        queued = [
            expect(await client.post(f"{hook_url(hook)}/test", headers=board.owner.headers), 202)
            for _ in range(6)
        ]  # six messages, each with its own job
        runtime = app.state.runtime
        workers = [JobRunner(runtime.settings, runtime.db, name=f"worker-{n}") for n in range(3)]
        await asyncio.gather(*(w.run_due() for w in workers))
        assert receiver.most_in_flight == 1
        assert [r.headers["webhook-id"] for r in receiver.received] == [
            q["message_id"] for q in queued
        ]
        assert all(d["status"] == "delivered" for d in await deliveries(client, board.owner, hook))


class TestRetry:
    async def test_a_failed_attempt_is_retried_when_its_delay_has_passed(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.created"])
        receiver.answer(500)
        await make_task(client, board.owner, board.pid)
        await deliver()
        failed = await only(client, board, hook)
        assert failed["status"] == "pending"
        assert failed["attempts"] == 1
        assert failed["response_status"] == 500
        with frozen(just_after(failed["next_attempt_at"])):
            await deliver()
        assert [r.status for r in receiver.received] == [500, 200]
        done = await only(client, board, hook)
        assert done["status"] == "delivered"
        assert done["attempts"] == 2

    async def test_nothing_is_sent_before_the_delay_has_passed(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.created"])
        receiver.answer(500)
        await make_task(client, board.owner, board.pid)
        await deliver()
        failed = await only(client, board, hook)
        with frozen(moment(failed["next_attempt_at"]) - timedelta(seconds=1)):
            await deliver()
        assert len(receiver.received) == 1
        assert (await only(client, board, hook))["attempts"] == 1

    async def test_delays_grow_then_it_succeeds_with_the_same_webhook_id(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.created"])
        receiver.answer(500, 503)
        await make_task(client, board.owner, board.pid)
        await deliver()
        delays = []
        for _ in range(2):
            pending = await only(client, board, hook)
            assert pending["status"] == "pending"
            delays.append(moment(pending["next_attempt_at"]) - moment(pending["last_attempt_at"]))
            with frozen(just_after(pending["next_attempt_at"])):
                await deliver()
        # webhook_retry_seconds = 10: the first delay is 5-10 s, the second 10-20 s.
        assert timedelta(seconds=5) <= delays[0] <= timedelta(seconds=10)
        assert timedelta(seconds=10) <= delays[1] <= timedelta(seconds=20)
        assert delays[0] < delays[1]
        assert [r.status for r in receiver.received] == [500, 503, 200]
        assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
        for got in receiver.received:
            verified(hook["secret"], got)
        assert [p["type"] for p in once_each(receiver.received)] == ["task.created"]
        done = await only(client, board, hook)
        assert done["status"] == "delivered"
        assert done["attempts"] == 3

    async def test_later_events_wait_behind_a_failing_one(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.*"])
        receiver.answer(500)
        task = await make_task(client, board.owner, board.pid, "v0")
        await deliver()
        await rename(client, board, task, "v1")
        await rename(client, board, task, "v2")
        await deliver()
        assert len(receiver.received) == 1  # v1 and v2 wait
        log = await deliveries(client, board.owner, hook)
        assert [(d["status"], d["attempts"]) for d in log] == [
            ("pending", 0),
            ("pending", 0),
            ("pending", 1),
        ]
        with frozen(just_after(log[-1]["next_attempt_at"])):
            await deliver()
        accepted = once_each(receiver.received)
        assert [p["data"]["changes"]["title"]["to"] for p in accepted] == ["v0", "v1", "v2"]
        seqs = [p["data"]["seq"] for p in accepted]
        assert seqs == sorted(seqs)
        assert all(d["status"] == "delivered" for d in await deliveries(client, board.owner, hook))

    async def test_a_receiver_that_is_down_is_retried_until_it_is_back(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.created"])
        receiver.stop()
        await make_task(client, board.owner, board.pid)
        await deliver()
        down = await only(client, board, hook)
        assert down["status"] == "pending"
        assert down["response_status"] is None
        assert "Connect" in down["error"]
        receiver.restart()
        with frozen(just_after(down["next_attempt_at"])):
            await deliver()
        assert len(receiver.received) == 1
        verified(hook["secret"], receiver.received[0])
        back = await only(client, board, hook)
        assert back["status"] == "delivered"
        assert back["attempts"] == 2
        assert back["error"] is None


class TestGone:
    async def test_410_disables_the_webhook_at_once(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.*"])
        receiver.answer(410)
        task = await make_task(client, board.owner, board.pid)
        await rename(client, board, task, "Waits")
        await deliver()
        assert len(receiver.received) == 1
        shown = await get_hook(client, board.owner, hook)
        assert shown["enabled"] is False
        assert "410" in shown["disabled_reason"]
        newest, gone = await deliveries(client, board.owner, hook)
        assert gone["status"] == "failed"
        assert gone["response_status"] == 410
        assert newest["status"] == "pending"
        inbox = expect(await client.get("/api/v1/notifications", headers=board.owner.headers), 200)
        assert [n["type"] for n in inbox["items"]].count("webhook_disabled") == 1
        await make_task(client, board.owner, board.pid, "While off")
        await deliver()
        assert len(receiver.received) == 1

    async def test_enabling_it_again_sends_what_waited(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.*"])
        receiver.answer(410)
        task = await make_task(client, board.owner, board.pid)
        await rename(client, board, task, "Waited")
        await deliver()
        await patch_hook(client, board.owner, hook, enabled=True)
        await deliver()
        assert [r.status for r in receiver.received] == [410, 200]
        waited = verified(hook["secret"], receiver.received[1])
        assert waited["data"]["changes"]["title"]["to"] == "Waited"
        newest, gone = await deliveries(client, board.owner, hook)
        assert (newest["status"], gone["status"]) == ("delivered", "failed")


class TestGiveUp:
    async def test_failing_past_the_give_up_hours_fails_and_disables_and_tells_admins(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        admin = await make_user(client)
        await add_member(client, board.owner, board.workspace["id"], admin, role="admin")
        hook = await register(client, board, receiver.url, ["task.created"])
        receiver.answer(*[500] * 5)
        await make_task(client, board.owner, board.pid)
        await deliver()
        first = await only(client, board, hook)
        with frozen(moment(first["first_attempt_at"]) + timedelta(hours=24, seconds=1)):
            await deliver()
        assert len(receiver.received) == 2
        given_up = await only(client, board, hook)
        assert given_up["status"] == "failed"
        assert given_up["attempts"] == 2
        shown = await get_hook(client, board.owner, hook)
        assert shown["enabled"] is False
        assert "24 hours" in shown["disabled_reason"]
        for who in (board.owner, admin):
            inbox = expect(await client.get("/api/v1/notifications", headers=who.headers), 200)
            told = [n for n in inbox["items"] if n["type"] == "webhook_disabled"]
            assert len(told) == 1, inbox
            assert receiver.url in told[0]["summary"]
            assert told[0]["workspace_id"] == board.workspace["id"]
        inbox = expect(await client.get("/api/v1/notifications", headers=board.member.headers), 200)
        assert [n for n in inbox["items"] if n["type"] == "webhook_disabled"] == []

    async def test_failing_just_short_of_the_give_up_hours_keeps_trying(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.created"])
        receiver.answer(500, 500)
        await make_task(client, board.owner, board.pid)
        await deliver()
        first = await only(client, board, hook)
        with frozen(moment(first["first_attempt_at"]) + timedelta(hours=23, minutes=59)):
            await deliver()
        assert len(receiver.received) == 2
        still = await only(client, board, hook)
        assert still["status"] == "pending"
        assert (await get_hook(client, board.owner, hook))["enabled"] is True

    async def test_a_long_error_from_the_receiver_still_gives_up(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        # A receiver that answers garbage: httpx's error quotes it (about 960 characters).
        garbage = Answer(raw=b"HTTP/1.1 200 OK\r\nX-Bad" + b"x" * 900 + b"\r\n\r\n")
        hook = await register(client, board, receiver.url, ["task.created"])
        receiver.answer_with(garbage, garbage)
        await make_task(client, board.owner, board.pid)
        await deliver()
        first = await only(client, board, hook)
        assert "RemoteProtocolError" in first["error"]
        with frozen(moment(first["first_attempt_at"]) + timedelta(hours=24, seconds=1)):
            await deliver()
        assert len(receiver.received) == 2
        given_up = await only(client, board, hook)
        assert (given_up["status"], given_up["attempts"]) == ("failed", 2)
        shown = await get_hook(client, board.owner, hook)
        assert shown["enabled"] is False
        assert shown["disabled_reason"].startswith("Deliveries failed for 24 hours")

    async def test_what_waited_behind_is_sent_once_enabled_again(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.*"])
        receiver.answer(*[500] * 5)
        task = await make_task(client, board.owner, board.pid, "v0")
        await deliver()
        first = (await deliveries(client, board.owner, hook))[0]
        await rename(client, board, task, "v1")
        await deliver()
        with frozen(moment(first["first_attempt_at"]) + timedelta(hours=24, seconds=1)):
            await deliver()
        assert (await get_hook(client, board.owner, hook))["enabled"] is False
        receiver.answers.clear()
        await patch_hook(client, board.owner, hook, enabled=True)
        await deliver()
        accepted = once_each(receiver.received)
        assert [p["data"]["changes"]["title"]["to"] for p in accepted] == ["v1"]
        newest, oldest = await deliveries(client, board.owner, hook)
        assert (newest["status"], oldest["status"]) == ("delivered", "failed")


class TestRotation:
    async def test_the_next_delivery_verifies_with_the_new_secret_not_the_old(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.created"])
        await make_task(client, board.owner, board.pid, "Before")
        await deliver()
        verified(hook["secret"], receiver.received[0])
        rotated = expect(
            await client.post(f"{hook_url(hook)}/rotate-secret", headers=board.owner.headers), 200
        )
        await make_task(client, board.owner, board.pid, "After")
        await deliver()
        assert verified(rotated["secret"], receiver.received[1])["data"]["entity"]["title"] == (
            "After"
        )
        with pytest.raises(WebhookVerificationError):
            verified(hook["secret"], receiver.received[1])

    async def test_a_retry_after_rotating_is_signed_with_the_new_secret(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.created"])
        receiver.answer(500)
        await make_task(client, board.owner, board.pid)
        await deliver()
        verified(hook["secret"], receiver.received[0])
        rotated = expect(
            await client.post(f"{hook_url(hook)}/rotate-secret", headers=board.owner.headers), 200
        )
        pending = await only(client, board, hook)
        with frozen(just_after(pending["next_attempt_at"])):
            await deliver()
        assert len(receiver.received) == 2
        verified(rotated["secret"], receiver.received[1])
        with pytest.raises(WebhookVerificationError):
            verified(hook["secret"], receiver.received[1])


class TestAnswers:
    async def test_a_binary_answer_is_recorded_and_the_message_sent_once(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.created"])
        receiver.answer_with(
            Answer(200, {"content-type": "application/octet-stream"}, b"\x00\x01\xff")
        )
        await make_task(client, board.owner, board.pid)
        await deliver()
        with frozen(utcnow() + timedelta(minutes=10)):  # past any retry of the job
            await deliver()
        assert len(receiver.received) == 1
        done = await only(client, board, hook)
        assert done["status"] == "delivered"
        assert done["attempts"] == 1
        assert done["response_status"] == 200

    async def test_a_long_answer_is_kept_to_its_first_2000_characters(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.created"])
        receiver.answer_with(Answer(202, body=b"a" * 5000))
        await make_task(client, board.owner, board.pid)
        await deliver()
        done = await only(client, board, hook)
        assert done["status"] == "delivered"
        assert done["response_status"] == 202
        assert done["response_body"] == "a" * 2000

    async def test_a_redirect_is_a_failed_attempt(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.created"])
        receiver.answer(301, headers={"location": receiver.url + "/moved"})
        await make_task(client, board.owner, board.pid)
        await deliver()
        assert [r.path for r in receiver.received] == ["/hook"]
        pending = await only(client, board, hook)
        assert pending["status"] == "pending"
        assert pending["response_status"] == 301


class TestTimeouts:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {
            "webhook_allow_private": True,
            "webhook_retry_seconds": 10,
            "webhook_timeout_seconds": 0.3,
        }

    async def test_a_receiver_that_does_not_answer_in_time_is_retried(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.created"])
        receiver.answer_with(Answer(200, delay=0.6))
        await make_task(client, board.owner, board.pid)
        await deliver()
        slow = await only(client, board, hook)
        assert slow["status"] == "pending"
        assert slow["response_status"] is None
        assert "Timeout" in slow["error"]

    async def test_a_receiver_that_drips_its_answer_is_cut_off_at_the_timeout(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, deliver: Deliver
    ) -> None:
        # Each byte comes within the timeout, the whole answer takes 2 s: the timeout must
        # bound the attempt, or a receiver can hold a sender (and outlast its lease).
        hook = await register(client, board, receiver.url, ["task.created"])
        receiver.answer_with(Answer(200, body=b"x" * 20, drip=0.1))
        await make_task(client, board.owner, board.pid)
        await deliver()
        attempt = await only(client, board, hook)
        assert attempt["duration_ms"] < 1200  # 0.3 s, with room for a loaded machine
