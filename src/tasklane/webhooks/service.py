"""Registering webhooks and reading their deliveries: workspace owners and admins only (the
deliveries carry every event of the workspace). Changes to webhooks go to the audit log."""

from __future__ import annotations

import base64
import secrets
from uuid import UUID

from pydantic_core import to_jsonable_python
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane import audit
from tasklane.auth.principal import Principal
from tasklane.authz.access import WorkspaceAccess, access_workspace
from tasklane.authz.roles import Action
from tasklane.config import Settings
from tasklane.errors import Conflict, NotFound, ValidationFailed
from tasklane.kit import keyset
from tasklane.kit.clock import utcnow
from tasklane.kit.ids import new_id
from tasklane.kit.pagination import Page, decode_cursor, encode_cursor
from tasklane.models import Project, Webhook, WebhookDelivery
from tasklane.webhooks import targets
from tasklane.webhooks.schemas import (
    SUBSCRIBABLE,
    DeliveryDetail,
    DeliveryRead,
    Replay,
    WebhookCreate,
    WebhookRead,
    WebhookUpdate,
    WebhookWithSecret,
)
from tasklane.webhooks.sender import queue_manual, wake_sender

MAX_WEBHOOKS = 25
"""Per workspace: each one is a request per event."""
MAX_REPLAY = 1000
_FAMILIES = {t.split(".", 1)[0] for t in SUBSCRIBABLE}


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _check_patterns(patterns: list[str]) -> list[str]:
    for index, pattern in enumerate(patterns):
        family = pattern[:-2] if pattern.endswith(".*") else None
        if pattern != "*" and pattern not in SUBSCRIBABLE and family not in _FAMILIES:
            raise ValidationFailed.for_field(
                f"event_types.{index}",
                f"Unknown event type {pattern!r}: use one of {', '.join(SUBSCRIBABLE)}, "
                f"a family such as task.*, or *.",
            )
    return list(dict.fromkeys(patterns))


async def _check_url(settings: Settings, url: str) -> str:
    try:
        await targets.resolve(url, allow_private=settings.webhook_allow_private)
    except targets.Refused as exc:
        raise ValidationFailed.for_field("url", str(exc), code="webhook_url_refused") from exc
    return url


def read(webhook: Webhook) -> WebhookRead:
    return WebhookRead(
        id=webhook.id,
        workspace_id=webhook.workspace_id,
        project_id=webhook.project_id,
        url=webhook.url,
        description=webhook.description,
        event_types=list(webhook.event_types),
        enabled=webhook.enabled,
        disabled_reason=webhook.disabled_reason,
        created_at=webhook.created_at,
        updated_at=webhook.updated_at,
        secret_hint=webhook.secret[:10] + "…",
    )


def _with_secret(webhook: Webhook) -> WebhookWithSecret:
    return WebhookWithSecret(**read(webhook).model_dump(), secret=webhook.secret)


async def _manage(
    session: AsyncSession, principal: Principal, workspace_id: UUID
) -> WorkspaceAccess:
    return await access_workspace(session, principal, workspace_id, Action.WEBHOOKS_MANAGE)


async def get_webhook_row(
    session: AsyncSession, principal: Principal, *, webhook_id: UUID, workspace_id: UUID | None
) -> Webhook:
    webhook = await session.get(Webhook, webhook_id)
    if webhook is None or (workspace_id is not None and webhook.workspace_id != workspace_id):
        raise NotFound("No such webhook.")
    await _manage(session, principal, webhook.workspace_id)
    return webhook


