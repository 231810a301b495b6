"""Delivering: each webhook's messages go one at a time, in order (a webhook's deliveries in
id order, which is event order), at least once, each signed per the Standard Webhooks
specification (`webhook-id`, `webhook-timestamp`, `webhook-signature`).

A job `webhooks.send` drains one webhook's queue. It first takes the webhook's lease
(`sending_by`/`sending_until`, compare-and-set), so that of several workers only one sends for
a webhook at a time; a worker that dies leaves the lease to expire. The first pending message
is sent; 2xx delivers it and the next one goes. Any other answer, a timeout, or a refused
address schedules a retry of the same message (the ones behind it wait: order holds) after a
delay that doubles each time, with jitter, up to an hour; a message still failing after
`webhook_give_up_hours` is given up and its webhook disabled, and the workspace's admins are
told. 410 Gone disables the webhook at once.

No request is made inside a database transaction: the lease says who sends, and each attempt
is recorded in its own short transaction afterwards.
"""

from __future__ import annotations

import asyncio
import random
import ssl
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from uuid import UUID

import certifi
import httpx
import orjson
import structlog
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks.webhooks import Webhook as Signer

from tasklane.authz.roles import WorkspaceRole
from tasklane.config import Settings
from tasklane.db import Database
from tasklane.kit.clock import utcnow
from tasklane.kit.ids import new_id
from tasklane.models import User, Webhook, WebhookDelivery, WorkspaceMember
from tasklane.notifications.delivery import Draft, deliver
from tasklane.notifications.fanout import announce
from tasklane.notifications.kinds import Kind
from tasklane.webhooks import targets
from tasklane.worker.jobs import JobContext, enqueue, job_kind

log = structlog.get_logger(__name__)

SEND_JOB = "webhooks.send"
MAX_BACKOFF_SECONDS = 3600.0
BODY_SNIPPET = 2000
READ_LIMIT = 64 * 1024
USER_AGENT = "Tasklane-Webhooks/1"
_RANDOM = random.Random()  # noqa: S311 - jitter, not security


# --- queueing (in the caller's transaction) ------------------------------------------------


async def wake_sender(session: AsyncSession, webhook_id: UUID, key: str | None = None) -> None:
    """Have a worker drain `webhook_id`'s queue (now)."""
    await enqueue(
        session,
        SEND_JOB,
        {"webhook_id": str(webhook_id)},
        unique_key=f"webhook:{webhook_id}:{key or new_id().hex}",
    )


async def queue_manual(
    session: AsyncSession,
    webhook: Webhook,
    message_id: str,
    event_type: str,
    event_seq: int | None,
    payload: dict[str, Any],
) -> WebhookDelivery:
    now = utcnow()
    delivery = WebhookDelivery(
        id=new_id(),
        webhook_id=webhook.id,
        message_id=message_id,
        event_seq=event_seq,
        event_type=event_type,
        payload=payload,
        manual=True,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        request_headers={},
    )
    session.add(delivery)
    await session.flush()
    await wake_sender(session, webhook.id, key=f"manual:{delivery.id}")
    return delivery


# --- the lease ------------------------------------------------------------------------------


def _lease(settings: Settings) -> timedelta:
    """As long as a job's (a dead worker's webhook is taken up again when its job is), and
    never shorter than two attempts, so a slow one in flight keeps it (it is renewed after
    each attempt)."""
    return timedelta(seconds=max(settings.job_lease_seconds, 2 * settings.webhook_timeout_seconds))


async def _take(settings: Settings, db: Database, webhook_id: UUID, me: str) -> bool:
    now = utcnow()
    async with db.transaction() as session:
        result = await session.execute(
            update(Webhook)
            .where(
                Webhook.id == webhook_id,
                Webhook.enabled,
                or_(
                    Webhook.sending_until.is_(None),
                    Webhook.sending_until < now,
                    Webhook.sending_by == me,
                ),
            )
            .values(sending_by=me, sending_until=now + _lease(settings))
            .execution_options(synchronize_session=False)
        )
    return bool(getattr(result, "rowcount", 0))


async def _give_back(db: Database, webhook_id: UUID, me: str) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(Webhook)
            .where(Webhook.id == webhook_id, Webhook.sending_by == me)
            .values(sending_by=None, sending_until=None)
            .execution_options(synchronize_session=False)
        )


# --- the job --------------------------------------------------------------------------------


