"""The job table's operations: enqueue, claim, finish, retry.

A job runs at least once. Claiming marks it `running` under a lease; a worker that dies leaves
the lease to expire, and the job is claimed again. A failed attempt is retried after an
exponentially growing delay with jitter; after `max_attempts` it stays `failed` until someone
retries it (`tasklane jobs retry`).

Claims take `FOR UPDATE SKIP LOCKED` rows on PostgreSQL, so concurrent workers never claim the
same job; on SQLite the single write connection serialises claimers.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from uuid import UUID

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.config import Settings
from tasklane.db import Database, emit_after_commit
from tasklane.errors import Conflict, NotFound
from tasklane.kit.clock import utcnow
from tasklane.kit.ids import new_id
from tasklane.kit.sql import insert_ignore
from tasklane.models import Job, JobStatus

DEFAULT_MAX_ATTEMPTS = 8
_RANDOM = random.Random()  # noqa: S311 - jitter, not security
ERROR_LIMIT = 4000


@dataclass(frozen=True, slots=True)
class JobContext:
    settings: Settings
    db: Database
    job_id: UUID
    attempt: int
    worker: str


Handler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class JobKind:
    name: str
    handler: Handler
    max_attempts: int = DEFAULT_MAX_ATTEMPTS


REGISTRY: dict[str, JobKind] = {}


def job_kind(
    name: str, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS
) -> Callable[[Handler], Handler]:
    """Register a handler for jobs of kind `name`. Handlers must tolerate running twice."""

    def register(handler: Handler) -> Handler:
        REGISTRY[name] = JobKind(name, handler, max_attempts)
        return handler

    return register


@dataclass(frozen=True, slots=True)
class Claimed:
    id: UUID
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    run_at: datetime | None = None,
    unique_key: str | None = None,
    max_attempts: int | None = None,
) -> bool:
    """Add a job in the caller's transaction (so it exists only if the caller commits).
    With `unique_key`, a second job with the same key is not added; False then."""
    registered = REGISTRY.get(kind)
    if registered is None:
        raise ValueError(f"unknown job kind {kind!r}")
    now = utcnow()
    values = {
        "kind": kind,
        "payload": payload or {},
        "status": JobStatus.QUEUED.value,
        "attempts": 0,
        "max_attempts": max_attempts or registered.max_attempts,
        "run_at": run_at or now,
        "unique_key": unique_key,
        "created_at": now,
        "updated_at": now,
    }
    if unique_key is None:
        session.add(Job(**values))
        added = True
    else:
        added = await insert_ignore(session, Job, {"id": new_id(), **values})
    if added:
        emit_after_commit(session, "jobs")
    return added


async def claim(db: Database, *, worker: str, limit: int, lease_seconds: int) -> list[Claimed]:
    """Take up to `limit` due jobs for `worker`: queued ones whose time has come, and running
    ones whose lease expired (their worker died). Only kinds this code has a handler for: in a
    rolling upgrade an old worker leaves a new kind of job to the new workers."""
    now = utcnow()
    due = or_(
        and_(Job.status == JobStatus.QUEUED.value, Job.run_at <= now),
        and_(Job.status == JobStatus.RUNNING.value, Job.locked_until < now),
    )
    ids = (
        select(Job.id)
        .where(due, Job.kind.in_(sorted(REGISTRY)))
        .order_by(Job.run_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    async with db.transaction() as session:
        rows = (
            await session.execute(
                update(Job)
                .where(Job.id.in_(ids))
                .values(
                    status=JobStatus.RUNNING.value,
                    attempts=Job.attempts + 1,
                    locked_by=worker,
                    locked_until=now + timedelta(seconds=lease_seconds),
                    updated_at=now,
                )
                .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts)
                .execution_options(synchronize_session=False)
            )
        ).all()
    return [Claimed(r.id, r.kind, dict(r.payload), r.attempts, r.max_attempts) for r in rows]


def _held(worker: str, *job_ids: UUID) -> Any:
    """Only the worker holding a job may finish it: after a lost lease it is someone else's."""
    return and_(Job.id.in_(job_ids), Job.locked_by == worker, Job.status == JobStatus.RUNNING.value)


async def succeed(db: Database, job_id: UUID, *, worker: str) -> None:
    now = utcnow()
    async with db.transaction() as session:
        await session.execute(
            update(Job)
            .where(_held(worker, job_id))
            .values(
                status=JobStatus.SUCCEEDED.value,
                locked_by=None,
                locked_until=None,
                finished_at=now,
                updated_at=now,
                last_error=None,
            )
        )


