"""Turning drafts (who is to be told what) into notification rows, once each, by everyone's
preferences: the one path the event consumer (fanout.py) and the due-soon job share.

A draft names the event it came from; its row's `dedupe_key` makes a repeat of the event (the
dispatcher hands batches over again after a crash) add nothing. A burst (the same person
changing the same task again within `notification_coalesce_seconds`, while the last
notification about it is still unread) folds into that notification instead of adding one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.config import Settings
from tasklane.kit.ids import new_id
from tasklane.kit.sql import insert_ignore
from tasklane.models import Notification, NotificationMute, NotificationSettings, User
from tasklane.notifications import email as mail_jobs
from tasklane.notifications.kinds import (
    DEFAULT_DIGEST_HOUR,
    FROM_WATCHING,
    Email,
    InApp,
    Kind,
    Mute,
    channels_of,
)

NOT_COALESCED = frozenset({Kind.DUE_SOON, Kind.ADDED, Kind.WEBHOOK_DISABLED})


@dataclass(slots=True)
class Draft:
    user_id: UUID
    kind: Kind
    summary: str
    dedupe_key: str
    seq: int = 0
    actor_id: UUID | None = None
    workspace_id: UUID | None = None
    project_id: UUID | None = None
    task_id: UUID | None = None
    comment_id: UUID | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Choice:
    in_app: InApp
    email: Email
    email_due_at: datetime | None


def next_digest(now: datetime, hour: int, time_zone: str | None) -> datetime:
    """The next time it is `hour`:00 where the person is (UTC when they set no zone)."""
    zone = ZoneInfo(time_zone) if time_zone else ZoneInfo("UTC")
    local = now.astimezone(zone)
    at = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if at <= local:
        at = (local + timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return at.astimezone(ZoneInfo("UTC"))


async def _choices(
    session: AsyncSession, drafts: Sequence[Draft], now: datetime
) -> dict[tuple[UUID, Kind, UUID | None], Choice]:
    user_ids = {d.user_id for d in drafts}
    project_ids = {d.project_id for d in drafts if d.project_id is not None}
    settings = {
        s.user_id: s
        for s in await session.scalars(
            select(NotificationSettings).where(NotificationSettings.user_id.in_(user_ids))
        )
    }
    mutes: dict[tuple[UUID, UUID], Mute] = {}
    if project_ids:
        rows = await session.execute(
            select(NotificationMute.user_id, NotificationMute.project_id, NotificationMute.level)
            .where(NotificationMute.user_id.in_(user_ids))
            .where(NotificationMute.project_id.in_(project_ids))
        )
        mutes = {(u, p): Mute(level) for u, p, level in rows.all()}
    zones = dict(
        (await session.execute(select(User.id, User.time_zone).where(User.id.in_(user_ids)))).all()
    )
    choices: dict[tuple[UUID, Kind, UUID | None], Choice] = {}
    for draft in drafts:
        mute = mutes.get((draft.user_id, draft.project_id)) if draft.project_id else None
        if mute is Mute.ALL or (mute is Mute.WATCHING and draft.kind in FROM_WATCHING):
            choices[(draft.user_id, draft.kind, draft.project_id)] = Choice(
                InApp.OFF, Email.OFF, None
            )
            continue
        row = settings.get(draft.user_id)
        in_app, email = channels_of(row, draft.kind)
        due: datetime | None = None
        if email is Email.IMMEDIATE:
            due = now
        elif email is Email.DIGEST:
            hour = row.digest_hour if row is not None else DEFAULT_DIGEST_HOUR
            due = next_digest(now, hour, zones.get(draft.user_id))
        choices[(draft.user_id, draft.kind, draft.project_id)] = Choice(in_app, email, due)
    return choices


async def deliver(
    session: AsyncSession, settings: Settings, drafts: Sequence[Draft], now: datetime
) -> list[Notification]:
    """Write `drafts` as notifications; the ones shown in the inbox that are new or newly
    folded into (for the live message), in draft order."""
    if not drafts:
        return []
    choices = await _choices(session, drafts, now)
    window = now - timedelta(seconds=settings.notification_coalesce_seconds)
    prior = await _prior(session, [d for d in drafts if _coalesced(d)], window, now)
    shown: list[Notification] = []
    for draft in drafts:
        choice = choices[(draft.user_id, draft.kind, draft.project_id)]
        if choice.in_app is InApp.OFF and choice.email is Email.OFF:
            continue
        hidden = choice.in_app is InApp.OFF
        if _coalesced(draft):
            folded, into = _fold(prior.get(_key(draft), []), draft, window, now)
            if folded:
                if into is not None:
                    shown.append(into)
                continue
        notification_id = new_id()
        values: dict[str, Any] = {
            "id": notification_id,
            "user_id": draft.user_id,
            "type": draft.kind.value,
            "actor_id": draft.actor_id,
            "workspace_id": draft.workspace_id,
            "project_id": draft.project_id,
            "task_id": draft.task_id,
            "comment_id": draft.comment_id,
            "summary": draft.summary,
            "data": {**draft.data, "count": 1, "email": choice.email.value},
            "dedupe_key": draft.dedupe_key,
            "last_seq": draft.seq,
            "created_at": now,
            "updated_at": now,
            "shown": not hidden,
            "email_due_at": choice.email_due_at,
        }
        if not await insert_ignore(session, Notification, values):
            continue  # a repeat of the event
        await mail_jobs.schedule(
            session, notification_id, draft.user_id, choice.email, choice.email_due_at
        )
        if not hidden:
            shown.append(Notification(**values))
    return shown


def _coalesced(draft: Draft) -> bool:
    return draft.kind not in NOT_COALESCED and draft.task_id is not None


_Key = tuple[UUID, UUID | None, str, UUID | None]


def _key(draft: Draft) -> _Key:
    return (draft.user_id, draft.task_id, draft.kind.value, draft.actor_id)


async def _prior(
    session: AsyncSession, drafts: Sequence[Draft], window: datetime, now: datetime
) -> dict[_Key, list[Notification]]:
    """In one statement, for every draft: the same person's notifications of the same kind
    about the same task by the same actor that may hold its event or take it in."""
    if not drafts:
        return {}
    found: dict[_Key, list[Notification]] = {}
    rows = await session.scalars(
        select(Notification).where(
            Notification.user_id.in_({d.user_id for d in drafts}),
            Notification.task_id.in_({d.task_id for d in drafts}),
            Notification.type.in_({d.kind.value for d in drafts}),
            Notification.actor_id.in_({d.actor_id for d in drafts}),
            or_(
                Notification.last_seq >= min(d.seq for d in drafts),
                and_(
                    Notification.read_at.is_(None),
                    Notification.archived_at.is_(None),
                    Notification.updated_at >= window,
                ),
            ),
        )
    )
    for n in rows:
        found.setdefault((n.user_id, n.task_id, n.type, n.actor_id), []).append(n)
    return found


def _fold(
    candidates: list[Notification], draft: Draft, window: datetime, now: datetime
) -> tuple[bool, Notification | None]:
    """Fold `draft` into the same person's recent unread notification of the same kind about
    the same task by the same actor (one of `candidates`). (False, None) when there is none;
    (True, it) when folded; (True, None) when it holds this event already (a repeat)."""
    # Events come in order: one that holds this event or a later one means this event was
    # handled (its row may have been folded into, read and archived since).
    if any(n.last_seq >= draft.seq for n in candidates):
        return True, None
    open_ = [
        n
        for n in candidates
        if n.shown
        and n.read_at is None
        and n.archived_at is None
        and (n.snoozed_until is None or n.snoozed_until <= now)
        and n.updated_at >= window
    ]
    if not open_:
        return False, None
    recent = max(open_, key=lambda n: n.updated_at)
    recent.summary = draft.summary
    recent.comment_id = draft.comment_id or recent.comment_id
    recent.data = {**recent.data, **draft.data, "count": int(recent.data.get("count", 1)) + 1}
    recent.last_seq = draft.seq
    recent.updated_at = now
    return True, recent