async def create_webhook(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    *,
    workspace_id: UUID,
    data: WebhookCreate,
    address: str,
) -> WebhookWithSecret:
    await _manage(session, principal, workspace_id)
    patterns = _check_patterns(data.event_types)
    if data.project_id is not None:
        project = await session.get(Project, data.project_id)
        if project is None or project.workspace_id != workspace_id:
            raise ValidationFailed.for_field("project_id", "No such project in this workspace.")
    count = await session.scalar(
        select(func.count()).select_from(Webhook).where(Webhook.workspace_id == workspace_id)
    )
    if (count or 0) >= MAX_WEBHOOKS:
        raise Conflict(f"A workspace may have {MAX_WEBHOOKS} webhooks.", code="too_many_webhooks")
    now = utcnow()
    webhook = Webhook(
        id=new_id(),
        workspace_id=workspace_id,
        project_id=data.project_id,
        url=await _check_url(settings, data.url),
        description=data.description,
        event_types=patterns,
        secret=new_secret(),
        created_by=principal.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(webhook)
    await session.flush()
    await _audit(session, principal, webhook, "webhook.created", address)
    return _with_secret(webhook)


async def _audit(
    session: AsyncSession, principal: Principal, webhook: Webhook, action: str, address: str
) -> None:
    await audit.record(
        session,
        action,
        actor=principal,
        workspace_id=webhook.workspace_id,
        address=address,
        details={"webhook_id": str(webhook.id), "url": webhook.url},
    )


async def list_webhooks(
    session: AsyncSession, principal: Principal, *, workspace_id: UUID
) -> list[WebhookRead]:
    """At most MAX_WEBHOOKS exist."""
    await _manage(session, principal, workspace_id)
    rows = await session.scalars(
        select(Webhook).where(Webhook.workspace_id == workspace_id).order_by(Webhook.created_at)
    )
    return [read(w) for w in rows]


async def update_webhook(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    *,
    workspace_id: UUID,
    webhook_id: UUID,
    data: WebhookUpdate,
    address: str,
) -> WebhookRead:
    webhook = await get_webhook_row(
        session, principal, webhook_id=webhook_id, workspace_id=workspace_id
    )
    before = read(webhook)
    if data.url is not None and data.url != webhook.url:
        webhook.url = await _check_url(settings, data.url)
    if data.event_types is not None:
        webhook.event_types = _check_patterns(data.event_types)
    if data.description is not None:
        webhook.description = data.description
    if data.enabled is not None and data.enabled != webhook.enabled:
        webhook.enabled = data.enabled
        webhook.disabled_reason = None if data.enabled else "Disabled by an admin."
        if data.enabled:
            # What waited is tried afresh: a day of failures counts from now on.
            await session.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.webhook_id == webhook.id, WebhookDelivery.status == "pending"
                )
                .values(first_attempt_at=None, next_attempt_at=utcnow())
            )
            await wake_sender(session, webhook.id)
    if read(webhook) != before:
        webhook.updated_at = utcnow()
        await _audit(session, principal, webhook, "webhook.updated", address)
    return read(webhook)


async def delete_webhook(
    session: AsyncSession,
    principal: Principal,
    *,
    workspace_id: UUID,
    webhook_id: UUID,
    address: str,
) -> None:
    webhook = await get_webhook_row(
        session, principal, webhook_id=webhook_id, workspace_id=workspace_id
    )
    await _audit(session, principal, webhook, "webhook.deleted", address)
    await session.delete(webhook)


async def rotate_secret(
    session: AsyncSession,
    principal: Principal,
    *,
    workspace_id: UUID,
    webhook_id: UUID,
    address: str,
) -> WebhookWithSecret:
    """A new secret, used from the next attempt on; the old one stops at once."""
    webhook = await get_webhook_row(
        session, principal, webhook_id=webhook_id, workspace_id=workspace_id
    )
    webhook.secret = new_secret()
    webhook.updated_at = utcnow()
    await _audit(session, principal, webhook, "webhook.secret_rotated", address)
    return _with_secret(webhook)


async def send_test(
    session: AsyncSession, principal: Principal, *, workspace_id: UUID, webhook_id: UUID
) -> DeliveryRead:
    webhook = await get_webhook_row(
        session, principal, webhook_id=webhook_id, workspace_id=workspace_id
    )
    now = utcnow()
    payload = {
        "type": "ping",
        "timestamp": to_jsonable_python(now),
        "data": {"webhook_id": str(webhook.id), "workspace_id": str(webhook.workspace_id)},
    }
    delivery = await queue_manual(session, webhook, f"msg_{new_id().hex}", "ping", None, payload)
    return delivery_read(delivery)


# --- deliveries -----------------------------------------------------------------------------

