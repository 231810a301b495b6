from __future__ import annotations

from email.utils import format_datetime
from typing import Annotated

from fastapi import Path, Query, Request, Response, status

from tasklane.api import new_router, problem_doc
from tasklane.audit.address import ClientAddress
from tasklane.auth.principal import CurrentPrincipal
from tasklane.calendar import feeds
from tasklane.calendar.schemas import CalendarFeedRead
from tasklane.db import DbSession
from tasklane.models import CalendarFeed
from tasklane.runtime import CurrentRuntime

router = new_router(prefix="/users/me/calendar-feed", tags=["calendar"])
public_router = new_router(tags=["calendar"])


def _read(rt: CurrentRuntime, feed: CalendarFeed) -> CalendarFeedRead:
    return CalendarFeedRead(
        url=feeds.feed_url(rt.settings, feed.user_id, feed.version),
        created_at=feed.created_at,
        rotated_at=feed.rotated_at,
    )


@router.get("")
async def get_calendar_feed(principal: CurrentPrincipal, rt: CurrentRuntime) -> CalendarFeedRead:
    """Your private calendar address (made on the first call): subscribe to it in a calendar
    app to see the due dates of your open tasks. Anyone with the address can read them:
    rotate it when it leaks."""
    async with rt.db.transaction(write=False) as session:
        feed = await feeds.current(session, principal.user_id)
    if feed is None:
        async with rt.db.transaction() as session:
            feed = await feeds.ensure(session, principal.user_id)
    return _read(rt, feed)


@router.post("/rotate")
async def rotate_calendar_feed(
    session: DbSession, principal: CurrentPrincipal, rt: CurrentRuntime, address: ClientAddress
) -> CalendarFeedRead:
    """A new calendar address; the old one stops at once (404). Recorded in the audit log."""
    return _read(rt, await feeds.rotate(session, principal, address=address))


@public_router.get(
    "/ical/{token}.ics",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "The feed (RFC 5545)."},
        304: {"description": "Unchanged since the ETag sent in If-None-Match."},
        404: problem_doc("Not an address of this installation, rotated since, or deactivated."),
    },
)
async def calendar_feed(
    request: Request,
    session: DbSession,
    rt: CurrentRuntime,
    token: Annotated[str, Path(max_length=200)],
    scope: Annotated[
        feeds.FeedScope,
        Query(description="`assigned` (the default): your tasks; `watching`: tasks you watch."),
    ] = "assigned",
    project: Annotated[
        str | None, Query(max_length=10, description="Only the projects with this key.")
    ] = None,
) -> Response:
    """A calendar feed: one all-day event per open task with a due date (assigned to the
    address's owner, or watched with `scope=watching`) in the projects they can see. No
    sign-in: the address is the secret. Answers 304 to a matching `If-None-Match`."""
    rendered = await feeds.render(session, rt.settings, token, scope=scope, project_key=project)
    headers = {
        "ETag": rendered.etag,
        "Last-Modified": format_datetime(rendered.last_modified, usegmt=True),
        "Cache-Control": "private, max-age=300",
    }
    if rendered.etag in _etags(request.headers.get("if-none-match")):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(
        rendered.body,
        media_type="text/calendar; charset=utf-8",
        headers={**headers, "Content-Disposition": 'inline; filename="tasklane.ics"'},
    )


def _etags(header: str | None) -> set[str]:
    if not header:
        return set()
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}
