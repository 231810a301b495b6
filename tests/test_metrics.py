"""Prometheus metrics: request histograms by route template, SQL statement counts that agree
with Server-Timing, pool use, scrape-time gauges from the database, the optional token, and
correct sums across several real server processes."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select, text

from tasklane.archive.backup import MANIFEST
from tasklane.archive.jobs import BACKUP_JOB, backup_root
from tasklane.events.dispatch import Dispatcher
from tasklane.kit.clock import frozen, utcnow
from tasklane.migrate import upgrade
from tasklane.models import Event, Job
from tasklane.worker import jobs
from tasklane.worker.jobs import JobContext, job_kind
from tasklane.worker.runner import JobRunner
from tests.factories import Board, expect, make_task
from tests.faults.live import LiveServer, server_env

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
TASK_ROUTE = "/api/v1/tasks/{task_ref}"


def parse(text: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """Sum over every label set that contains `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


async def scrape(client: httpx.AsyncClient, **headers: str) -> Samples:
    r = await client.get("/metrics", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return parse(r.text)


FAILS_ONCE = "test.metrics_fails_once"


@job_kind(FAILS_ONCE, max_attempts=3)
async def _fails_once(ctx: JobContext, payload: dict[str, object]) -> None:
    if ctx.attempt == 1:
        raise ValueError("the first attempt fails")


class _Recorder:
    name = "metrics-test"

    def __init__(self) -> None:
        self.seen: list[int] = []

    async def handle(self, events: Sequence[Event]) -> None:
        self.seen.extend(e.seq for e in events)


def _statements(response: httpx.Response) -> int:
    match = re.search(r'desc="(\d+) statements"', response.headers["Server-Timing"])
    assert match is not None
    return int(match.group(1))


class TestRequestMetrics:
    async def test_requests_are_counted_by_route_template_method_and_status(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        task = await make_task(client, board.member, board.pid, title="Counted")
        before = await scrape(client)
        h = board.member.headers
        for _ in range(3):
            assert (await client.get(f"/api/v1/tasks/{task['key']}", headers=h)).status_code == 200
        assert (await client.get("/api/v1/tasks/ENG-999", headers=h)).status_code == 404
        after = await scrape(client)

        def count(status: str) -> float:
            labels = {"method": "GET", "route": TASK_ROUTE, "status": status}
            name = "tasklane_http_request_duration_seconds_count"
            return value(after, name, **labels) - value(before, name, **labels)

        assert count("200") == 3
        assert count("404") == 1
        # Ids and keys never become label values.
        assert not any("ENG-" in str(labels) for _, labels in after)

    async def test_unknown_paths_share_one_label(self, client: httpx.AsyncClient) -> None:
        for n in range(3):
            await client.post(f"/api/v1/no-such-thing-{n}")
            await client.get(f"/api/v1/no-such-thing-{n}")
        samples = await scrape(client)
        assert not any("no-such-thing" in str(labels) for _, labels in samples)

    async def test_statement_counts_match_server_timing(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        task = await make_task(client, board.member, board.pid)
        before = await scrape(client)
        sent = 0
        for _ in range(4):
            r = await client.get(f"/api/v1/tasks/{task['id']}", headers=board.member.headers)
            assert r.status_code == 200
            sent += _statements(r)
        after = await scrape(client)
        name = "tasklane_db_statements_total"
        labels = {"method": "GET", "route": TASK_ROUTE}
        assert sent >= 4
        assert value(after, name, **labels) - value(before, name, **labels) == sent
        seconds = "tasklane_db_statement_seconds_total"
        assert value(after, seconds, **labels) > value(before, seconds, **labels)

    async def test_in_flight_counts_the_scrape_itself(self, client: httpx.AsyncClient) -> None:
        samples = await scrape(client)
        assert value(samples, "tasklane_http_requests_in_flight") == 1


class TestDatabaseMetrics:
    async def test_pool_use_follows_open_transactions(
        self, client: httpx.AsyncClient, app: FastAPI, backend: str
    ) -> None:
        pool = "reader" if backend == "sqlite" else "main"
        idle = await scrape(client)
        name = "tasklane_db_pool_checked_out"
        async with app.state.runtime.db.transaction(write=False) as session:
            await session.execute(text("SELECT 1"))
            busy = await scrape(client)
        again = await scrape(client)
        assert value(busy, name, pool=pool) == value(idle, name, pool=pool) + 1
        assert value(again, name, pool=pool) == value(idle, name, pool=pool)
        capacity = value(busy, "tasklane_db_pool_capacity", pool=pool)
        settings = app.state.runtime.settings
        expected = settings.database_pool_size * (1 if backend == "sqlite" else 2)
        assert capacity == expected

    async def test_event_log_head_comes_from_the_database(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        first = await scrape(client)
        assert value(first, "tasklane_metrics_database_ok") == 1
        before = value(first, "tasklane_event_log_head_seq")
        await make_task(client, board.member, board.pid)
        after = value(await scrape(client), "tasklane_event_log_head_seq")
        assert before >= 1
        assert after == before + 1


class TestLiveUpdateMetrics:
    async def test_dispatch_lag_is_the_head_minus_each_consumers_position(
        self, app: FastAPI, client: httpx.AsyncClient, board: Board
    ) -> None:
        runtime = app.state.runtime
        consumer = _Recorder()
        dispatcher = Dispatcher(runtime.settings, runtime.db, [consumer])
        await dispatcher.prepare()  # a new consumer starts at the head
        lag = "tasklane_event_dispatch_lag_events"
        assert (lag, frozenset({("consumer", consumer.name)})) in await scrape(client)
        assert value(await scrape(client), lag, consumer=consumer.name) == 0
        await make_task(client, board.member, board.pid)
        await make_task(client, board.member, board.pid)
        assert value(await scrape(client), lag, consumer=consumer.name) == 2
        assert await dispatcher.dispatch_once(consumer) == 2
        assert value(await scrape(client), lag, consumer=consumer.name) == 0

    async def test_jobs_by_status_and_attempts_by_outcome(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        runtime = app.state.runtime
        runner = JobRunner(runtime.settings, runtime.db, name="metrics-test")

        def attempts(samples: Samples, outcome: str) -> float:
            return value(samples, "tasklane_job_attempts_total", kind=FAILS_ONCE, outcome=outcome)

        before = await scrape(client)
        assert value(before, "tasklane_jobs", status="queued") == 0
        async with runtime.db.transaction() as session:
            assert await jobs.enqueue(session, FAILS_ONCE)
        queued = await scrape(client)
        assert value(queued, "tasklane_jobs", status="queued") == 1

        assert await runner.run_due() == 1
        retried = await scrape(client)
        assert attempts(retried, "retry") == attempts(before, "retry") + 1
        assert attempts(retried, "succeeded") == attempts(before, "succeeded")
        assert value(retried, "tasklane_jobs", status="queued") == 1  # waits for its retry

        async with runtime.db.transaction(write=False) as session:
            run_at = (await session.scalars(select(Job.run_at))).one()
        with frozen(max(run_at, utcnow())):
            assert await runner.run_due() == 1
        done = await scrape(client)
        assert attempts(done, "succeeded") == attempts(before, "succeeded") + 1
        assert value(done, "tasklane_jobs", status="queued") == 0
        assert value(done, "tasklane_jobs", status="succeeded") == 1
        assert value(done, "tasklane_jobs", status="failed") == 0

    async def test_the_last_scheduled_backup(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        """Absent while nothing is scheduled; before the first backup, when the first was
        scheduled (so a schedule that never works ages); then when the last one was made."""
        runtime = app.state.runtime
        runner = JobRunner(runtime.settings, runtime.db, name="metrics-test")
        gauge = "tasklane_backup_last_success_timestamp_seconds"
        assert (gauge, frozenset()) not in await scrape(client)

        scheduled_at = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
        nights = [datetime(2026, 12, day, 3, 0, tzinfo=UTC) for day in (1, 2)]
        with frozen(scheduled_at):
            async with runtime.db.transaction() as session:
                for night in nights:
                    key = f"{BACKUP_JOB}@{night.isoformat()}"
                    payload = {"at": night.isoformat()}
                    assert await jobs.enqueue(
                        session, BACKUP_JOB, payload, run_at=night, unique_key=key
                    )
                # Another kind whose name starts the same way is not a backup.
                assert await jobs.enqueue(session, FAILS_ONCE, unique_key=f"{BACKUP_JOB}x@1")
        assert value(await scrape(client), gauge) == scheduled_at.timestamp()

        made_at = nights[0] + timedelta(minutes=1)
        with frozen(made_at):
            assert await runner.run_due() == 2  # the first night's backup and the other job
        assert value(await scrape(client), gauge) == made_at.timestamp()
        assert (backup_root(runtime.settings) / "tasklane-20261201T030000Z" / MANIFEST).is_file()


class TestDatabaseDown:
    async def test_process_metrics_are_served_when_the_database_is_unreachable(
        self, tmp_path: Path
    ) -> None:
        from tasklane.app import create_app
        from tests.conftest import make_settings

        unreachable = "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"
        app = create_app(make_settings(unreachable, tmp_path / "data"))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            samples = await scrape(c)
        assert value(samples, "tasklane_metrics_database_ok") == 0
        assert value(samples, "tasklane_http_requests_in_flight") == 1
        assert ("tasklane_event_log_head_seq", frozenset()) not in samples
        await app.state.runtime.close()


class TestAccess:
    async def test_not_in_the_api_document(self, client: httpx.AsyncClient) -> None:
        spec = expect(await client.get("/api/openapi.json"), 200)
        assert "/metrics" not in spec["paths"]


class TestToken:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"metrics_token": "scrape-secret-0123456789"}

    async def test_token_is_required_when_configured(self, client: httpx.AsyncClient) -> None:
        anonymous = await client.get("/metrics")
        assert anonymous.status_code == 401
        assert anonymous.headers["content-type"] == "application/problem+json"
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        samples = await scrape(client, Authorization="Bearer scrape-secret-0123456789")
        assert value(samples, "tasklane_http_requests_in_flight") == 1


# --- several real processes ------------------------------------------------------------------


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[list[LiveServer]]:
    """Two `tasklane serve` processes on one SQLite database, sharing a metrics folder."""
    data = tmp_path / "data"
    data.mkdir()
    url = f"sqlite+aiosqlite:///{data / 'tasklane.db'}"
    upgrade(url)
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = server_env(data, url, log_level="WARNING")
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    servers = [LiveServer(env, tmp_path, args=("--no-migrate",)) for _ in range(2)]
    try:
        for server in servers:
            server.start(wait=False)
        for server in servers:
            server.wait_ready()
        yield servers
    finally:
        for server in servers:
            server.stop()


def test_several_processes_are_summed(two_servers: list[LiveServer]) -> None:
    a, b = (server.url for server in two_servers)
    assert two_servers[0].pid != two_servers[1].pid
    for _ in range(3):
        assert httpx.get(f"{a}/healthz").status_code == 200
    for _ in range(2):
        assert httpx.get(f"{b}/healthz").status_code == 200
    samples = parse(httpx.get(f"{a}/metrics").text)
    name = "tasklane_http_request_duration_seconds_count"
    assert value(samples, name, method="GET", route="/healthz", status="200") == 5
    # Scraping the other process gives the same sums.
    other = parse(httpx.get(f"{b}/metrics").text)
    assert value(other, name, method="GET", route="/healthz", status="200") == 5
    # Live gauges: each process's pool counts while it runs, and no longer once it exits.
    assert total(samples, "tasklane_db_pool_capacity", pool="reader") == 20
    two_servers[1].stop()  # SIGTERM: a graceful exit
    after = parse(httpx.get(f"{a}/metrics").text)
    assert total(after, "tasklane_db_pool_capacity", pool="reader") == 10
    assert value(after, name, method="GET", route="/healthz", status="200") == 5
