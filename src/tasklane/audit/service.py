"""Reading and exporting a workspace's audit log (its admins only).

A workspace's log is its own rows and the account-level rows (no workspace: sign-ins, two-factor
changes, tokens) of the people who are its members when it is read.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.audit.chain import BATCH, record
from tasklane.audit.schemas import AuditEntryRead
from tasklane.auth.principal import Principal
from tasklane.authz.access import access_workspace
from tasklane.authz.roles import Action
from tasklane.kit.pagination import Page, decode_cursor, encode_cursor, invalid_cursor
from tasklane.kit.spreadsheet import safe_cell
from tasklane.models import AuditEntry, WorkspaceMember
from tasklane.runtime import Runtime

ExportFormat = Literal["jsonl", "csv"]
CSV_COLUMNS = ("seq", "at", "actor_id", "actor_email", "workspace_id", "action", "ip", "details")


@dataclass(frozen=True, slots=True)
class AuditFilters:
    actor: UUID | None = None
    action: str | None = None
    """Exact, or a prefix when it ends with `.` (`auth.`)."""
    since: datetime | None = None
    until: datetime | None = None

    def as_details(self) -> dict[str, Any]:
        fields: dict[str, object] = {"actor": self.actor, "action": self.action}
        fields |= {"since": self.since, "until": self.until}
        return {name: value for name, value in fields.items() if value is not None}


def _read(entry: AuditEntry) -> AuditEntryRead:
    return AuditEntryRead(
        seq=entry.seq,
        at=entry.at,
        actor_id=entry.actor_id,
        actor_email=entry.actor_email,
        workspace_id=entry.workspace_id,
        action=entry.action,
        ip=entry.ip,
        details=entry.details,
        hash=entry.hash,
    )


def _query(workspace_id: UUID, filters: AuditFilters) -> Select[AuditEntry]:
    members = select(WorkspaceMember.user_id).where(WorkspaceMember.workspace_id == workspace_id)
    conditions: list[ColumnElement[bool]] = [
        or_(
            AuditEntry.workspace_id == workspace_id,
            and_(AuditEntry.workspace_id.is_(None), AuditEntry.actor_id.in_(members)),
        )
    ]
    if filters.actor is not None:
        conditions.append(AuditEntry.actor_id == filters.actor)
    if filters.action:
        if filters.action.endswith("."):
            conditions.append(AuditEntry.action.startswith(filters.action, autoescape=True))
        else:
            conditions.append(AuditEntry.action == filters.action)
    if filters.since is not None:
        conditions.append(AuditEntry.at >= filters.since)
    if filters.until is not None:
        conditions.append(AuditEntry.at < filters.until)
    return select(AuditEntry).where(*conditions).order_by(AuditEntry.seq.desc())


async def list_audit_log(
    session: AsyncSession,
    principal: Principal,
    *,
    workspace_id: UUID,
    filters: AuditFilters,
    limit: int,
    cursor: str | None,
) -> Page[AuditEntryRead]:
    await access_workspace(session, principal, workspace_id, Action.AUDIT_READ)
    stmt = _query(workspace_id, filters).limit(limit + 1)
    if cursor is not None:
        (before,) = decode_cursor(cursor, scope="audit", size=1)
        if not isinstance(before, int) or isinstance(before, bool):
            raise invalid_cursor()
        stmt = stmt.where(AuditEntry.seq < before)
    rows = list(await session.scalars(stmt))
    items = [_read(entry) for entry in rows[:limit]]
    next_cursor = encode_cursor([items[-1].seq], scope="audit") if len(rows) > limit else None
    return Page(items=items, next_cursor=next_cursor)


async def start_export(
    rt: Runtime,
    principal: Principal,
    *,
    workspace_id: UUID,
    filters: AuditFilters,
    format: ExportFormat,
    address: str,
) -> AsyncIterator[str]:
    """Authorise and record the export (`audit.exported`, committed before any row is sent),
    then the rows, newest first, read in batches in short read transactions."""
    async with rt.db.transaction() as session:
        await access_workspace(session, principal, workspace_id, Action.AUDIT_READ)
        await record(
            session,
            "audit.exported",
            actor=principal,
            workspace_id=workspace_id,
            address=address,
            details={"format": format, "filters": filters.as_details()},
        )
    return _stream(rt, workspace_id, filters, format)


async def _stream(
    rt: Runtime, workspace_id: UUID, filters: AuditFilters, format: ExportFormat
) -> AsyncIterator[str]:
    if format == "csv":
        yield ",".join(CSV_COLUMNS) + "\r\n"
    before: int | None = None
    while True:
        stmt = _query(workspace_id, filters).limit(BATCH)
        if before is not None:
            stmt = stmt.where(AuditEntry.seq < before)
        async with rt.db.transaction(write=False) as session:
            batch = [_read(entry) for entry in await session.scalars(stmt)]
        if not batch:
            return
        yield "".join(_line(item, format) for item in batch)
        if len(batch) < BATCH:
            return
        before = batch[-1].seq


def _line(item: AuditEntryRead, format: ExportFormat) -> str:
    data = item.model_dump(mode="json")
    if format == "jsonl":
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"
    out = io.StringIO()
    row = [data[c] if c != "details" else json.dumps(data[c], sort_keys=True) for c in CSV_COLUMNS]
    csv.writer(out).writerow([safe_cell(v) for v in row])
    return out.getvalue()