_COLUMNS = [keyset.SortColumn(WebhookDelivery.id, True, keyset.as_uuid)]


def delivery_read(d: WebhookDelivery) -> DeliveryRead:
    return DeliveryRead(
        id=d.id,
        message_id=d.message_id,
        event_seq=d.event_seq,
        event_type=d.event_type,
        manual=d.manual,
        status=d.status,
        attempts=d.attempts,
        next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
        first_attempt_at=d.first_attempt_at,
        last_attempt_at=d.last_attempt_at,
        response_status=d.response_status,
        response_body=d.response_body,
        duration_ms=d.duration_ms,
        error=d.error,
        created_at=d.created_at,
        delivered_at=d.delivered_at,
    )


async def list_deliveries(
    session: AsyncSession,
    principal: Principal,
    *,
    webhook_id: UUID,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> Page[DeliveryRead]:
    await get_webhook_row(session, principal, webhook_id=webhook_id, workspace_id=None)
    stmt = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    if cursor is not None:
        values = keyset.parse_values(_COLUMNS, decode_cursor(cursor, scope="deliveries", size=1))
        stmt = stmt.where(keyset.after(_COLUMNS, values))
    rows = list(
        (await session.scalars(stmt.order_by(*keyset.order_by(_COLUMNS)).limit(limit + 1))).all()
    )
    page = rows[:limit]
    next_cursor = (
        encode_cursor([str(page[-1].id)], scope="deliveries") if len(rows) > limit else None
    )
    return Page(items=[delivery_read(d) for d in page], next_cursor=next_cursor)


async def _delivery(
    session: AsyncSession, principal: Principal, webhook_id: UUID, delivery_id: UUID
) -> tuple[Webhook, WebhookDelivery]:
    webhook = await get_webhook_row(session, principal, webhook_id=webhook_id, workspace_id=None)
    delivery = await session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.webhook_id != webhook_id:
        raise NotFound("No such delivery.")
    return webhook, delivery


async def get_delivery(
    session: AsyncSession, principal: Principal, *, webhook_id: UUID, delivery_id: UUID
) -> DeliveryDetail:
    _, d = await _delivery(session, principal, webhook_id, delivery_id)
    return DeliveryDetail(
        **delivery_read(d).model_dump(), request_headers=d.request_headers, payload=d.payload
    )


async def redeliver(
    session: AsyncSession, principal: Principal, *, webhook_id: UUID, delivery_id: UUID
) -> DeliveryRead:
    """Send a delivery's message again, as a new delivery with the same `webhook-id`."""
    webhook, d = await _delivery(session, principal, webhook_id, delivery_id)
    again = await queue_manual(session, webhook, d.message_id, d.event_type, d.event_seq, d.payload)
    return delivery_read(again)


async def replay(
    session: AsyncSession, principal: Principal, *, webhook_id: UUID, window: Replay
) -> int:
    """Send again, once each, every message whose delivery failed for good in [since, until)
    and that no later delivery has delivered."""
    if window.until <= window.since:
        raise ValidationFailed.for_field("until", "until must be after since.")
    webhook = await get_webhook_row(session, principal, webhook_id=webhook_id, workspace_id=None)
    failed = await session.scalars(
        select(WebhookDelivery)
        .where(
            WebhookDelivery.webhook_id == webhook_id,
            WebhookDelivery.status == "failed",
            WebhookDelivery.created_at >= window.since,
            WebhookDelivery.created_at < window.until,
        )
        .order_by(WebhookDelivery.id)
        .limit(MAX_REPLAY)
    )
    rows = list(failed)
    delivered = set(
        await session.scalars(
            select(WebhookDelivery.message_id).where(
                WebhookDelivery.webhook_id == webhook_id,
                WebhookDelivery.status.in_(["delivered", "pending"]),
                WebhookDelivery.message_id.in_({d.message_id for d in rows}),
            )
        )
    )
    queued: set[str] = set()
    for d in rows:
        if d.message_id in delivered or d.message_id in queued:
            continue
        await queue_manual(session, webhook, d.message_id, d.event_type, d.event_seq, d.payload)
        queued.add(d.message_id)
    return len(queued)
