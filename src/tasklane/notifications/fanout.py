"""The dispatcher's notification consumer: committed events, to a notification per person
who should hear of them (delivery.py writes them by everyone's preferences).

- assigned: the people a task is newly assigned to;
- mentioned: the people a comment or description newly mentions (the event's `mentions`);
- commented, status_changed: the task's watchers;
- added: the person added to a workspace or a project.

Never the actor; only people who can see the task (checked again here: access may have
changed since the event); one notification per person per event, the first kind in that
order. The new notifications shown in inboxes are announced in one `notification.created`
event per batch, which the real-time hub turns into a message on each recipient's WebSocket.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.authz.access import project_people
from tasklane.config import Settings
from tasklane.db import Database
from tasklane.events import service as events
from tasklane.events.types import EventType
from tasklane.kit.clock import utcnow
from tasklane.models import Event, Notification, Project, Status, Task, TaskWatcher, User, Workspace
from tasklane.notifications.delivery import Draft, deliver
from tasklane.notifications.kinds import Kind

log = structlog.get_logger(__name__)

HANDLED = frozenset(
    {
        EventType.TASK_CREATED,
        EventType.TASK_UPDATED,
        EventType.TASK_MOVED,
        EventType.COMMENT_CREATED,
        EventType.COMMENT_UPDATED,
        EventType.MEMBER_ADDED,
        EventType.PROJECT_MEMBER_ADDED,
    }
)
SNIPPET = 140


@dataclass(frozen=True, slots=True)
class TaskFacts:
    key: str
    title: str
    project: Project


class NotificationConsumer:
    name = "notifications"

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db

    async def handle(self, batch: Sequence[Event]) -> None:
        wanted = [e for e in batch if e.type in HANDLED and e.actor_id is not None]
        if not wanted:
            return
        async with self.db.transaction() as session:
            shown: list[Notification] = []
            for event in wanted:
                drafts = await drafts_for(session, event)
                shown += await deliver(session, self.settings, drafts, utcnow())
            announce(session, shown)


def announce(session: AsyncSession, shown: Sequence[Notification]) -> None:
    """Record the event that tells each recipient's WebSocket (realtime.hub). It names the
    notifications, not what they say (the log keeps no comment's text this way)."""
    if not shown:
        return
    events.record(
        session,
        EventType.NOTIFICATIONS_CREATED,
        actor_id=None,
        workspace_id=None,
        notifications=[
            {
                "id": n.id,
                "user_id": n.user_id,
                "type": n.type,
                "task_id": n.task_id,
                "created_at": n.created_at,
            }
            for n in shown
        ],
    )


async def drafts_for(session: AsyncSession, event: Event) -> list[Draft]:
    assert event.actor_id is not None
    actor = await session.scalar(select(User.name).where(User.id == event.actor_id)) or "Someone"
    if event.type in (EventType.MEMBER_ADDED, EventType.PROJECT_MEMBER_ADDED):
        return await _added(session, event, actor)
    facts = await _task_facts(session, event.task_id)
    if facts is None:
        return []  # deleted for good since
    changes: dict[str, Any] = event.data.get("changes", {})
    key = facts.key
    found: dict[UUID, Draft] = {}

    def add(user_ids: Sequence[UUID], kind: Kind, summary: str, **data: Any) -> None:
        for user_id in user_ids:
            if user_id != event.actor_id and user_id not in found:
                found[user_id] = _draft(event, facts, user_id, kind, summary, data)

    assignees = changes.get("assignee_ids")
    if assignees is not None and event.type in (EventType.TASK_CREATED, EventType.TASK_UPDATED):
        before = set(assignees.get("from") or [])
        new = [UUID(u) for u in assignees.get("to") or [] if u not in before]
        add(new, Kind.ASSIGNED, f"{actor} assigned you {key}: {facts.title}")
    mentions = [UUID(u) for u in event.data.get("mentions", [])]
    if event.type in (EventType.COMMENT_CREATED, EventType.COMMENT_UPDATED):
        body = str((changes.get("body") or {}).get("to") or "")
        brief = f"{actor} mentioned you on {key}"
        add(mentions, Kind.MENTIONED, _with_text(brief, body), brief=brief)
        if event.type == EventType.COMMENT_CREATED:
            brief = f"{actor} commented on {key}"
            add(
                await _watchers(session, event.task_id),
                Kind.COMMENTED,
                _with_text(brief, body),
                brief=brief,
            )
    else:
        add(mentions, Kind.MENTIONED, f"{actor} mentioned you in {key}: {facts.title}")
    status = changes.get("status_id")
    if status is not None and event.type in (EventType.TASK_UPDATED, EventType.TASK_MOVED):
        name = await session.scalar(select(Status.name).where(Status.id == UUID(status["to"])))
        add(
            await _watchers(session, event.task_id),
            Kind.STATUS_CHANGED,
            f"{actor} moved {key} to {name or 'another status'}",
            status=name,
        )
    if not found:
        return []
    people = project_people(facts.project).subquery()
    visible = set(
        await session.scalars(
            select(people.c.id).where(people.c.id.in_(list(found)), people.c.is_active)
        )
    )
    return [d for user_id, d in found.items() if user_id in visible]


def _draft(
    event: Event, facts: TaskFacts, user_id: UUID, kind: Kind, summary: str, data: dict[str, Any]
) -> Draft:
    is_comment = event.type.startswith("comment.")
    return Draft(
        user_id=user_id,
        kind=kind,
        summary=summary,
        dedupe_key=f"event:{event.seq}",
        seq=event.seq,
        actor_id=event.actor_id,
        workspace_id=event.workspace_id,
        project_id=event.project_id,
        task_id=event.task_id,
        comment_id=event.entity_id if is_comment else None,
        data=data,
    )


def _with_text(brief: str, text: str) -> str:
    """`brief: the comment's start`. `brief` alone is kept too (data["brief"]): it is what the
    notification says once the comment is deleted (service.forget_comment)."""
    flat = " ".join(text.split())
    if not flat:
        return brief
    return f"{brief}: {flat if len(flat) <= SNIPPET else flat[: SNIPPET - 1].rstrip() + '…'}"


async def _task_facts(session: AsyncSession, task_id: UUID | None) -> TaskFacts | None:
    if task_id is None:
        return None
    row = (
        await session.execute(
            select(Task.number, Task.title, Project)
            .join(Project, Project.id == Task.project_id)
            .where(Task.id == task_id)
        )
    ).first()
    if row is None:
        return None
    number, title, project = row
    return TaskFacts(f"{project.key}-{number}", title, project)


async def _watchers(session: AsyncSession, task_id: UUID | None) -> list[UUID]:
    return list(
        await session.scalars(
            select(TaskWatcher.user_id).where(TaskWatcher.task_id == task_id).limit(1000)
        )
    )


async def _added(session: AsyncSession, event: Event, actor: str) -> list[Draft]:
    user_id = event.entity_id
    if user_id is None or user_id == event.actor_id:
        return []
    if event.type == EventType.MEMBER_ADDED:
        name = await session.scalar(
            select(Workspace.name).where(Workspace.id == event.workspace_id)
        )
        summary = f"{actor} added you to the workspace {name}"
    else:
        name = await session.scalar(select(Project.name).where(Project.id == event.project_id))
        summary = f"{actor} added you to the project {name}"
    if name is None:
        return []
    return [
        Draft(
            user_id=user_id,
            kind=Kind.ADDED,
            summary=summary,
            dedupe_key=f"event:{event.seq}",
            seq=event.seq,
            actor_id=event.actor_id,
            workspace_id=event.workspace_id,
            project_id=event.project_id,
        )
    ]
