"""Recording events. A service calls `record` in the same transaction as its domain rows;
sequence numbers are taken right before commit, so the counter row is held only briefly and
sequence order is commit order.

After the commit, dispatchers are woken: this process's directly, other processes' on
PostgreSQL through NOTIFY, which the database delivers only when the transaction commits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import cache
from typing import Any
from uuid import UUID

import orjson
from pydantic_core import to_jsonable_python
from sqlalchemy import (
    BigInteger,
    Integer,
    Text,
    bindparam,
    cast,
    func,
    insert,
    literal,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.db import emit_after_commit, on_before_commit
from tasklane.events.types import EventType
from tasklane.kit.clock import utcnow
from tasklane.kit.rawsql import Dialect, RawConnection, RawSQL, compile_raw, timestamp
from tasklane.kit.sql import table
from tasklane.models import Counter, Event

EVENTS_COUNTER = "events"
NOTIFY_CHANNEL = "tasklane_events"
_PENDING = "pending_events"

Changes = dict[str, dict[str, Any]]


def diff(before: dict[str, Any], after: dict[str, Any]) -> Changes:
    """`{field: {"from": old, "to": new}}` for each field whose value changed."""
    return {
        name: {"from": to_jsonable_python(before.get(name)), "to": to_jsonable_python(value)}
        for name, value in after.items()
        if before.get(name) != value
    }


def created(fields: dict[str, Any]) -> Changes:
    return {name: {"from": None, "to": to_jsonable_python(v)} for name, v in fields.items()}


def record(
    session: AsyncSession,
    type: EventType,
    *,
    actor_id: UUID | None,
    workspace_id: UUID | None,
    project_id: UUID | None = None,
    task_id: UUID | None = None,
    entity_id: UUID | None = None,
    changes: Changes | None = None,
    **extra: Any,
) -> Event:
    data: dict[str, Any] = to_jsonable_python({"changes": changes or {}, **extra})
    event = Event(
        type=str(type),
        created_at=utcnow(),
        actor_id=actor_id,
        workspace_id=workspace_id,
        project_id=project_id,
        task_id=task_id,
        entity_id=entity_id,
        data=data,
    )
    session.info.setdefault(_PENDING, []).append(event)
    on_before_commit(session, _PENDING, _assign_sequence_numbers)
    emit_after_commit(session, "events")
    return event


async def redact(session: AsyncSession, *, entity_id: UUID, types: list[EventType]) -> int:
    """Take the recorded values out of the logged events of one entity (a deleted comment's
    text): their `changes` keep which fields changed, with `from` and `to` set to null. The
    events stay, so the history keeps who did what and when. Returns how many were changed."""
    kinds = [str(t) for t in types]
    rows = list(
        (
            await session.scalars(
                select(Event).where(Event.entity_id == entity_id, Event.type.in_(kinds))
            )
        ).all()
    )
    rows += [
        e for e in session.info.get(_PENDING, []) if e.entity_id == entity_id and e.type in kinds
    ]
    for event in rows:
        changes = event.data.get("changes") or {}
        blank = {name: {"from": None, "to": None} for name in changes}
        event.data = {**event.data, "changes": blank}  # a new object, so the ORM sees it
    return len(rows)


@asynccontextmanager
async def savepoint(session: AsyncSession) -> AsyncIterator[None]:
    """A savepoint that also takes back the events recorded inside it when it rolls back:
    a change undone must not leave its event to be committed."""
    pending: list[Event] = session.info.setdefault(_PENDING, [])
    mark = len(pending)
    try:
        async with session.begin_nested():
            yield
    except BaseException:
        del pending[mark:]
        raise


async def _assign_sequence_numbers(session: AsyncSession) -> None:
    pending: list[Event] = session.info.pop(_PENDING, [])
    if not pending:
        return
    # The transaction's other rows first, so what waits on the sequence (PostgreSQL's
    # counter row, held to the commit) waits only for the events' own statement.
    await session.flush()
    dialect = session.get_bind().dialect.name
    for start in range(0, len(pending), _BATCH):
        batch = pending[start : start + _BATCH]
        params = {
            f"{name}_{k}": getattr(event, name)
            for k, event in enumerate(batch, 1)
            for name in _APPENDED
        }
        statement = _append_statement(dialect, len(batch))
        seqs = (await session.execute(statement, params)).scalars()
        for event, seq in zip(batch, sorted(seqs), strict=True):
            event.seq = seq


_APPENDED = (
    "type",
    "created_at",
    "actor_id",
    "workspace_id",
    "project_id",
    "task_id",
    "entity_id",
    "data",
)
_EVENTS = table(Event)
_BATCH = 100
"""Events per statement: a bulk change's events go in a few statements, each far inside
SQLite's limits on compound selects (500) and parameters."""


