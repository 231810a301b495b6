"""The job table: enqueue, claim, retries with growing delays, the final failed state and its
replay, lost leases, graceful release, and concurrent workers on PostgreSQL."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select

from tasklane.config import Settings
from tasklane.db import Database
from tasklane.kit.clock import frozen, utcnow
from tasklane.kit.ids import new_id
from tasklane.models import Job, JobStatus
from tasklane.worker import jobs
from tasklane.worker.housekeeping import PERIODIC, schedule_periodic
from tasklane.worker.jobs import REGISTRY, JobContext, job_kind
from tasklane.worker.runner import JobRunner

FAILS = "test.always_fails"
FLAKY = "test.fails_twice"
SLOW = "test.slow"

runs: list[dict[str, Any]] = []


@job_kind(FAILS, max_attempts=4)
async def _always_fails(ctx: JobContext, payload: dict[str, Any]) -> None:
    runs.append({"job": ctx.job_id, "attempt": ctx.attempt})
    raise RuntimeError(f"boom {ctx.attempt}")


@job_kind(FLAKY, max_attempts=5)
async def _fails_twice(ctx: JobContext, payload: dict[str, Any]) -> None:
    runs.append({"job": ctx.job_id, "attempt": ctx.attempt})
    if ctx.attempt <= 2:
        raise ValueError("not yet")


@job_kind(SLOW)
async def _slow(ctx: JobContext, payload: dict[str, Any]) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.sleep(float(payload.get("seconds", 0.05)))
    runs.append({"job": ctx.job_id, "start": started, "end": loop.time(), "worker": ctx.worker})


@pytest.fixture(autouse=True)
def _clear_runs() -> Iterator[None]:
    runs.clear()
    yield
    runs.clear()


async def _enqueue(database: Database, kind: str, **kwargs: Any) -> bool:
    async with database.transaction() as session:
        return await jobs.enqueue(session, kind, **kwargs)


async def _all(database: Database) -> list[Job]:
    async with database.transaction(write=False) as session:
        return list((await session.scalars(select(Job).order_by(Job.created_at))).all())


class TestEnqueue:
    async def test_an_unknown_kind_is_refused(self, database: Database) -> None:
        with pytest.raises(ValueError, match="unknown job kind"):
            await _enqueue(database, "no.such.kind")
        assert await _all(database) == []

    async def test_a_unique_key_adds_the_job_once(self, database: Database) -> None:
        assert await _enqueue(database, SLOW, unique_key="k") is True
        assert await _enqueue(database, SLOW, unique_key="k") is False
        assert len(await _all(database)) == 1

    async def test_a_job_enqueued_in_a_rolled_back_transaction_does_not_exist(
        self, database: Database
    ) -> None:
        woken: list[str] = []
        database.on_signal("jobs", lambda: woken.append("jobs"))

        async def rolled_back() -> None:
            async with database.transaction() as session:
                await jobs.enqueue(session, SLOW)
                raise RuntimeError("rolled back")

        with pytest.raises(RuntimeError):
            await rolled_back()
        assert await _all(database) == []
        assert woken == []
        await _enqueue(database, SLOW)
        assert woken == ["jobs"]

    async def test_periodic_jobs_are_scheduled_once_per_slot(self, database: Database) -> None:
        first = await schedule_periodic(database)
        again = await schedule_periodic(database)
        assert first == len(PERIODIC)
        assert again == 0
        kinds = sorted(j.kind for j in await _all(database))
        assert kinds == sorted(kind for kind, _ in PERIODIC)


class TestRetries:
    async def test_a_failing_job_is_retried_with_growing_delays_then_fails(
        self, database: Database, settings: Settings
    ) -> None:
        runner = JobRunner(settings, database, name="w1")
        now = utcnow()
        with frozen(now):
            await _enqueue(database, FAILS)
        delays: list[float] = []
        for attempt in range(1, 5):
            with frozen(now):
                assert await runner.run_due() == 1
            (job,) = await _all(database)
            assert job.attempts == attempt
            assert job.last_error is not None
            assert f"boom {attempt}" in job.last_error
            if attempt < 4:
                assert job.status == JobStatus.QUEUED
                delay = (job.run_at - now).total_seconds()
                delays.append(delay)
                with frozen(job.run_at - timedelta(milliseconds=1)):
                    assert await runner.run_due() == 0  # not before its time
                now = job.run_at
            else:
                assert job.status == JobStatus.FAILED
                assert job.finished_at is not None
        with frozen(now + timedelta(days=1)):
            assert await runner.run_due() == 0  # failed for good: never claimed again
        assert [r["attempt"] for r in runs] == [1, 2, 3, 4]
        base = settings.job_backoff_seconds
        for n, delay in enumerate(delays, start=1):
            ceiling = base * 2 ** (n - 1)
            assert ceiling / 2 <= delay <= ceiling
        assert delays[0] <= delays[1] <= delays[2]
        assert delays[2] > delays[0]

    async def test_backoff_is_capped_and_jittered(self, settings: Settings) -> None:
        rng = random.Random(1)
        values = [jobs.backoff_seconds(30, settings, rng) for _ in range(50)]
        cap = settings.job_backoff_max_seconds
        assert all(cap / 2 <= v <= cap for v in values)
        assert len(set(values)) > 40

    async def test_a_job_that_succeeds_on_a_retry_is_done(
        self, database: Database, settings: Settings
    ) -> None:
        runner = JobRunner(settings, database, name="w1")
        await _enqueue(database, FLAKY)
        for _ in range(3):
            (job,) = await _all(database)
            with frozen(max(job.run_at, utcnow())):
                await runner.run_due()
        (job,) = await _all(database)
        assert job.status == JobStatus.SUCCEEDED
        assert job.attempts == 3
        assert job.last_error is None

    async def test_a_failed_job_can_be_retried(
        self, database: Database, settings: Settings
    ) -> None:
        runner = JobRunner(settings, database, name="w1")
        await _enqueue(database, FAILS, max_attempts=1)
        await runner.run_due()
        (job,) = await _all(database)
        assert job.status == JobStatus.FAILED
        async with database.transaction() as session:
            await jobs.retry(session, job.id)
        (job,) = await _all(database)
        assert (job.status, job.attempts, job.finished_at) == (JobStatus.QUEUED, 0, None)
        await runner.run_due()
        assert len(runs) == 2

    async def test_only_failed_jobs_can_be_retried(self, database: Database) -> None:
        await _enqueue(database, SLOW)
        (job,) = await _all(database)
        async with database.transaction() as session:
            with pytest.raises(Exception, match="Only failed jobs"):
                await jobs.retry(session, job.id)


class TestLeases:
    async def test_a_job_whose_worker_died_is_claimed_again(
        self, database: Database, settings: Settings
    ) -> None:
        await _enqueue(database, SLOW)
        taken = await jobs.claim(database, worker="dead", limit=5, lease_seconds=30)
        assert len(taken) == 1
        assert await jobs.claim(database, worker="alive", limit=5, lease_seconds=30) == []
        with frozen(utcnow() + timedelta(seconds=31)):
            again = await jobs.claim(database, worker="alive", limit=5, lease_seconds=30)
        assert [j.id for j in again] == [taken[0].id]
        assert again[0].attempts == 2
        # The dead worker's late report changes nothing: the job is no longer its own.
        await jobs.succeed(database, taken[0].id, worker="dead")
        (job,) = await _all(database)
        assert (job.status, job.locked_by) == (JobStatus.RUNNING, "alive")

    async def test_a_kind_this_release_does_not_know_is_left_for_one_that_does(
        self, database: Database
    ) -> None:
        """A rolling upgrade: a newer release enqueued a kind this code has no handler for."""
        async with database.transaction() as session:
            session.add(Job(id=new_id(), kind="from.a.newer.release", payload={}, max_attempts=3))
        await _enqueue(database, SLOW)
        taken = await jobs.claim(database, worker="old", limit=5, lease_seconds=30)
        assert [j.kind for j in taken] == [SLOW]
        newer = next(j for j in await _all(database) if j.kind == "from.a.newer.release")
        assert (newer.status, newer.attempts, newer.locked_by) == (JobStatus.QUEUED, 0, None)

    async def test_shutdown_releases_running_jobs_without_counting_the_attempt(
        self, database: Database, settings: Settings
    ) -> None:
        quick = settings.model_copy(update={"shutdown_grace_seconds": 0.1})
        runner = JobRunner(quick, database, name="w1")
        await _enqueue(database, SLOW, payload={"seconds": 30})
        stopping = asyncio.Event()
        loop = asyncio.create_task(runner.run(stopping))
        for _ in range(100):
            if runner.running:
                break
            await asyncio.sleep(0.02)
        assert runner.running
        stopping.set()
        await asyncio.wait_for(loop, timeout=10)
        (job,) = await _all(database)
        assert (job.status, job.attempts, job.locked_by) == (JobStatus.QUEUED, 0, None)
        assert runs == []


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_two_workers_never_run_the_same_job(settings: Settings) -> None:
    """Two workers, each with its own connection pool, claim from one queue at once."""
    dbs = [Database(settings), Database(settings)]
    try:
        for i in range(40):
            await _enqueue(dbs[0], SLOW, payload={"seconds": 0.02, "n": i})
        runners = [JobRunner(settings, d, name=f"w{i}") for i, d in enumerate(dbs)]
        await asyncio.gather(*(r.run_due() for r in runners))
        all_jobs = await _all(dbs[0])
    finally:
        for d in dbs:
            await d.dispose()
    assert len(runs) == 40
    assert len({r["job"] for r in runs}) == 40  # each job ran exactly once
    assert {j.status for j in all_jobs} == {JobStatus.SUCCEEDED}
    assert {j.locked_by for j in all_jobs} == {None}
    by_job: dict[UUID, list[dict[str, Any]]] = {}
    for r in runs:
        by_job.setdefault(r["job"], []).append(r)
    assert all(len(v) == 1 for v in by_job.values())
    assert {r["worker"] for r in runs} == {"w0", "w1"}  # both took part
    assert {FAILS, FLAKY, SLOW} <= set(REGISTRY)