@job_kind(SEND_JOB, max_attempts=20)
async def send_queue(ctx: JobContext, payload: dict[str, Any]) -> None:
    webhook_id = UUID(payload["webhook_id"])
    if not await _due_now(ctx.db, webhook_id):
        return  # sent already by another job, or waiting for its retry (a job is queued)
    me = f"{ctx.worker}:{ctx.job_id}"
    while await _take(ctx.settings, ctx.db, webhook_id, me):
        try:
            await _drain(ctx.settings, ctx.db, webhook_id, me)
        finally:
            await _give_back(ctx.db, webhook_id, me)
        # Messages queued while this worker held the lease had their jobs find it taken.
        if not await _due_now(ctx.db, webhook_id):
            return
    await _follow_holder(ctx.db, webhook_id)


async def _follow_holder(db: Database, webhook_id: UUID) -> None:
    """Another sender holds the webhook. Should it have died, nobody would send what waits:
    come back when its hold runs out (a live holder drains the queue first, and this then
    finds nothing to do). One such job per hold deadline."""
    async with db.transaction() as session:
        webhook = await session.get(Webhook, webhook_id)
        if webhook is None or not webhook.enabled or webhook.sending_until is None:
            return
        until = webhook.sending_until
        await enqueue(
            session,
            SEND_JOB,
            {"webhook_id": str(webhook_id)},
            run_at=until + timedelta(seconds=1),
            unique_key=f"webhook:{webhook_id}:after:{until.isoformat()}",
        )


async def _due_now(db: Database, webhook_id: UUID) -> bool:
    async with db.transaction(write=False) as session:
        head = await _head(session, webhook_id)
    return head is not None and head.next_attempt_at <= utcnow()


async def _head(session: AsyncSession, webhook_id: UUID) -> WebhookDelivery | None:
    return await session.scalar(
        select(WebhookDelivery)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(
            WebhookDelivery.webhook_id == webhook_id,
            WebhookDelivery.status == "pending",
            Webhook.enabled,
        )
        .order_by(WebhookDelivery.id)
        .limit(1)
    )


async def _drain(settings: Settings, db: Database, webhook_id: UUID, me: str) -> None:
    async with httpx.AsyncClient(
        follow_redirects=False,
        timeout=settings.webhook_timeout_seconds,
        trust_env=False,
        headers={"User-Agent": USER_AGENT},
        verify=_tls(),
    ) as client:
        while True:
            async with db.transaction(write=False) as session:
                webhook = await session.get(Webhook, webhook_id)
                head = await _head(session, webhook_id)
            if webhook is None or head is None:
                return
            now = utcnow()
            if head.next_attempt_at > now:
                async with db.transaction() as session:
                    await enqueue(
                        session,
                        SEND_JOB,
                        {"webhook_id": str(webhook_id)},
                        run_at=head.next_attempt_at,
                        unique_key=f"webhook:{webhook_id}:retry:{head.id}:{head.attempts}",
                    )
                return
            outcome = await _attempt(settings, client, webhook, head)
            # Delivered: the next one. Failed: the same one again, which is now due later (a
            # retry job is enqueued for then, above) or gone with its disabled webhook.
            await _record(settings, db, webhook, head, outcome, me)


class Outcome:
    __slots__ = ("body", "duration_ms", "error", "headers", "status")

    def __init__(
        self,
        headers: dict[str, str],
        *,
        status: int | None = None,
        body: str | None = None,
        duration_ms: int | None = None,
        error: str | None = None,
    ) -> None:
        self.headers = headers
        self.status = status
        self.body = body
        self.duration_ms = duration_ms
        self.error = error

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@cache
def _tls() -> ssl.SSLContext:
    """Made once: loading the CA bundle cost more than a delivery."""
    return ssl.create_default_context(cafile=certifi.where())


def signed_headers(secret: str, message_id: str, at: datetime, body: bytes) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Signer(secret).sign(message_id, at, body),
    }