def backoff_seconds(attempt: int, settings: Settings, rng: random.Random | None = None) -> float:
    """Delay before retry number `attempt` (1-based): base·2^(attempt-1), capped, with "equal
    jitter" (between half and all of it), so delays grow and retries of many jobs spread."""
    ceiling = min(
        settings.job_backoff_max_seconds, settings.job_backoff_seconds * 2.0 ** (attempt - 1)
    )
    jitter: float = (rng or _RANDOM).uniform(0, ceiling / 2)
    return ceiling / 2 + jitter


async def fail(
    db: Database, job: Claimed, *, worker: str, error: str, settings: Settings
) -> JobStatus:
    """Record a failed attempt: back to the queue after a delay, or `failed` for good."""
    now = utcnow()
    final = job.attempts >= job.max_attempts
    values: dict[str, Any] = {
        "locked_by": None,
        "locked_until": None,
        "last_error": error[:ERROR_LIMIT],
        "updated_at": now,
    }
    if final:
        values |= {"status": JobStatus.FAILED.value, "finished_at": now}
    else:
        delay = timedelta(seconds=backoff_seconds(job.attempts, settings))
        values |= {"status": JobStatus.QUEUED.value, "run_at": now + delay}
    async with db.transaction() as session:
        await session.execute(update(Job).where(_held(worker, job.id)).values(**values))
    return JobStatus.FAILED if final else JobStatus.QUEUED


async def release(db: Database, job_ids: Sequence[UUID], *, worker: str) -> None:
    """Give back jobs interrupted by a shutdown: queued again at once, the attempt not counted."""
    if not job_ids:
        return
    now = utcnow()
    async with db.transaction() as session:
        await session.execute(
            update(Job)
            .where(_held(worker, *job_ids))
            .values(
                status=JobStatus.QUEUED.value,
                attempts=Job.attempts - 1,
                locked_by=None,
                locked_until=None,
                run_at=now,
                updated_at=now,
            )
        )


async def extend_lease(
    db: Database, job_ids: Sequence[UUID], *, worker: str, lease_seconds: int
) -> None:
    now = utcnow()
    async with db.transaction() as session:
        await session.execute(
            update(Job)
            .where(_held(worker, *job_ids))
            .values(locked_until=now + timedelta(seconds=lease_seconds), updated_at=now)
        )


async def retry(session: AsyncSession, job_id: UUID) -> Job:
    """Queue a failed job again with a fresh set of attempts."""
    job = await session.get(Job, job_id, with_for_update=True)
    if job is None:
        raise NotFound("No such job.")
    if job.status != JobStatus.FAILED.value:
        raise Conflict(f"Only failed jobs can be retried; this one is {job.status}.")
    now = utcnow()
    job.status = JobStatus.QUEUED.value
    job.attempts = 0
    job.run_at = now
    job.finished_at = None
    job.updated_at = now
    emit_after_commit(session, "jobs")
    return job


async def list_jobs(session: AsyncSession, *, status: JobStatus | None, limit: int) -> list[Job]:
    stmt = select(Job).order_by(Job.created_at.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(Job.status == status.value)
    return list((await session.scalars(stmt)).all())


async def queue_depth(session: AsyncSession) -> dict[str, int]:
    """Jobs per status (for metrics and `tasklane jobs`)."""
    rows = await session.execute(select(Job.status, func.count()).group_by(Job.status))
    return {status: int(n) for status, n in rows.all()}


async def last_scheduled_success(session: AsyncSession, kind: str) -> datetime | None:
    """For a kind enqueued once per scheduled time, with unique keys `<kind>@<time>` (as
    scheduled backups are): when one last succeeded; before any has, when the first one still
    recorded was enqueued, so a schedule that never works ages all the same; None when none
    is recorded (nothing scheduled). Reads the unique keys' index, not the whole table."""
    succeeded = case((Job.status == JobStatus.SUCCEEDED.value, Job.finished_at))
    last, first = (
        await session.execute(
            select(func.max(succeeded), func.min(Job.created_at)).where(
                Job.unique_key >= f"{kind}@", Job.unique_key < f"{kind}A"
            )
        )
    ).one()
    return cast("datetime | None", last or first)
