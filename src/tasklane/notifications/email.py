"""Notification e-mail: one mail per notification ("immediate"), or one digest a day at the
person's hour in their time zone ("digest"), each sent by a job (retried with backoff while
the mail server is away; a permanent refusal is recorded on the notification and not retried).

Every mail carries a one-click unsubscribe link (RFC 8058: `List-Unsubscribe` and
`List-Unsubscribe-Post`) for its kind, or for digests; the link needs no sign-in, it is signed
(tasklane.kit.signed), and it turns that e-mail off in the person's settings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any
from uuid import UUID

import jinja2
import structlog
from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.config import Settings
from tasklane.errors import NotFound
from tasklane.kit import signed
from tasklane.kit.clock import utcnow
from tasklane.models import Notification, NotificationSettings, Project, Task, User, Workspace
from tasklane.notifications import mail
from tasklane.notifications.kinds import DEFAULT_DIGEST_HOUR, DESCRIPTIONS, Email, Kind, channels_of
from tasklane.worker.jobs import JobContext, enqueue, job_kind

log = structlog.get_logger(__name__)

EMAIL_JOB = "notifications.email"
DIGEST_JOB = "notifications.digest"
DIGEST = "digest"
"""What an unsubscribe link names besides a kind: every digest e-mail."""
MAX_DIGEST_ITEMS = 200
PURPOSE = "tasklane-unsubscribe"
_TOKEN = re.compile(rf"^([0-9a-f]{{32}})\.([a-z_]{{1,32}})\.({signed.SIGNATURE})$")
REASONS: dict[Kind, str] = {
    Kind.ASSIGNED: "you were assigned a task",
    Kind.MENTIONED: "someone mentioned you",
    Kind.COMMENTED: "you watch this task",
    Kind.STATUS_CHANGED: "you watch this task",
    Kind.DUE_SOON: "a task assigned to you is due soon",
    Kind.ADDED: "you were added to a workspace or a project",
    Kind.WEBHOOK_DISABLED: "you administer the webhook's workspace",
}

_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("tasklane.notifications", "templates"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


# --- enqueueing (delivery.py, in the transaction that writes the notification) -------------


async def schedule(
    session: AsyncSession, notification_id: UUID, user_id: UUID, email: Email, due: datetime | None
) -> None:
    if email is Email.IMMEDIATE:
        await enqueue(
            session,
            EMAIL_JOB,
            {"notification_id": str(notification_id)},
            unique_key=f"email:{notification_id}",
        )
    elif email is Email.DIGEST and due is not None:
        await enqueue(
            session,
            DIGEST_JOB,
            {"user_id": str(user_id)},
            run_at=due,
            unique_key=f"digest:{user_id}:{due.isoformat()}",
        )


# --- unsubscribe links ----------------------------------------------------------------------


def unsubscribe_url(settings: Settings, user_id: UUID, what: str) -> str:
    sig = signed.signature(settings.signing_key, PURPOSE, user_id.hex, what)
    return f"{settings.public_url.rstrip('/')}/unsubscribe/{user_id.hex}.{what}.{sig}"


def read_unsubscribe_token(settings: Settings, token: str) -> tuple[UUID, str]:
    """The person and the kind (or `digest`) a link names; 404 for anything not signed here."""
    match = _TOKEN.match(token)
    if match is not None and (match[2] == DIGEST or match[2] in Kind.__members__.values()):
        user_id = UUID(hex=match[1])
        if signed.matches(match[3], settings.signing_key, PURPOSE, user_id.hex, match[2]):
            return user_id, match[2]
    raise NotFound("This unsubscribe link is not valid.", code="invalid_unsubscribe_link")


def unsubscribe_page(settings: Settings, what: str, *, done: bool) -> str:
    return _templates.get_template("unsubscribe.html.j2").render(
        what=what_it_stops(what), done=done, settings_url=_settings_url(settings)
    )


def what_it_stops(what: str) -> str:
    if what == DIGEST:
        return "the daily digest e-mail"
    return f"e-mails for: {DESCRIPTIONS[Kind(what)]}"


async def unsubscribe(session: AsyncSession, user_id: UUID, what: str) -> None:
    """Turn off the e-mail `what` names (a kind, or every kind sent as a digest)."""
    row = await session.get(NotificationSettings, user_id, with_for_update=True)
    if row is None:
        row = NotificationSettings(user_id=user_id, channels={}, digest_hour=DEFAULT_DIGEST_HOUR)
        session.add(row)
    channels = dict(row.channels)
    for kind in Kind:
        in_app, email = channels_of(row, kind)
        if kind.value == what or (what == DIGEST and email is Email.DIGEST):
            channels[kind.value] = {"in_app": in_app.value, "email": Email.OFF.value}
    row.channels = channels
    row.updated_at = utcnow()
    # What is owed already is not sent either (for a digest: anything pending, as a digest
    # job would take it).
    owed = and_(Notification.user_id == user_id, Notification.emailed_at.is_(None))
    if what != DIGEST:
        owed = and_(owed, Notification.type == what)
    await session.execute(update(Notification).where(owed).values(email_due_at=None))


# --- composing ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Item:
    summary: str
    count: int


@dataclass(slots=True)
class _Group:
    task_key: str | None
    task_title: str | None
    task_url: str | None
    items: list[_Item] = field(default_factory=list)


def _message(
    settings: Settings, to: User, subject: str, text: str, html: str, unsubscribe: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = formataddr((to.name, to.email))
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="tasklane")
    message["Auto-Submitted"] = "auto-generated"
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def _settings_url(settings: Settings) -> str:
    return f"{settings.public_url.rstrip('/')}/account#notifications"


async def _task_links(
    session: AsyncSession, settings: Settings, task_ids: Sequence[UUID]
) -> dict[UUID, tuple[str, str, str]]:
    """Key, title and web address of each task still there."""
    if not task_ids:
        return {}
    rows = await session.execute(
        select(Task.id, Project.key, Task.number, Task.title, Workspace.slug)
        .join(Project, Project.id == Task.project_id)
        .join(Workspace, Workspace.id == Project.workspace_id)
        .where(Task.id.in_(task_ids), Task.deleted_at.is_(None))
    )
    base = settings.public_url.rstrip("/")
    return {
        task_id: (f"{key}-{n}", title, f"{base}/{slug}/t/{key}-{n}")
        for task_id, key, n, title, slug in rows.all()
    }


def compose_one(
    settings: Settings, user: User, n: Notification, task: tuple[str, str, str] | None
) -> EmailMessage:
    kind = Kind(n.type)
    context: dict[str, Any] = {
        "summary": n.summary,
        "task_key": task[0] if task else None,
        "task_title": task[1] if task else None,
        "task_url": task[2] if task else None,
        "reason": REASONS[kind],
        "unsubscribe_url": unsubscribe_url(settings, user.id, kind.value),
        "settings_url": _settings_url(settings),
    }
    return _message(
        settings,
        user,
        n.summary if len(n.summary) <= 150 else n.summary[:149] + "…",
        _templates.get_template("notification.txt.j2").render(context),
        _templates.get_template("notification.html.j2").render(context),
        context["unsubscribe_url"],
    )


def compose_digest(
    settings: Settings,
    user: User,
    items: Sequence[Notification],
    tasks: dict[UUID, tuple[str, str, str]],
    hour: int,
) -> EmailMessage:
    groups: dict[UUID | None, _Group] = {}
    for n in items:
        task = tasks.get(n.task_id) if n.task_id else None
        key = n.task_id if task else None
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group(*(task or (None, None, None)))
        group.items.append(_Item(n.summary, int(n.data.get("count", 1))))
    ordered = [g for k, g in groups.items() if k is not None] + (
        [groups[None]] if None in groups else []
    )
    count = len(items)
    link = unsubscribe_url(settings, user.id, DIGEST)
    context = {
        "count": count,
        "groups": ordered,
        "hour": f"{hour:02d}",
        "zone": user.time_zone or "UTC",
        "unsubscribe_url": link,
        "settings_url": _settings_url(settings),
    }
    subject = f"Your Tasklane digest: {count} notification{'s' if count != 1 else ''}"
    return _message(
        settings,
        user,
        subject,
        _templates.get_template("digest.txt.j2").render(context),
        _templates.get_template("digest.html.j2").render(context),
        link,
    )


# --- the jobs -------------------------------------------------------------------------------


async def _finish(
    ctx: JobContext, ids: Sequence[UUID], *, sent: bool, error: str | None = None
) -> None:
    """No mail is owed for `ids` any more: it went (`sent`), failed for good (`error`), or is
    not wanted."""
    now = utcnow()
    async with ctx.db.transaction() as session:
        for n in await session.scalars(select(Notification).where(Notification.id.in_(ids))):
            n.email_due_at = None
            if sent:
                n.emailed_at = now
            if error is not None:
                n.data = {**n.data, "email_error": error[:500]}


@job_kind(EMAIL_JOB, max_attempts=12)
async def send_one(ctx: JobContext, payload: dict[str, Any]) -> None:
    async with ctx.db.transaction(write=False) as session:
        n = await session.get(Notification, UUID(payload["notification_id"]))
        if n is None or n.emailed_at is not None or n.email_due_at is None:
            return  # sent already, or no longer wanted
        user = await session.get_one(User, n.user_id)
        tasks = await _task_links(session, ctx.settings, [n.task_id] if n.task_id else [])
    if not user.is_active:
        return
    message = compose_one(ctx.settings, user, n, tasks.get(n.task_id) if n.task_id else None)
    try:
        await mail.send(ctx.settings, message)
    except mail.Undeliverable as exc:
        log.warning("mail_undeliverable", notification_id=str(n.id), error=str(exc))
        await _finish(ctx, [n.id], sent=False, error=str(exc))
        return
    await _finish(ctx, [n.id], sent=True)


@job_kind(DIGEST_JOB, max_attempts=12)
async def send_digest(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Everything owed to the person as a digest by now, unread, in one mail; nothing when
    there is nothing (what they read in the app meanwhile is not mailed)."""
    user_id = UUID(payload["user_id"])
    now = utcnow()
    async with ctx.db.transaction(write=False) as session:
        user = await session.get_one(User, user_id)
        row = await session.get(NotificationSettings, user_id)
        pending = list(
            await session.scalars(
                select(Notification)
                .where(
                    Notification.user_id == user_id,
                    Notification.emailed_at.is_(None),
                    Notification.email_due_at <= now,
                )
                .order_by(Notification.created_at)
                .limit(MAX_DIGEST_ITEMS)
            )
        )
        owed = [n for n in pending if n.data.get("email") == Email.DIGEST.value]
        unread = [n for n in owed if n.read_at is None]
        tasks = await _task_links(session, ctx.settings, [n.task_id for n in unread if n.task_id])
    read_meanwhile = [n.id for n in owed if n.read_at is not None]
    if read_meanwhile:
        await _finish(ctx, read_meanwhile, sent=False)
    if not unread or not user.is_active:
        return
    hour = row.digest_hour if row is not None else DEFAULT_DIGEST_HOUR
    message = compose_digest(ctx.settings, user, unread, tasks, hour)
    try:
        await mail.send(ctx.settings, message)
    except mail.Undeliverable as exc:
        log.warning("mail_undeliverable", user_id=str(user_id), error=str(exc))
        await _finish(ctx, [n.id for n in unread], sent=False, error=str(exc))
        return
    await _finish(ctx, [n.id for n in unread], sent=True)
