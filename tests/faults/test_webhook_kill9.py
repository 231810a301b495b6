"""kill -9 of a real `tasklane serve` while its worker is in the middle of a webhook delivery:
after a restart on the same database every event reaches the receiver, in event order, none
lost. At least once: the message the kill interrupted may come again, nothing else may.

The receiver is a real HTTP server on 127.0.0.1 in this process. It answers slowly until the
kill (so there is a request in flight to interrupt, and messages queued behind it), then at
once. It drops repeats by `webhook-id`, as the Standard Webhooks specification asks receivers
to, and checks each signature.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook as Verifier

from tasklane.db import Database
from tasklane.models import Job, Webhook, WebhookDelivery
from tasklane.webhooks.sender import SEND_JOB
from tests.conftest import make_settings
from tests.faults.live import LiveServer, Team, make_team, server_env, wait_until
from tests.faults.receiver import Arrival, Receiver, receiving

TASKS = 10
SLOW_SECONDS = 2.0
"""How long the receiver takes to answer each request until the kill."""
JOB_LEASE_SECONDS = 5
"""The smallest the settings allow: a dead worker's job is claimed again after this."""
WEBHOOK_TIMEOUT_SECONDS = 5
"""Well above SLOW_SECONDS: no attempt before the kill times out."""
HOLD_SECONDS = max(JOB_LEASE_SECONDS, 2 * WEBHOOK_TIMEOUT_SECONDS)
"""How long a sender's hold on a webhook (`sending_until`) lasts after its last attempt
(tasklane.webhooks.sender._lease): a dead worker's hold keeps the queue waiting that long."""
DELIVERED_TIMEOUT = HOLD_SECONDS + JOB_LEASE_SECONDS + 20
"""After the restart, everything must have arrived within this; more is a stall."""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """Answers after SLOW_SECONDS until `fast` is set."""
    with receiving(SLOW_SECONDS) as receiver:
        yield receiver


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.request.url}: {response.text}"
    return response.json()


def deliveries(c: httpx.Client, team: Team, hook_id: str) -> list[dict[str, Any]]:
    """The webhook's whole log, oldest first (it fits in one page)."""
    page = ok(
        c.get(f"/api/v1/webhooks/{hook_id}/deliveries", params={"limit": 200}, headers=team.headers)
    )
    assert page.get("next_cursor") is None
    return list(reversed(page["items"]))


@dataclass
class Stored:
    """The webhook's hold, its send jobs and its deliveries, as the database has them."""

    holds: list[tuple[Any, ...]]
    jobs: list[tuple[Any, ...]]
    deliveries: list[tuple[Any, ...]]

    def status(self, message_id: str) -> str:
        return next(str(d[2]) for d in self.deliveries if d[1] == message_id)

    def __str__(self) -> str:
        lines = [f"webhook hold (sending_by, sending_until): {self.holds}"]
        lines += ["send jobs (status, attempts, run_at, last_error):"]
        lines += [f"  {j}" for j in self.jobs]
        lines += ["deliveries (seq, message, status, attempts, error):"]
        lines += [f"  {d}" for d in self.deliveries]
        return "\n".join(lines)


def stored(database_url: str, data_dir: Path) -> Stored:
    async def read() -> Stored:
        db = Database(make_settings(database_url, data_dir))
        try:
            async with db.transaction(write=False) as s:
                holds = await s.execute(select(Webhook.sending_by, Webhook.sending_until))
                jobs = await s.execute(
                    select(Job.status, Job.attempts, Job.run_at, Job.last_error)
                    .where(Job.kind == SEND_JOB)
                    .order_by(Job.created_at)
                )
                rows = await s.execute(
                    select(WebhookDelivery.event_seq, WebhookDelivery.message_id,
                           WebhookDelivery.status, WebhookDelivery.attempts, WebhookDelivery.error)
                    .order_by(WebhookDelivery.id)
                )  # fmt: skip
                return Stored(
                    [tuple(r) for r in holds], [tuple(r) for r in jobs], [tuple(r) for r in rows]
                )
        finally:
            await db.dispose()

    return asyncio.run(read())


