"""Scheduled backups, made by the worker (TASKLANE_BACKUP_CRON, _DIR, _KEEP).

The next time the cron expression names is enqueued as a job whose unique key is that time,
so every worker scheduling at once adds it once, and it runs when due. A run that finds its
folder already whole (a retried job) does nothing; each whole run prunes to the newest
`backup_keep` scheduled backups.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import structlog
from cronsim import CronSim
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.archive.backup import MANIFEST, backup, folder_for, prune
from tasklane.config import Settings
from tasklane.kit.clock import utcnow
from tasklane.worker.jobs import JobContext, enqueue, job_kind

log = structlog.get_logger(__name__)

BACKUP_JOB = "backup.scheduled"


def backup_root(settings: Settings) -> Path:
    return settings.backup_dir or settings.data_dir / "backups"


def next_backup(settings: Settings, now: datetime) -> datetime | None:
    if not settings.backup_cron:
        return None
    # cronsim counts in the zone of the datetime it is given: UTC, as the setting says.
    return next(CronSim(settings.backup_cron, now.astimezone(UTC)))


async def schedule_backup(session: AsyncSession, settings: Settings) -> bool:
    """Enqueue the next scheduled backup unless it already is; whether one was added."""
    when = next_backup(settings, utcnow())
    if when is None:
        return False
    moment = when.isoformat()
    return await enqueue(
        session, BACKUP_JOB, {"at": moment}, run_at=when, unique_key=f"{BACKUP_JOB}@{moment}"
    )


@job_kind(BACKUP_JOB, max_attempts=3)
async def _scheduled_backup(ctx: JobContext, payload: dict[str, Any]) -> None:
    root = backup_root(ctx.settings)
    folder = folder_for(root, datetime.fromisoformat(payload["at"]))
    if await anyio.Path(folder / MANIFEST).is_file():
        return  # made by an earlier attempt that was cut short after finishing
    manifest = await backup(ctx.settings, folder)
    removed = await anyio.to_thread.run_sync(prune, root, ctx.settings.backup_keep)
    log.info(
        "backup_made",
        folder=str(folder),
        files=len(manifest["files"]),
        bytes=sum(f["size"] for f in manifest["files"].values()),
        removed=[p.name for p in removed],
    )
