"""The delivery log keeps finished deliveries for DELIVERY_RETENTION, pending ones for ever."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from tasklane.kit.clock import utcnow
from tasklane.models import WebhookDelivery
from tasklane.worker.housekeeping import DELIVERY_RETENTION, PURGE_DELIVERIES
from tasklane.worker.jobs import enqueue
from tasklane.worker.runner import JobRunner
from tests.factories import Board, expect, make_task
from tests.webhooks.conftest import Deliver, Receiver


async def test_old_finished_deliveries_are_purged_and_pending_ones_kept(
    app: FastAPI, client: httpx.AsyncClient, board: Board, deliver: Deliver, receiver: Receiver
) -> None:
    hook = expect(
        await client.post(
            f"/api/v1/workspaces/{board.workspace['id']}/webhooks",
            json={"url": receiver.url, "event_types": ["task.*"]},
            headers=board.owner.headers,
        ),
        201,
    )
    for title in ("Old", "Recent"):
        await make_task(client, board.owner, board.pid, title)
    receiver.answer(200, 200, 500)  # the third stays pending (a retry later)
    await make_task(client, board.owner, board.pid, "Waiting")
    await deliver()
    runtime = app.state.runtime
    async with runtime.db.transaction() as session:
        rows = list(
            await session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.webhook_id == UUID(hook["id"]))
                .order_by(WebhookDelivery.id)
            )
        )
        assert [r.status for r in rows] == ["delivered", "delivered", "pending"]
        long_ago = utcnow() - DELIVERY_RETENTION - timedelta(hours=1)
        old = [rows[0].id, rows[2].id]
        await session.execute(
            update(WebhookDelivery).where(WebhookDelivery.id.in_(old)).values(created_at=long_ago)
        )
        await enqueue(session, PURGE_DELIVERIES)
    assert await JobRunner(runtime.settings, runtime.db, name="purge").run_due() >= 1
    async with runtime.db.transaction(write=False) as session:
        left = list(
            await session.scalars(
                select(WebhookDelivery.id)
                .where(WebhookDelivery.webhook_id == UUID(hook["id"]))
                .order_by(WebhookDelivery.id)
            )
        )
    assert left == [rows[1].id, rows[2].id]
