"""Appending to and checking the audit log's hash chain.

Each row's `hash` is the SHA-256 of a canonical encoding (sorted-key JSON) of its content
fields and `prev_hash`; the first row's `prev_hash` is GENESIS. `seq` is the previous row's
plus one, so a deleted row leaves a gap, and an edited row no longer matches its hash.
Appends are serialised so the chain never forks: a transaction-level advisory lock on
PostgreSQL (held to commit), the file's single writer on SQLite.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pydantic_core import to_jsonable_python
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.kit.clock import utcnow
from tasklane.models import AuditEntry, User

if TYPE_CHECKING:  # tasklane.auth imports this module
    from tasklane.auth.principal import Principal

GENESIS = "0" * 64
LOCK_KEY = 0x7461736B6C616E65  # "tasklane": the advisory lock of audit appends
BATCH = 500
"""Rows read per query when verifying or exporting: memory stays bounded."""


def _actor(actor: Principal | User | None) -> tuple[UUID | None, str | None]:
    if actor is None:
        return None, None
    if isinstance(actor, User):
        return actor.id, actor.email
    return actor.user_id, actor.email


def _at(value: datetime) -> str:
    return value.isoformat(timespec="microseconds")


def content(entry: AuditEntry) -> dict[str, Any]:
    """What the hash covers, as JSON values."""
    return {
        "seq": entry.seq,
        "at": _at(entry.at),
        "actor_id": str(entry.actor_id) if entry.actor_id else None,
        "actor_email": entry.actor_email,
        "workspace_id": str(entry.workspace_id) if entry.workspace_id else None,
        "action": entry.action,
        "ip": entry.ip,
        "details": entry.details,
        "prev_hash": entry.prev_hash,
    }


def digest(entry: AuditEntry) -> str:
    encoded = json.dumps(
        content(entry), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    return hashlib.sha256(encoded).hexdigest()


async def record(
    session: AsyncSession,
    action: str,
    *,
    actor: Principal | User | None,
    workspace_id: UUID | None,
    address: str | None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append a row in the caller's transaction: one SELECT of the last row, one INSERT.
    On PostgreSQL the append lock is held until that transaction ends; keep what follows it
    short."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    last = (
        await session.execute(
            select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
        )
    ).one_or_none()
    actor_id, actor_email = _actor(actor)
    entry = AuditEntry(
        seq=last[0] + 1 if last else 1,
        at=utcnow(),
        actor_id=actor_id,
        actor_email=actor_email,
        workspace_id=workspace_id,
        action=action,
        ip=address[:64] if address else None,
        details=to_jsonable_python(details or {}),
        prev_hash=last[1] if last else GENESIS,
    )
    entry.hash = digest(entry)
    session.add(entry)
    await session.flush()
    return entry


@dataclass(frozen=True, slots=True)
class Broken:
    """The first row where the chain does not hold, and why."""

    seq: int
    reason: str

    def __str__(self) -> str:
        return f"row {self.seq}: {self.reason}"


async def rows_in_order(session: AsyncSession) -> AsyncIterator[AuditEntry]:
    after = 0
    while True:
        batch = list(
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.seq > after)
                .order_by(AuditEntry.seq)
                .limit(BATCH)
            )
        )
        for entry in batch:
            yield entry
        if len(batch) < BATCH:
            return
        after = batch[-1].seq
        session.expunge_all()


async def verify(session: AsyncSession) -> tuple[int, Broken | None]:
    """Walk the chain in batches: how many rows were checked, and the first bad row (None
    when the chain is intact)."""
    expected_seq, prev_hash, count = 1, GENESIS, 0
    async for entry in rows_in_order(session):
        if entry.seq != expected_seq:
            return count, Broken(
                entry.seq, f"row deleted: rows {expected_seq}..{entry.seq - 1} are missing"
            )
        if entry.prev_hash != prev_hash:
            return count, Broken(entry.seq, "row deleted or replaced: prev_hash does not match")
        if digest(entry) != entry.hash:
            return count, Broken(entry.seq, "content edited: hash does not match")
        prev_hash, expected_seq, count = entry.hash, entry.seq + 1, count + 1
    return count, None
