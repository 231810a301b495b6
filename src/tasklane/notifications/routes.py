from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Path, Query, status
from fastapi.responses import HTMLResponse

from tasklane.api import new_router, problem_doc
from tasklane.auth.principal import CurrentPrincipal
from tasklane.db import DbSession
from tasklane.kit.pagination import Page, PageParams, page_params
from tasklane.notifications import email, service
from tasklane.notifications.schemas import (
    Box,
    Changed,
    NotificationRead,
    NotificationSettingsRead,
    NotificationSettingsWrite,
    Selection,
    Snooze,
    UnreadCount,
)
from tasklane.runtime import CurrentRuntime

router = new_router(prefix="/notifications", tags=["notifications"])
public_router = new_router(tags=["notifications"])
settings_router = new_router(prefix="/users/me/notification-settings", tags=["notifications"])
Paging = Annotated[PageParams, Depends(page_params)]


@router.get("")
async def list_notifications(
    session: DbSession,
    principal: CurrentPrincipal,
    paging: Paging,
    box: Annotated[
        Box, Query(description="`inbox` (default), `snoozed` (until they wake), `archived`.")
    ] = Box.INBOX,
    unread: Annotated[bool, Query(description="Only unread ones in the inbox.")] = False,
) -> Page[NotificationRead]:
    """Your notifications, newest first. At most 200 are listed per page; follow
    `next_cursor` for more."""
    return await service.list_notifications(
        session, principal, box=box, unread=unread, limit=paging.limit, cursor=paging.cursor
    )


@router.get("/unread-count")
async def unread_count(session: DbSession, principal: CurrentPrincipal) -> UnreadCount:
    """How many unread notifications wait in your inbox (counted up to 1000). Your WebSocket
    gets a `notification` message for each new one (subscribe to `user`)."""
    return UnreadCount(count=await service.unread_count(session, principal))


@router.post("/read")
async def mark_read(session: DbSession, principal: CurrentPrincipal, body: Selection) -> Changed:
    """Mark notifications read: `{"ids": [...]}` (at most 200), or `{"all": true}` for the
    whole inbox."""
    return Changed(changed=await service.mark_read(session, principal, body))


@router.post("/unread")
async def mark_unread(session: DbSession, principal: CurrentPrincipal, body: Selection) -> Changed:
    """Mark notifications unread again."""
    return Changed(changed=await service.mark_unread(session, principal, body))


@router.post("/archive")
async def archive(session: DbSession, principal: CurrentPrincipal, body: Selection) -> Changed:
    """Move notifications out of the inbox into the archive (they count as read)."""
    return Changed(changed=await service.archive(session, principal, body))


@router.post("/unarchive")
async def unarchive(session: DbSession, principal: CurrentPrincipal, body: Selection) -> Changed:
    """Move archived or snoozed notifications back to the inbox now."""
    return Changed(changed=await service.unarchive(session, principal, body))


@router.post("/{notification_id}/snooze", status_code=status.HTTP_204_NO_CONTENT)
async def snooze(
    session: DbSession,
    principal: CurrentPrincipal,
    notification_id: Annotated[UUID, Path()],
    body: Snooze,
) -> None:
    """Hide a notification until `until`; then it is back in the inbox, unread."""
    await service.snooze(session, principal, notification_id=notification_id, until=body.until)


@settings_router.get("")
async def get_notification_settings(
    session: DbSession, principal: CurrentPrincipal, rt: CurrentRuntime
) -> NotificationSettingsRead:
    """What you are told and how: per kind, in the app (`off`, `immediate`) and by e-mail
    (`off`, `immediate`, `digest`: one mail a day at `digest_hour` in `time_zone`), and
    per-project mutes."""
    return await service.get_settings(session, principal, rt.settings)


@settings_router.put("")
async def update_notification_settings(
    session: DbSession,
    principal: CurrentPrincipal,
    rt: CurrentRuntime,
    body: NotificationSettingsWrite,
) -> NotificationSettingsRead:
    """Change your notification settings. Only the fields sent change; `projects` replaces the
    list of project mutes; `time_zone` is your account's (an IANA name)."""
    return await service.update_settings(session, principal, rt.settings, body)


_UNSUBSCRIBE_DOC: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {}}, "description": "A page saying what the link stops."},
    404: problem_doc("Not a link this installation signed."),
}
Token = Annotated[str, Path(max_length=200)]


@public_router.get("/unsubscribe/{token}", response_class=HTMLResponse, responses=_UNSUBSCRIBE_DOC)
async def unsubscribe_page(token: Token, rt: CurrentRuntime) -> HTMLResponse:
    """The page an e-mail's unsubscribe link opens: it asks before it changes anything (mail
    scanners follow links)."""
    _, what = email.read_unsubscribe_token(rt.settings, token)
    return HTMLResponse(email.unsubscribe_page(rt.settings, what, done=False))


@public_router.post("/unsubscribe/{token}", response_class=HTMLResponse, responses=_UNSUBSCRIBE_DOC)
async def unsubscribe(token: Token, session: DbSession, rt: CurrentRuntime) -> HTMLResponse:
    """Stop the e-mail the link names, with no sign-in: the page's button, and the one-click
    unsubscribe of mail apps (RFC 8058, `List-Unsubscribe=One-Click`), which send this POST."""
    user_id, what = email.read_unsubscribe_token(rt.settings, token)
    await email.unsubscribe(session, user_id, what)
    return HTMLResponse(email.unsubscribe_page(rt.settings, what, done=True))
