"""A private calendar address per user that calendar apps subscribe to (Google Calendar,
Outlook, Apple Calendar): the due dates of their open tasks as all-day events (RFC 5545).

The address holds no stored secret: its token is the user's id and the feed's version, signed
with the installation's signing key (HMAC-SHA256). A forged or mistyped token is told apart
without reading the database, in constant time; rotating the address (the version + 1) ends
the old one at once. A new signing key changes every address.

What a feed lists is decided at each fetch with the same rules as the API: only tasks in
projects the user can still see, so a removed member's feed empties.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

from icalendar import Calendar, Event, vDuration
from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane import audit
from tasklane.auth.principal import Principal
from tasklane.authz.access import visible_project_ids
from tasklane.config import Settings
from tasklane.errors import NotFound
from tasklane.kit import signed
from tasklane.kit.clock import utcnow
from tasklane.kit.sql import insert_ignore
from tasklane.models import (
    CalendarFeed,
    Project,
    Status,
    Task,
    TaskAssignee,
    TaskWatcher,
    User,
    Workspace,
)
from tasklane.projects.workflow import StatusCategory

MAX_EVENTS = 2000
"""Events in one feed, the soonest due first: more is no calendar anyone reads."""
REFRESH = timedelta(hours=1)
"""How often calendar apps are asked to fetch the feed again (most decide for themselves)."""
FeedScope = Literal["assigned", "watching"]

PURPOSE = "tasklane-calendar-feed"
_TOKEN = re.compile(rf"^([0-9a-f]{{32}})\.([1-9][0-9]{{0,8}})\.({signed.SIGNATURE})$")


def _signature(settings: Settings, user_id: UUID, version: int) -> str:
    return signed.signature(settings.signing_key, PURPOSE, user_id.hex, str(version))


def feed_url(settings: Settings, user_id: UUID, version: int) -> str:
    token = f"{user_id.hex}.{version}.{_signature(settings, user_id, version)}"
    return f"{settings.public_url.rstrip('/')}/ical/{token}.ics"


def read_token(settings: Settings, token: str) -> tuple[UUID, int]:
    """The user and version a token names; 404 for anything this installation did not sign."""
    match = _TOKEN.match(token)
    if match is not None:
        user_id, version = UUID(hex=match[1]), int(match[2])
        if signed.matches(match[3], settings.signing_key, PURPOSE, user_id.hex, str(version)):
            return user_id, version
    raise _no_feed()


def _no_feed() -> NotFound:
    return NotFound("No such calendar feed.", code="no_calendar_feed")


# --- the address --------------------------------------------------------------------------


async def current(session: AsyncSession, user_id: UUID) -> CalendarFeed | None:
    return await session.get(CalendarFeed, user_id)


async def ensure(session: AsyncSession, user_id: UUID) -> CalendarFeed:
    """The user's feed, made on first use (two first uses at once make one)."""
    await insert_ignore(session, CalendarFeed, {"user_id": user_id, "created_at": utcnow()})
    feed = await session.get(CalendarFeed, user_id, populate_existing=True)
    assert feed is not None
    return feed


async def rotate(session: AsyncSession, principal: Principal, *, address: str) -> CalendarFeed:
    """A new address; the old one answers 404 from this commit on."""
    await ensure(session, principal.user_id)
    version = await session.scalar(
        update(CalendarFeed)
        .where(CalendarFeed.user_id == principal.user_id)
        .values(version=CalendarFeed.version + 1, rotated_at=utcnow())
        .returning(CalendarFeed.version)
    )
    await audit.record(
        session,
        "calendar_feed.rotated",
        actor=principal,
        workspace_id=None,
        address=address,
        details={"version": version},
    )
    feed = await session.get(CalendarFeed, principal.user_id, populate_existing=True)
    assert feed is not None
    return feed


# --- the feed -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rendered:
    body: bytes
    etag: str
    last_modified: datetime


async def render(
    session: AsyncSession,
    settings: Settings,
    token: str,
    *,
    scope: FeedScope,
    project_key: str | None,
) -> Rendered:
    user_id, version = read_token(settings, token)
    owner = (
        await session.execute(
            select(User.name, CalendarFeed.created_at)
            .join(CalendarFeed, CalendarFeed.user_id == User.id)
            .where(User.id == user_id, User.is_active, CalendarFeed.version == version)
        )
    ).one_or_none()
    if owner is None:  # rotated since, or the account is gone or deactivated
        raise _no_feed()
    name, created_at = owner
    link = TaskAssignee if scope == "assigned" else TaskWatcher
    stmt = (
        select(
            Task.id,
            Task.number,
            Task.title,
            Task.due_date,
            Task.version,
            Task.updated_at,
            Project.key,
            Project.name,
            Workspace.slug,
        )
        .join(Project, Project.id == Task.project_id)
        .join(Workspace, Workspace.id == Project.workspace_id)
        .join(Status, Status.id == Task.status_id)
        .where(
            Task.project_id.in_(visible_project_ids(user_id)),
            exists().where(link.task_id == Task.id, link.user_id == user_id),
            Task.due_date.is_not(None),
            Task.deleted_at.is_(None),
            Project.archived_at.is_(None),
            Status.category.not_in([StatusCategory.DONE.value, StatusCategory.CANCELLED.value]),
        )
        .order_by(Task.due_date, Task.id)
        .limit(MAX_EVENTS)
    )
    if project_key is not None:
        stmt = stmt.where(Project.key == project_key.upper())
    rows = (await session.execute(stmt)).all()

    base = settings.public_url.rstrip("/")
    calendar = Calendar()
    calendar.add("prodid", "-//Tasklane//Calendar feed//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"Tasklane: {name}")
    calendar.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    last_modified = created_at
    for task_id, number, title, due, task_version, updated_at, key, project, slug in rows:
        assert due is not None  # the statement's condition
        url = f"{base}/{slug}/t/{key}-{number}"
        event = Event()
        event.add("uid", f"{task_id}@tasklane")
        event.add("summary", f"{key}-{number}: {title}")
        event.add("dtstart", due)
        event.add("dtend", due + timedelta(days=1))
        event.add("dtstamp", updated_at)
        event.add("last-modified", updated_at)
        event.add("sequence", task_version)
        event.add("url", url)
        event.add("description", f"{project}\n{url}")
        event.add("transp", "TRANSPARENT")  # a due date does not make anyone busy
        calendar.add_component(event)
        last_modified = max(last_modified, updated_at)
    body = calendar.to_ical()
    return Rendered(
        body=body,
        etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"',
        last_modified=last_modified,
    )
