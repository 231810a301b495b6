"""The worker: the event dispatcher, the job runner and the periodic scheduler, together.

It runs inside `tasklane serve` by default, or alone as `tasklane worker`. On shutdown it stops
claiming, lets running jobs finish for `shutdown_grace_seconds`, and releases the rest to the
queue (their attempt not counted), so another worker takes them up.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import traceback
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any
from uuid import UUID

import structlog

from tasklane import metrics
from tasklane.config import Settings
from tasklane.db import Database
from tasklane.events.dispatch import Consumer, Dispatcher
from tasklane.kit.aio import first_set
from tasklane.models import JobStatus
from tasklane.worker import housekeeping, jobs
from tasklane.worker.jobs import REGISTRY, Claimed, JobContext

log = structlog.get_logger(__name__)

SCHEDULE_EVERY_SECONDS = 60.0
JOB_POLL_SECONDS = 1.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class JobRunner:
    def __init__(self, settings: Settings, db: Database, *, name: str | None = None) -> None:
        self.settings = settings
        self.db = db
        self.name = name or worker_name()
        self.running: dict[UUID, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stopping: asyncio.Event) -> None:
        self.db.on_signal("jobs", self.wake)
        try:
            while not stopping.is_set():
                self._wake.clear()
                free = self.settings.worker_concurrency - len(self.running)
                if free > 0:
                    try:
                        self.start(await self._claim(free))
                    except Exception:
                        log.warning("job_claim_failed", exc_info=True)
                waiters: list[asyncio.Future[Any]] = [*self.running.values()]
                waiters.append(asyncio.ensure_future(first_set(self._wake, stopping)))
                try:
                    await asyncio.wait(
                        waiters, timeout=JOB_POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED
                    )
                finally:
                    waiters[-1].cancel()
        finally:
            await self.drain()

    async def run_due(self) -> int:
        """Claim and run every due job now, waiting for them (tests and `tasklane jobs run`)."""
        total = 0
        while claimed := await self._claim(self.settings.worker_concurrency):
            total += len(claimed)
            self.start(claimed)
            await asyncio.gather(*self.running.values(), return_exceptions=True)
        return total

    async def _claim(self, limit: int) -> list[Claimed]:
        return await jobs.claim(
            self.db, worker=self.name, limit=limit, lease_seconds=self.settings.job_lease_seconds
        )

    def start(self, claimed: Sequence[Claimed]) -> None:
        for job in claimed:
            task = asyncio.create_task(self._execute(job), name=f"job-{job.kind}-{job.id}")
            self.running[job.id] = task
            task.add_done_callback(partial(self._forget, job.id))

    def _forget(self, job_id: UUID, _: object) -> None:
        self.running.pop(job_id, None)

    async def drain(self) -> None:
        """Wait for running jobs up to the grace period, then release what is left."""
        if not self.running:
            return
        _, pending = await asyncio.wait(
            list(self.running.values()), timeout=self.settings.shutdown_grace_seconds
        )
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _execute(self, job: Claimed) -> None:
        log_ = log.bind(job_id=str(job.id), kind=job.kind, attempt=job.attempts)
        kind = REGISTRY.get(job.kind)
        if kind is None or job.attempts > job.max_attempts:
            why = f"no handler for {job.kind!r}" if kind is None else "its worker kept dying"
            await jobs.fail(
                self.db,
                Claimed(job.id, job.kind, job.payload, job.max_attempts, job.max_attempts),
                worker=self.name,
                error=why,
                settings=self.settings,
            )
            metrics.JOB_ATTEMPTS.labels(job.kind, "failed").inc()
            log_.error("job_failed", error=why)
            return
        lease = asyncio.create_task(self._keep_lease(job.id))
        context = JobContext(self.settings, self.db, job.id, job.attempts, self.name)
        try:
            await kind.handler(context, job.payload)
        except asyncio.CancelledError:
            lease.cancel()
            with contextlib.suppress(Exception):
                await jobs.release(self.db, [job.id], worker=self.name)
            metrics.JOB_ATTEMPTS.labels(job.kind, "released").inc()
            log_.info("job_released")
            raise
        except Exception as exc:
            lease.cancel()
            error = "".join(traceback.format_exception_only(exc)).strip()
            status = await jobs.fail(
                self.db, job, worker=self.name, error=error, settings=self.settings
            )
            outcome = "failed" if status is JobStatus.FAILED else "retry"
            metrics.JOB_ATTEMPTS.labels(job.kind, outcome).inc()
            log_.warning("job_attempt_failed", error=error, now=status.value)
            return
        lease.cancel()
        await jobs.succeed(self.db, job.id, worker=self.name)
        metrics.JOB_ATTEMPTS.labels(job.kind, "succeeded").inc()
        log_.debug("job_succeeded")

    async def _keep_lease(self, job_id: UUID) -> None:
        every = self.settings.job_lease_seconds / 3
        while True:
            await asyncio.sleep(every)
            try:
                await jobs.extend_lease(
                    self.db,
                    [job_id],
                    worker=self.name,
                    lease_seconds=self.settings.job_lease_seconds,
                )
            except Exception:
                log.warning("job_lease_extension_failed", job_id=str(job_id), exc_info=True)


class Worker:
    def __init__(self, settings: Settings, db: Database, consumers: Sequence[Consumer]) -> None:
        self.settings = settings
        self.db = db
        self.dispatcher = Dispatcher(settings, db, consumers)
        self.jobs = JobRunner(settings, db)
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._guard(self.dispatcher.run), name="tasklane-dispatcher"),
            asyncio.create_task(self._guard(self.jobs.run), name="tasklane-jobs"),
            asyncio.create_task(self._schedule(), name="tasklane-scheduler"),
        ]
        log.info("worker_started", name=self.jobs.name)

    async def stop(self) -> None:
        self._stopping.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        log.info("worker_stopped", name=self.jobs.name)

    async def wait(self) -> None:
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _guard(self, run: Callable[[asyncio.Event], Awaitable[None]]) -> None:
        """Keep a loop alive through unexpected errors (a database restart, say)."""
        while not self._stopping.is_set():
            try:
                await run(self._stopping)
            except Exception:
                log.exception("worker_loop_failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=2.0)

    async def _schedule(self) -> None:
        while not self._stopping.is_set():
            try:
                await housekeeping.schedule_periodic(self.db)
            except Exception:
                log.warning("schedule_failed", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=SCHEDULE_EVERY_SECONDS)