async def _attempt(
    settings: Settings, client: httpx.AsyncClient, webhook: Webhook, delivery: WebhookDelivery
) -> Outcome:
    body = orjson.dumps(delivery.payload)
    headers = signed_headers(webhook.secret, delivery.message_id, utcnow(), body)
    try:
        target = await targets.resolve(webhook.url, allow_private=settings.webhook_allow_private)
    except targets.Refused as exc:
        return Outcome(headers, error=f"Not sent: {exc}")
    extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else {}
    started = time.perf_counter()
    try:
        # The whole attempt, not each read: a receiver dripping its answer is cut off too.
        async with (
            asyncio.timeout(settings.webhook_timeout_seconds),
            client.stream(
                "POST",
                target.url,
                content=body,
                headers={**headers, "host": target.host_header},
                extensions=extensions,
            ) as response,
        ):
            raw = b""
            async for chunk in response.aiter_bytes():
                raw += chunk
                if len(raw) >= READ_LIMIT:
                    break
    except (httpx.HTTPError, TimeoutError) as exc:
        elapsed = int((time.perf_counter() - started) * 1000)
        error = (
            f"Timeout: no whole answer within {settings.webhook_timeout_seconds:g} s."
            if isinstance(exc, TimeoutError)
            else f"{type(exc).__name__}: {exc}"
        )
        return Outcome(headers, duration_ms=elapsed, error=_printable(error)[:1000])
    elapsed = int((time.perf_counter() - started) * 1000)
    return Outcome(
        headers,
        status=response.status_code,
        body=_printable(raw.decode("utf-8", "replace"))[:BODY_SNIPPET],
        duration_ms=elapsed,
    )


def _printable(text: str) -> str:
    """Text a database column takes (PostgreSQL refuses NUL)."""
    return text.replace("\x00", "\ufffd")


def retry_delay(settings: Settings, attempts: int) -> float:
    ceiling = min(MAX_BACKOFF_SECONDS, settings.webhook_retry_seconds * 2.0 ** (attempts - 1))
    return ceiling / 2 + _RANDOM.uniform(0, ceiling / 2)


async def _record(
    settings: Settings,
    db: Database,
    webhook: Webhook,
    head: WebhookDelivery,
    outcome: Outcome,
    me: str,
) -> None:
    """Write the attempt: delivered, to be retried, or given up (its webhook disabled)."""
    now = utcnow()
    values: dict[str, Any] = {
        "attempts": head.attempts + 1,
        "first_attempt_at": head.first_attempt_at or now,
        "last_attempt_at": now,
        "request_headers": outcome.headers,
        "response_status": outcome.status,
        "response_body": outcome.body,
        "duration_ms": outcome.duration_ms,
        "error": outcome.error,
    }
    disable: str | None = None
    if outcome.ok:
        values |= {"status": "delivered", "delivered_at": now}
    elif outcome.status == 410:
        values |= {"status": "failed"}
        disable = "The receiver answered 410 Gone."
    elif now - values["first_attempt_at"] >= timedelta(hours=settings.webhook_give_up_hours):
        values |= {"status": "failed"}
        last = outcome.error or outcome.status
        disable = f"Deliveries failed for {settings.webhook_give_up_hours:g} hours (last: {last})."
    else:
        delay = retry_delay(settings, values["attempts"])
        values |= {"next_attempt_at": now + timedelta(seconds=delay)}
    async with db.transaction() as session:
        await session.execute(
            update(WebhookDelivery).where(WebhookDelivery.id == head.id).values(**values)
        )
        await session.execute(
            update(Webhook)
            .where(Webhook.id == webhook.id, Webhook.sending_by == me)
            .values(sending_until=now + _lease(settings))
        )
        if disable is not None:
            await _disable(session, settings, webhook, disable)
    log.info(
        "webhook_attempt",
        webhook_id=str(webhook.id),
        delivery_id=str(head.id),
        status=outcome.status,
        error=outcome.error,
        ok=outcome.ok,
    )


async def _disable(
    session: AsyncSession, settings: Settings, webhook: Webhook, reason: str
) -> None:
    """Turn the webhook off and tell the workspace's owners and admins."""
    await session.execute(
        update(Webhook)
        .where(Webhook.id == webhook.id)
        .values(enabled=False, disabled_reason=reason[:500], updated_at=utcnow())
    )
    admins: Sequence[UUID] = list(
        await session.scalars(
            select(WorkspaceMember.user_id)
            .join(User, User.id == WorkspaceMember.user_id)
            .where(
                WorkspaceMember.workspace_id == webhook.workspace_id,
                WorkspaceMember.role.in_([WorkspaceRole.OWNER.value, WorkspaceRole.ADMIN.value]),
                User.is_active,
            )
        )
    )
    drafts = [
        Draft(
            user_id=user_id,
            kind=Kind.WEBHOOK_DISABLED,
            summary=f"A webhook to {webhook.url} was disabled: {reason[:500]}",
            dedupe_key=f"webhook_disabled:{webhook.id}:{utcnow().isoformat()}",
            workspace_id=webhook.workspace_id,
            data={"webhook_id": str(webhook.id)},
        )
        for user_id in admins
    ]
    announce(session, await deliver(session, settings, drafts, utcnow()))
    log.warning("webhook_disabled", webhook_id=str(webhook.id), reason=reason)
