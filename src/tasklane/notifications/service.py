"""The inbox and the preferences: what a person reads and chooses. Every statement is bounded
to the caller's own notifications; one about a project they can no longer see is not shown
(nor counted), whatever it says."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.auth.principal import Principal
from tasklane.authz.access import visible_project_ids
from tasklane.config import Settings
from tasklane.errors import NotFound, ValidationFailed
from tasklane.kit import keyset
from tasklane.kit.clock import utcnow
from tasklane.kit.pagination import Page, decode_cursor, encode_cursor
from tasklane.models import (
    Notification,
    NotificationMute,
    NotificationSettings,
    Project,
    Task,
    User,
)
from tasklane.notifications.kinds import DEFAULT_DIGEST_HOUR, Kind, channels_of
from tasklane.notifications.schemas import (
    Box,
    Channels,
    KindChannels,
    NotificationRead,
    NotificationSettingsRead,
    NotificationSettingsWrite,
    ProjectMute,
    Selection,
)

COUNT_CAP = 1000
_COLUMNS = [
    keyset.SortColumn(Notification.created_at, True, keyset.as_datetime),
    keyset.SortColumn(Notification.id, True, keyset.as_uuid),
]


def _visible(user_id: UUID) -> ColumnElement[bool]:
    return or_(
        Notification.project_id.is_(None),
        Notification.project_id.in_(visible_project_ids(user_id)),
    )


def _in_box(box: Box, now: datetime) -> ColumnElement[bool]:
    """In `box` (notifications kept only to be mailed are in none)."""
    if box is Box.ARCHIVED:
        return and_(Notification.shown, Notification.archived_at.is_not(None))
    awake = or_(Notification.snoozed_until.is_(None), Notification.snoozed_until <= now)
    if box is Box.SNOOZED:
        return and_(Notification.shown, Notification.archived_at.is_(None), ~awake)
    return and_(Notification.shown, Notification.archived_at.is_(None), awake)


def _unread(now: datetime) -> ColumnElement[bool]:
    return and_(Notification.read_at.is_(None), _in_box(Box.INBOX, now))


async def list_notifications(
    session: AsyncSession,
    principal: Principal,
    *,
    box: Box,
    unread: bool,
    limit: int,
    cursor: str | None,
) -> Page[NotificationRead]:
    now = utcnow()
    stmt = (
        select(Notification, Project.key, Task.number, Task.title, User.name)
        .outerjoin(Task, and_(Task.id == Notification.task_id, Task.deleted_at.is_(None)))
        .outerjoin(Project, Project.id == Task.project_id)
        .outerjoin(User, User.id == Notification.actor_id)
        .where(
            Notification.user_id == principal.user_id,
            _visible(principal.user_id),
            _unread(now) if unread else _in_box(box, now),
        )
    )
    if cursor is not None:
        values = keyset.parse_values(_COLUMNS, decode_cursor(cursor, scope="inbox", size=2))
        stmt = stmt.where(keyset.after(_COLUMNS, values))
    rows = (await session.execute(stmt.order_by(*keyset.order_by(_COLUMNS)).limit(limit + 1))).all()
    page = rows[:limit]
    items = [
        NotificationRead(
            id=n.id,
            type=Kind(n.type),
            created_at=n.created_at,
            updated_at=n.updated_at,
            read_at=n.read_at,
            archived_at=n.archived_at,
            snoozed_until=n.snoozed_until,
            actor_id=n.actor_id,
            actor_name=actor,
            workspace_id=n.workspace_id,
            project_id=n.project_id,
            task_id=n.task_id if number is not None else None,
            task_key=f"{key}-{number}" if number is not None else None,
            task_title=title,
            comment_id=n.comment_id,
            summary=n.summary,
            count=int(n.data.get("count", 1)),
        )
        for n, key, number, title, actor in page
    ]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1][0]
        next_cursor = encode_cursor([last.created_at.isoformat(), str(last.id)], scope="inbox")
    return Page(items=items, next_cursor=next_cursor)


async def unread_count(session: AsyncSession, principal: Principal) -> int:
    ids = (
        select(Notification.id)
        .where(
            Notification.user_id == principal.user_id,
            _unread(utcnow()),
            _visible(principal.user_id),
        )
        .limit(COUNT_CAP)
        .subquery()
    )
    return int(await session.scalar(select(func.count()).select_from(ids)) or 0)


def _selected(
    principal: Principal, selection: Selection, box: Box, now: datetime
) -> ColumnElement[bool]:
    """The caller's notifications `selection` names that they can see: by id, or all of `box`."""
    mine = and_(
        Notification.user_id == principal.user_id,
        Notification.shown,
        _visible(principal.user_id),
    )
    if selection.all:
        return and_(mine, _in_box(box, now))
    return and_(mine, Notification.id.in_(selection.ids))