@cache
def _append_statement(dialect: str, n: int) -> Any:
    """The `n` events of a transaction appended to the log with their sequence numbers in
    one statement (docs/realtime.md, "Sequence numbers"). On PostgreSQL the numbers come
    from the counter row, whose lock orders writers by commit, and the same statement wakes
    the other processes. On SQLite the write lock covers the whole file and is held from
    `BEGIN IMMEDIATE` to the commit, so the next number is the log's last one plus one."""
    batch = union_all(
        *(
            select(
                literal(k, Integer).label("k"),
                *(
                    bindparam(f"{name}_{k}", type_=_EVENTS.c[name].type).label(name)
                    for name in _APPENDED
                ),
            )
            for k in range(1, n + 1)
        )
    ).subquery("batch")
    base: Any
    source: Any
    if dialect == "postgresql":
        counter = (
            update(Counter)
            .where(Counter.name == EVENTS_COUNTER)
            .values(value=Counter.value + n)
            .returning(
                (Counter.value - n).label("base"),
                func.pg_notify(literal(NOTIFY_CHANNEL), cast(Counter.value, Text)),
            )
            .cte("counter")
        )
        base = counter.c.base
        source = counter.join(batch, true())
    else:
        # A scalar subquery: SQLite reads the index's last entry once. (As a subquery in
        # FROM it was materialised by a scan of the whole index: 9 ms at 200k events.)
        base = func.coalesce(select(func.max(Event.seq)).scalar_subquery(), 0)
        source = batch
    rows = select(base + batch.c.k, *(batch.c[name] for name in _APPENDED)).select_from(source)
    statement = insert(_EVENTS).from_select(["seq", *_APPENDED], rows).returning(_EVENTS.c.seq)
    if dialect == "postgresql":
        statement = statement.add_cte(counter)
    return statement


# --- reading the log ----------------------------------------------------------------------------

_LOG_COLUMNS = (
    Event.seq,
    Event.type,
    Event.created_at,
    Event.actor_id,
    Event.workspace_id,
    Event.project_id,
    Event.task_id,
    Event.entity_id,
    Event.data,
)
NO_END = 2**62
"""`upto` for a read of everything after a position."""


@cache
def _log_statement(dialect: Dialect) -> RawSQL:
    return compile_raw(
        select(*_LOG_COLUMNS)
        .where(
            Event.seq > bindparam("after", type_=BigInteger),
            Event.seq <= bindparam("upto", type_=BigInteger),
        )
        .order_by(Event.seq)
        .limit(bindparam("limit", type_=Integer)),
        dialect,
    )


def _uuid(value: str | None) -> UUID | None:
    return None if value is None else UUID(value)


def _event(row: Sequence[Any]) -> Event:
    seq, type_, created_at, actor_id, workspace_id, project_id, task_id, entity_id, data = row
    return Event(
        seq=seq,
        type=type_,
        created_at=timestamp(created_at),
        actor_id=_uuid(actor_id),
        workspace_id=_uuid(workspace_id),
        project_id=_uuid(project_id),
        task_id=_uuid(task_id),
        entity_id=_uuid(entity_id),
        data=orjson.loads(data) if isinstance(data, str | bytes) else data,
    )


async def read_log(raw: RawConnection, *, after: int, upto: int, limit: int) -> list[Event]:
    """The committed events with `after < seq <= upto`, in order, at most `limit`, read on
    a raw connection: the dispatcher and the hub read the log after every commit, and through
    aiosqlite's threads those reads waited behind the event loop's own work (under 500 live
    clients, 0.3 to 1.3 s each) while commits on the loop kept it busy. Not attached to any
    session: the events are for reading."""
    rows = await raw.fetch(
        _log_statement(raw.dialect), {"after": after, "upto": upto, "limit": limit}
    )
    return [_event(row) for row in rows]
