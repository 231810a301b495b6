"""Where tasks go in a status column: the one way to give a task an ordering key.

Every write that places a task in a column (create, status change, move, restore, bulk
changes, a status deletion moving its tasks) calls `place`, which takes the column's lock
first, so two writers never read the same neighbours and pick the same key. Keys that grow
past MAX_KEY_LENGTH (a task dragged again and again into one gap) make `place` give the
whole column fresh short keys, in the same transaction; see docs/architecture.md, "Locking"
and "Task ordering and keys".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.errors import ValidationFailed
from tasklane.events import service as events
from tasklane.events.types import EventType
from tasklane.kit.clock import utcnow
from tasklane.kit.ordering import MAX_KEY_LENGTH, keys_between
from tasklane.models import Project, Status, Task
from tasklane.tasks import queries


@dataclass(frozen=True, slots=True)
class Writer:
    """Who places the task, and in which project: for the events of a rebalance."""

    actor_id: UUID | None
    project: Project


@dataclass(frozen=True, slots=True)
class Slot:
    """Where in the column: right after or before another task of it, or at one end."""

    after_id: UUID | None = None
    before_id: UUID | None = None
    end: Literal["top", "bottom"] = "bottom"


BOTTOM = Slot()
TOP = Slot(end="top")


async def lock_columns(session: AsyncSession, status_ids: Iterable[UUID]) -> dict[UUID, str] | None:
    """Take the column locks (the status rows, FOR NO KEY UPDATE), lowest id first, and
    return the locked statuses' categories as they are now (a status deleted meanwhile is
    missing).

    PostgreSQL only (on SQLite, which has one writer at a time, None). A lock already held is
    taken again for free, so callers that lock early (before the task rows, see "Locking")
    and `place` both call this."""
    ids = sorted(set(status_ids))
    if not ids or session.get_bind().dialect.name != "postgresql":
        return None
    rows = await session.execute(
        select(Status.id, Status.category)
        .where(Status.id.in_(ids))
        .order_by(Status.id)
        .with_for_update(key_share=True, of=Status)
    )
    return {row[0]: row[1] for row in rows}


async def place(
    session: AsyncSession,
    writer: Writer,
    status_id: UUID,
    slot: Slot = BOTTOM,
    *,
    moving: UUID | None = None,
    count: int = 1,
) -> list[str]:
    """`count` new ordering keys for the slot in a column, under the column's lock. `moving`
    is the task being placed when it is already in the column (it is not its own neighbour).
    When the keys would be longer than MAX_KEY_LENGTH, every other task of the column gets a
    fresh key first (with a `task.moved` event each, so live clients follow)."""
    await lock_columns(session, [status_id])
    if count <= 0:
        return []
    low, high = await _bounds(session, status_id, slot, moving)
    keys = keys_between(low, high, count)
    if max(len(k) for k in keys) <= MAX_KEY_LENGTH:
        return keys
    return await _rebalance(session, writer, status_id, slot, moving, count, low)


async def place_at_edge(
    session: AsyncSession, writer: Writer, status_id: UUID, slot: Slot, edge: str | None
) -> str:
    """`place` for one new task at an end of a column whose lock is held and whose edge key
    was read under it (a create reads it with its number: `service._TAKE_NUMBER`)."""
    low, high = (edge, None) if slot.end == "bottom" else (None, edge)
    (key,) = keys_between(low, high, 1)
    if len(key) <= MAX_KEY_LENGTH:
        return key
    (key,) = await _rebalance(session, writer, status_id, slot, None, 1, low)
    return key


async def _bounds(
    session: AsyncSession, status_id: UUID, slot: Slot, moving: UUID | None
) -> tuple[str | None, str | None]:
    """The keys the new ones must go between."""
    if slot.after_id is not None:
        anchor = await _anchor(session, status_id, slot.after_id, "after_id", moving)
        below = await queries.neighbour(session, status_id, anchor, after=True, exclude=moving)
        return anchor, below
    if slot.before_id is not None:
        anchor = await _anchor(session, status_id, slot.before_id, "before_id", moving)
        above = await queries.neighbour(session, status_id, anchor, after=False, exclude=moving)
        return above, anchor
    if slot.end == "top":
        return None, await queries.column_edge(session, status_id, last=False, exclude=moving)
    return await queries.column_edge(session, status_id, last=True, exclude=moving), None


async def _anchor(
    session: AsyncSession, status_id: UUID, task_id: UUID, field: str, moving: UUID | None
) -> str:
    if task_id == moving:
        raise ValidationFailed.for_field(field, "A task cannot be placed next to itself.")
    position = await session.scalar(
        select(Task.position).where(
            Task.id == task_id, Task.status_id == status_id, Task.deleted_at.is_(None)
        )
    )
    if position is None:
        raise ValidationFailed.for_field(field, "That task is not in the target status.")
    return str(position)


async def _rebalance(
    session: AsyncSession,
    writer: Writer,
    status_id: UUID,
    slot: Slot,
    moving: UUID | None,
    count: int,
    low: str | None,
) -> list[str]:
    """Give the column's other live tasks evenly spread keys, leaving `count` places at the
    slot, and return the keys of those places."""
    stmt = (
        select(Task)
        .where(Task.status_id == status_id, Task.deleted_at.is_(None))
        .order_by(Task.position, Task.id)
    )
    if moving is not None:
        stmt = stmt.where(Task.id != moving)
    tasks = list((await session.scalars(stmt)).all())
    # The new keys go right after every task whose key is at most `low`.
    at = sum(1 for t in tasks if low is not None and t.position <= low)
    fresh = keys_between(None, None, len(tasks) + count)
    now = utcnow()
    project = writer.project
    for task, key in zip(tasks, fresh[:at] + fresh[at + count :], strict=True):
        if task.position == key:
            continue
        before = task.position
        task.position = key
        task.version += 1
        task.updated_at = now
        events.record(
            session,
            EventType.TASK_MOVED,
            actor_id=writer.actor_id,
            workspace_id=project.workspace_id,
            project_id=project.id,
            task_id=task.id,
            entity_id=task.id,
            changes=events.diff({"position": before}, {"position": key}),
            key=f"{project.key}-{task.number}",
            version=task.version,
            rebalanced=True,
        )
    await session.flush()
    return fresh[at : at + count]
