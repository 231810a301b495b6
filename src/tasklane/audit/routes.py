from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime

from tasklane.api import new_router
from tasklane.audit import service
from tasklane.audit.schemas import AuditEntryRead
from tasklane.auth.principal import CurrentPrincipal
from tasklane.db import DbSession
from tasklane.errors import ValidationFailed
from tasklane.kit.pagination import Page, PageParams, page_params
from tasklane.runtime import CurrentRuntime
from tasklane.security import client_address

router = new_router(prefix="/workspaces", tags=["audit"])
Paging = Annotated[PageParams, Depends(page_params)]


async def audit_filters(
    actor: Annotated[UUID | None, Query(description="Only this user's actions.")] = None,
    action: Annotated[
        str | None,
        Query(
            max_length=64,
            description="An action (`member.role_changed`), or a kind ending in a dot (`auth.`).",
        ),
    ] = None,
    since: Annotated[
        AwareDatetime | None, Query(description="From this time on (with a zone).")
    ] = None,
    until: Annotated[
        AwareDatetime | None, Query(description="Before this time (with a zone).")
    ] = None,
) -> service.AuditFilters:
    return service.AuditFilters(
        actor=actor, action=action, since=_utc(since, "since"), until=_utc(until, "until")
    )


def _utc(moment: datetime | None, field: str) -> datetime | None:
    if moment is None:
        return None
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 pushed past the calendar by its offset
        raise ValidationFailed.for_field(field, "The time is out of range.") from None


Filters = Annotated[service.AuditFilters, Depends(audit_filters)]
MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}


@router.get("/{workspace_id}/audit-log")
async def list_audit_log(
    workspace_id: UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    filters: Filters,
    page: Paging,
) -> Page[AuditEntryRead]:
    """The workspace's audit log, newest first (owners and admins): sign-ins and failed
    sign-ins, two-factor and password changes, API tokens and sessions of its members, and
    its own member, invitation and settings changes, each with who, when, from which address
    and details. Filter by `actor` (a user id), `action` (exact, or a kind such as `auth.`),
    and a time range (`since` inclusive, `until` exclusive). Account-level rows (sign-ins)
    are those of the people who are members now. Needs the `admin` scope with an API token."""
    return await service.list_audit_log(
        session,
        principal,
        workspace_id=workspace_id,
        filters=filters,
        limit=page.limit,
        cursor=page.cursor,
    )


@router.get(
    "/{workspace_id}/audit-log/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "JSON Lines (one entry per line) or CSV with a header row.",
            "content": {"application/x-ndjson": {}, "text/csv": {}},
        }
    },
)
async def export_audit_log(
    workspace_id: UUID,
    request: Request,
    principal: CurrentPrincipal,
    rt: CurrentRuntime,
    filters: Filters,
    format: Annotated[service.ExportFormat, Query(description="`jsonl` or `csv`.")] = "jsonl",
) -> StreamingResponse:
    """Download the workspace's audit log with the same filters as the list, newest first,
    streamed (owners and admins). The export itself is recorded (`audit.exported`). Needs
    the `admin` scope with an API token."""
    lines = await service.start_export(
        rt,
        principal,
        workspace_id=workspace_id,
        filters=filters,
        format=format,
        address=client_address(request),
    )
    stamp = f"audit-log-{workspace_id}.{format}"
    return StreamingResponse(
        lines,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{stamp}"'},
    )