def test_kill_9_mid_delivery_loses_no_webhook(
    database_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    data_dir = tmp_path / "data"
    env = server_env(
        data_dir,
        database_url,
        rate_limit_enabled="false",
        webhook_allow_private="true",
        webhook_retry_seconds=1,
        job_lease_seconds=JOB_LEASE_SECONDS,
        webhook_timeout_seconds=WEBHOOK_TIMEOUT_SECONDS,
        job_backoff_seconds=1,
    )
    server = LiveServer(env=env, cwd=tmp_path)
    try:
        server.start()
        team = make_team(server.url)
        with httpx.Client(base_url=server.url, headers=team.headers, timeout=30) as c:
            hook = ok(
                c.post(
                    f"/api/v1/workspaces/{team.workspace_id}/webhooks",
                    json={"url": receiver.url, "event_types": ["task.created"]},
                ),
                201,
            )
            task_ids = [
                ok(
                    c.post(f"/api/v1/projects/{team.project_id}/tasks", json={"title": f"t{n}"}),
                    201,
                )["id"]
                for n in range(TASKS)
            ]

            # Kill while a message is in flight, with every event's message queued.
            def mid_delivery() -> bool:
                return receiver.in_flight > 0 and len(deliveries(c, team, hook["id"])) == TASKS

            wait_until(mid_delivery, timeout=30, interval=0.05)
            queued = deliveries(c, team, hook["id"])
        server.kill()  # SIGKILL: no shutdown code runs
        assert server.proc is not None
        assert server.proc.returncode == -9
        before = receiver.snapshot()
        receiver.fast.set()
        seq_of = {d["message_id"]: d["event_seq"] for d in queued}
        assert len(seq_of) == TASKS
        assert [a.webhook_id for a in before] == [d["message_id"] for d in queued][: len(before)]
        assert len(before) < TASKS, "everything was sent before the kill: the test proved nothing"

        # The sender sends one message at a time and records each answer before the next: at
        # the kill, the last one sent was in flight (or answered, but not yet recorded).
        at_kill = stored(database_url, data_dir)
        interrupted = before[-1].webhook_id
        assert at_kill.status(interrupted) == "pending", (
            f"the kill interrupted no delivery: the test proved nothing\n{at_kill}"
        )
        for arrival in before[:-1]:
            assert at_kill.status(arrival.webhook_id) == "delivered", at_kill

        server.start()
        try:
            wait_until(lambda: receiver.seen() >= seq_of.keys(), timeout=DELIVERED_TIMEOUT)
        except AssertionError:
            missing = sorted(seq_of[m] for m in seq_of.keys() - receiver.seen())
            pytest.fail(
                f"events {missing} never reached the receiver after the restart "
                f"({DELIVERED_TIMEOUT}s):\n{stored(database_url, data_dir)}"
            )
        with httpx.Client(base_url=server.url, headers=team.headers, timeout=30) as c:

            def all_delivered() -> list[dict[str, Any]] | None:
                log = deliveries(c, team, hook["id"])
                return log if all(d["status"] == "delivered" for d in log) else None

            log = wait_until(all_delivered, timeout=15)
        assert [d["message_id"] for d in log] == [d["message_id"] for d in queued]

        # What a receiver dropping repeats by webhook-id kept: each event once, in order.
        arrivals = receiver.snapshot()
        first: dict[str, Arrival] = {}
        for arrival in arrivals:
            first.setdefault(arrival.webhook_id, arrival)
        assert set(first) == set(seq_of), f"unexpected messages: {set(first) - set(seq_of)}"
        order = [seq_of[m] for m in first]
        assert order == sorted(order), f"events arrived out of order: {order}"
        bodies = [Verifier(hook["secret"]).verify(a.body, a.headers) for a in first.values()]
        assert [b["type"] for b in bodies] == ["task.created"] * TASKS
        assert [b["data"]["entity"]["id"] for b in bodies] == task_ids
        assert [b["data"]["seq"] for b in bodies] == order

        # Only the message the kill interrupted may have come twice.
        repeats = {a.webhook_id for a in arrivals if a is not first[a.webhook_id]}
        assert repeats <= {interrupted}, (
            f"delivered messages sent again: {sorted(seq_of[m] for m in repeats)}"
        )
    finally:
        server.stop()
