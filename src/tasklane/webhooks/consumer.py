"""The dispatcher's webhook consumer: each committed event, to a delivery for every enabled
webhook of its workspace (and project) whose event types match, with the body it will send:
`{type, timestamp, data}`, `data` holding the event and, for tasks and comments, the entity as
the API shows it now. The deliveries and the jobs that send them commit together; a repeat of
an event adds nothing (one delivery per webhook and event)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.comments.service import public_comment
from tasklane.db import Database
from tasklane.events.types import EventType
from tasklane.kit.clock import utcnow
from tasklane.kit.ids import new_id
from tasklane.kit.sql import insert_ignore
from tasklane.models import Event, Webhook, WebhookDelivery
from tasklane.realtime.protocol import event_wire
from tasklane.tasks.service import public_task
from tasklane.webhooks.sender import wake_sender


def matches(patterns: Sequence[str], event_type: str) -> bool:
    return any(
        p in ("*", event_type) or (p.endswith(".*") and event_type.startswith(p[:-1]))
        for p in patterns
    )


async def entity_of(session: AsyncSession, event: Event) -> Any:
    if event.type.startswith("task.") and event.task_id and event.type != EventType.TASK_DELETED:
        return await public_task(session, event.task_id)
    if event.type in (EventType.COMMENT_CREATED, EventType.COMMENT_UPDATED) and event.entity_id:
        return await public_comment(session, event.entity_id)
    return None


def message_id(webhook: Webhook, event: Event) -> str:
    return f"msg_{webhook.id.hex}_{event.seq}"


class WebhookConsumer:
    name = "webhooks"

    def __init__(self, db: Database) -> None:
        self.db = db

    async def handle(self, batch: Sequence[Event]) -> None:
        events = [
            e
            for e in batch
            if e.workspace_id is not None and e.type != EventType.NOTIFICATIONS_CREATED
        ]
        if not events:
            return
        async with self.db.transaction() as session:
            hooks = list(
                await session.scalars(
                    select(Webhook).where(
                        Webhook.workspace_id.in_({e.workspace_id for e in events}),
                        Webhook.enabled,
                    )
                )
            )
            if not hooks:
                return
            woken: set[Any] = set()
            for event in events:
                wanted = [
                    h
                    for h in hooks
                    if h.workspace_id == event.workspace_id
                    and (h.project_id is None or h.project_id == event.project_id)
                    and event.created_at >= h.created_at  # not what came before it
                    and matches(h.event_types, event.type)
                ]
                if not wanted:
                    continue
                entity = await entity_of(session, event)
                data = {**event_wire(event), "entity": entity}
                payload = to_jsonable_python(
                    {"type": event.type, "timestamp": event.created_at, "data": data}
                )
                now = utcnow()
                for hook in wanted:
                    added = await insert_ignore(
                        session,
                        WebhookDelivery,
                        {
                            "id": new_id(),
                            "webhook_id": hook.id,
                            "message_id": message_id(hook, event),
                            "event_seq": event.seq,
                            "event_type": event.type,
                            "payload": payload,
                            "manual": False,
                            "status": "pending",
                            "attempts": 0,
                            "next_attempt_at": now,
                            "created_at": now,
                            "request_headers": {},
                        },
                    )
                    if added and hook.id not in woken:
                        woken.add(hook.id)
                        await wake_sender(session, hook.id, key=f"event:{event.seq}")