async def _change(
    session: AsyncSession,
    principal: Principal,
    selection: Selection,
    box: Box = Box.INBOX,
    **values: Any,
) -> int:
    now = utcnow()
    result = await session.execute(
        update(Notification)
        .where(_selected(principal, selection, box, now))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def mark_read(session: AsyncSession, principal: Principal, selection: Selection) -> int:
    return await _change(session, principal, selection, read_at=utcnow())


async def mark_unread(session: AsyncSession, principal: Principal, selection: Selection) -> int:
    return await _change(session, principal, selection, read_at=None)


async def archive(session: AsyncSession, principal: Principal, selection: Selection) -> int:
    now = utcnow()
    return await _change(session, principal, selection, archived_at=now, read_at=now)


async def unarchive(session: AsyncSession, principal: Principal, selection: Selection) -> int:
    """Back to the inbox, from the archive or from a snooze."""
    if selection.all:
        return await _change(session, principal, selection, Box.ARCHIVED, archived_at=None)
    return await _change(session, principal, selection, archived_at=None, snoozed_until=None)


async def snooze(
    session: AsyncSession, principal: Principal, *, notification_id: UUID, until: datetime
) -> None:
    """Out of the inbox until `until`, then back in it, unread."""
    try:
        until = until.astimezone(UTC)
    except OverflowError as exc:
        raise ValidationFailed.for_field("until", "The time is out of range.") from exc
    if until <= utcnow():
        raise ValidationFailed.for_field("until", "Snooze until a time in the future.")
    changed = await _change(
        session,
        principal,
        Selection(ids=[notification_id]),
        snoozed_until=until,
        read_at=None,
        archived_at=None,
    )
    if not changed:
        raise NotFound("No such notification.")


# --- preferences ----------------------------------------------------------------------------


async def get_settings(
    session: AsyncSession, principal: Principal, settings: Settings
) -> NotificationSettingsRead:
    row = await session.get(NotificationSettings, principal.user_id)
    zone = await session.scalar(select(User.time_zone).where(User.id == principal.user_id))
    mutes = await session.execute(
        select(NotificationMute.project_id, NotificationMute.level)
        .where(
            NotificationMute.user_id == principal.user_id,
            NotificationMute.project_id.in_(visible_project_ids(principal.user_id)),
        )
        .order_by(NotificationMute.created_at)
    )
    types = {}
    for kind in Kind:
        in_app, email = channels_of(row, kind)
        types[kind.value] = Channels(in_app=in_app, email=email)
    return NotificationSettingsRead(
        types=KindChannels(**types),
        digest_hour=row.digest_hour if row is not None else DEFAULT_DIGEST_HOUR,
        time_zone=zone,
        projects=[ProjectMute(project_id=p, level=level) for p, level in mutes.all()],
        email_enabled=settings.mail_enabled,
    )


async def update_settings(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    data: NotificationSettingsWrite,
) -> NotificationSettingsRead:
    row = await session.get(NotificationSettings, principal.user_id, with_for_update=True)
    if row is None:
        row = NotificationSettings(
            user_id=principal.user_id, channels={}, digest_hour=DEFAULT_DIGEST_HOUR
        )
        session.add(row)
    if data.types is not None:
        sent = data.types.model_dump(mode="json", exclude_none=True)
        row.channels = {**row.channels, **sent}
    if data.digest_hour is not None:
        row.digest_hour = data.digest_hour
    row.updated_at = utcnow()
    if "time_zone" in data.model_fields_set:
        await session.execute(
            update(User).where(User.id == principal.user_id).values(time_zone=data.time_zone)
        )
    if data.projects is not None:
        await _replace_mutes(session, principal, data.projects)
    await session.flush()
    return await get_settings(session, principal, settings)


async def _replace_mutes(
    session: AsyncSession, principal: Principal, mutes: list[ProjectMute]
) -> None:
    """The list as sent, less mutes of projects the caller no longer sees (a list read before
    they lost one can be sent back); any other project they cannot see is refused."""
    wanted = {m.project_id: m.level for m in mutes}
    visible = set(
        await session.scalars(
            select(Project.id).where(
                Project.id.in_(list(wanted)), Project.id.in_(visible_project_ids(principal.user_id))
            )
        )
    )
    had = set(
        await session.scalars(
            select(NotificationMute.project_id).where(NotificationMute.user_id == principal.user_id)
        )
    )
    for index, project_id in enumerate(wanted):
        if project_id not in visible and project_id not in had:
            raise ValidationFailed.for_field(
                f"projects.{index}.project_id", "No project by that id that you can see."
            )
    wanted = {p: level for p, level in wanted.items() if p in visible}
    await session.execute(
        delete(NotificationMute).where(NotificationMute.user_id == principal.user_id)
    )
    now = utcnow()
    for project_id, level in wanted.items():
        session.add(
            NotificationMute(
                user_id=principal.user_id, project_id=project_id, level=level.value, created_at=now
            )
        )


async def forget_comment(session: AsyncSession, comment_id: UUID) -> None:
    """A deleted comment's text out of every notification about it (comments.service)."""
    rows = await session.scalars(select(Notification).where(Notification.comment_id == comment_id))
    for n in rows:
        n.summary = str(n.data.get("brief") or "A comment was deleted.")
        n.data = {k: v for k, v in n.data.items() if k not in ("comment", "brief")}
