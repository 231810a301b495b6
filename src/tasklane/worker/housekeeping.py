"""Periodic housekeeping jobs, and their schedule.

Each periodic job is enqueued once per time slot with a unique key made of its kind and the
slot number, so any number of workers scheduling at once add it once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import delete, or_

from tasklane.api import purge_idempotency_records
from tasklane.archive.jobs import schedule_backup
from tasklane.archive.service import CLEANUP_EVERY, CLEANUP_JOB
from tasklane.attachments.jobs import SWEEP_EVERY, SWEEP_JOB
from tasklane.db import Database
from tasklane.imports.jobs import SWEEP_EVERY as IMPORT_SWEEP_EVERY
from tasklane.imports.jobs import SWEEP_JOB as IMPORT_SWEEP_JOB
from tasklane.kit.clock import utcnow
from tasklane.models import Job, JobStatus, WebhookDelivery
from tasklane.notifications.due import DUE_SOON_JOB
from tasklane.tasks.service import purge_trash
from tasklane.worker.jobs import JobContext, enqueue, job_kind

log = structlog.get_logger(__name__)

SUCCEEDED_JOB_RETENTION = timedelta(days=7)
FAILED_JOB_RETENTION = timedelta(days=30)

PURGE_TRASH = "housekeeping.purge_trash"
PURGE_IDEMPOTENCY = "housekeeping.purge_idempotency"
PURGE_JOBS = "housekeeping.purge_jobs"
PURGE_DELIVERIES = "housekeeping.purge_webhook_deliveries"
DELIVERY_RETENTION = timedelta(days=30)

PERIODIC: tuple[tuple[str, timedelta], ...] = (
    (PURGE_TRASH, timedelta(hours=1)),
    (PURGE_IDEMPOTENCY, timedelta(hours=1)),
    (PURGE_JOBS, timedelta(hours=6)),
    (DUE_SOON_JOB, timedelta(hours=1)),
    (PURGE_DELIVERIES, timedelta(hours=6)),
    (SWEEP_JOB, SWEEP_EVERY),
    (CLEANUP_JOB, CLEANUP_EVERY),
    (IMPORT_SWEEP_JOB, IMPORT_SWEEP_EVERY),
)


@job_kind(PURGE_TRASH, max_attempts=3)
async def _purge_trash(ctx: JobContext, _: dict[str, Any]) -> None:
    async with ctx.db.transaction() as session:
        purged = await purge_trash(session, retention_days=ctx.settings.trash_retention_days)
    log.info("trash_purged", tasks=purged)


@job_kind(PURGE_IDEMPOTENCY, max_attempts=3)
async def _purge_idempotency(ctx: JobContext, _: dict[str, Any]) -> None:
    async with ctx.db.transaction() as session:
        purged = await purge_idempotency_records(
            session, retention_hours=ctx.settings.idempotency_retention_hours
        )
    log.info("idempotency_records_purged", records=purged)


@job_kind(PURGE_JOBS, max_attempts=3)
async def _purge_jobs(ctx: JobContext, _: dict[str, Any]) -> None:
    now = utcnow()
    async with ctx.db.transaction() as session:
        result = await session.execute(
            delete(Job).where(
                or_(
                    (Job.status == JobStatus.SUCCEEDED.value)
                    & (Job.finished_at < now - SUCCEEDED_JOB_RETENTION),
                    (Job.status == JobStatus.FAILED.value)
                    & (Job.finished_at < now - FAILED_JOB_RETENTION),
                )
            )
        )
    log.info("jobs_purged", jobs=int(getattr(result, "rowcount", 0) or 0))


@job_kind(PURGE_DELIVERIES, max_attempts=3)
async def _purge_deliveries(ctx: JobContext, _: dict[str, Any]) -> None:
    """Webhook deliveries that are done (delivered or given up) fall out of the log after
    DELIVERY_RETENTION; pending ones stay whatever their age."""
    async with ctx.db.transaction() as session:
        result = await session.execute(
            delete(WebhookDelivery).where(
                WebhookDelivery.status != "pending",
                WebhookDelivery.created_at < utcnow() - DELIVERY_RETENTION,
            )
        )
    log.info("webhook_deliveries_purged", deliveries=int(getattr(result, "rowcount", 0) or 0))


async def schedule_periodic(db: Database) -> int:
    """Enqueue each periodic job for the current slot unless it already is; how many added."""
    now = utcnow()
    added = 0
    async with db.transaction() as session:
        for kind, every in PERIODIC:
            slot = int(now.timestamp() // every.total_seconds())
            added += await enqueue(session, kind, unique_key=f"{kind}@{slot}", run_at=now)
        added += await schedule_backup(session, db.settings)
    return added
