"""Prometheus metrics at `/metrics`, correct with one process or many.

Two kinds of metric live here:

- **Process metrics**: counters, histograms and gauges each process updates as it works
  (requests, SQL statements, pool checkouts, WebSocket connections, job attempts). With several
  app processes, start them with `PROMETHEUS_MULTIPROC_DIR` pointing at an empty folder: each
  process then writes its values to files there and any process answers `/metrics` with the sum
  of all of them. Gauges declare how processes combine (`multiprocess_mode="livesum"`: the sum
  over live processes).
- **Scrape-time gauges**: values read from the database when `/metrics` is scraped (the event
  log head, each dispatch consumer's lag, jobs by status). They are the same whichever process
  answers, so they are computed once per scrape by the functions registered with
  `@scrape_gauge`.

Adding a metric: a process metric is a module-level `Counter` / `Histogram` / `Gauge` below
(a gauge needs `multiprocess_mode`); a database-derived one is an `async def` decorated with
`@scrape_gauge` that yields `GaugeMetricFamily` objects.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import structlog
from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import event, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tasklane.config import Environment
from tasklane.db import Database, StatementStats
from tasklane.errors import NotFound, Unauthenticated
from tasklane.kit.looplag import LoopLag
from tasklane.models import ConsumerPosition, Event, JobStatus
from tasklane.worker.jobs import last_scheduled_success, queue_depth

if TYPE_CHECKING:
    from tasklane.runtime import Runtime

log = structlog.get_logger(__name__)
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED_ROUTE = "<unmatched>"
"""The route label of requests no route matched (404s for unknown paths), so scanners cannot
create a label per path."""

REQUEST_DURATION = Histogram(
    "tasklane_http_request_duration_seconds",
    "Time from the request's arrival to the end of its response, by route template.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0),
)
EVENT_LOOP_LAG = Histogram(
    "tasklane_event_loop_lag_seconds",
    "How much later than asked the event loop ran a timer (sampled every 50 ms): the time any "
    "request waited behind work that blocked the loop.",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
REQUESTS_IN_FLIGHT = Gauge(
    "tasklane_http_requests_in_flight",
    "Requests being handled now.",
    multiprocess_mode="livesum",
)
SQL_STATEMENTS = Counter(
    "tasklane_db_statements",
    "SQL statements run while handling requests, by route template.",
    ["method", "route"],
)
SQL_SECONDS = Counter(
    "tasklane_db_statement_seconds",
    "Time spent in SQL statements while handling requests, by route template.",
    ["method", "route"],
)
POOL_CHECKED_OUT = Gauge(
    "tasklane_db_pool_checked_out",
    "Database connections checked out of the pool (in use) now.",
    ["pool"],
    multiprocess_mode="livesum",
)
WEBSOCKET_CONNECTIONS = Gauge(
    "tasklane_websocket_connections",
    "Open live-update WebSocket connections.",
    multiprocess_mode="livesum",
)
PAGE_CACHE = Counter(
    "tasklane_page_cache_reads",
    "Reads of a cacheable list page, by `result`: `hit` (sent from this process's cache) or "
    "`miss` (read from the database: not kept yet, or changed since).",
    ["result"],
)
JOB_ATTEMPTS = Counter(
    "tasklane_job_attempts",
    "Job attempts finished by this process, by job kind and outcome (`succeeded`; `retry`: "
    "failed, will run again; `failed`: failed for good; `released`: handed back at shutdown).",
    ["kind", "outcome"],
)
POOL_CAPACITY = Gauge(
    "tasklane_db_pool_capacity",
    "Connections the pool may open (size plus overflow).",
    ["pool"],
    multiprocess_mode="livesum",
)


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(
    *, method: str, route: str | None, status: int, seconds: float, stats: StatementStats
) -> None:
    """Record one finished HTTP request (called by the request middleware)."""
    label = route or UNMATCHED_ROUTE
    method = method if method in _METHODS else "OTHER"
    REQUEST_DURATION.labels(method, label, str(status)).observe(seconds)
    if stats.count:
        SQL_STATEMENTS.labels(method, label).inc(stats.count)
        SQL_SECONDS.labels(method, label).inc(stats.seconds)


# --- scrape-time gauges ----------------------------------------------------------------------

ScrapeGauge = Callable[[AsyncSession], AsyncIterator[Metric]]
_scrape_gauges: list[ScrapeGauge] = []


def scrape_gauge(fn: ScrapeGauge) -> ScrapeGauge:
    """Register an async generator that reads the database and yields metric families, run
    once per scrape in a short read transaction. Keep it to one cheap indexed query."""
    _scrape_gauges.append(fn)
    return fn


@scrape_gauge
async def _event_dispatch(session: AsyncSession) -> AsyncIterator[Metric]:
    head = int(await session.scalar(select(func.max(Event.seq))) or 0)
    family = GaugeMetricFamily(
        "tasklane_event_log_head_seq",
        "Sequence number of the newest committed event (the outbox head).",
    )
    family.add_metric([], float(head))
    yield family
    lag = GaugeMetricFamily(
        "tasklane_event_dispatch_lag_events",
        "Committed events a dispatch consumer has not handled yet (head minus its position).",
        labels=["consumer"],
    )
    for name, position in await session.execute(
        select(ConsumerPosition.name, ConsumerPosition.position)
    ):
        lag.add_metric([name], float(max(0, head - position)))
    yield lag


@scrape_gauge
async def _jobs(session: AsyncSession) -> AsyncIterator[Metric]:
    family = GaugeMetricFamily(
        "tasklane_jobs",
        "Jobs in the job table by status: `queued` is the queue depth, `failed` the jobs that "
        "gave up (replay them with `tasklane jobs retry`).",
        labels=["status"],
    )
    depth = await queue_depth(session)
    for status in JobStatus:
        family.add_metric([status.value], float(depth.get(status.value, 0)))
    yield family


@scrape_gauge
async def _backups(session: AsyncSession) -> AsyncIterator[Metric]:
    from tasklane.archive.jobs import BACKUP_JOB  # noqa: PLC0415 - the archive imports much

    family = GaugeMetricFamily(
        "tasklane_backup_last_success_timestamp_seconds",
        "When the worker last made a scheduled backup (TASKLANE_BACKUP_CRON), in Unix time; "
        "before the first one, when the first was scheduled. No sample without scheduled "
        "backups.",
    )
    when = await last_scheduled_success(session, BACKUP_JOB)
    if when is not None:
        family.add_metric([], when.timestamp())
    yield family


class _Fixed(Collector):
    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self._families


async def _scraped_families(runtime: Runtime) -> list[Metric]:
    families: list[Metric] = []
    ok = GaugeMetricFamily(
        "tasklane_metrics_database_ok",
        "1 if this scrape could read the database-derived gauges, 0 if not.",
    )
    try:
        async with runtime.db.transaction(write=False) as session:
            for gauge in _scrape_gauges:
                families.extend([family async for family in gauge(session)])
    except (OSError, SQLAlchemyError) as exc:
        # The process metrics still matter most when the database is in trouble.
        log.warning("metrics_database_unavailable", error=f"{type(exc).__name__}: {exc}")
        ok.add_metric([], 0.0)
        return [ok]
    ok.add_metric([], 1.0)
    return [ok, *families]


def is_multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROCESS_ENV))


async def render(runtime: Runtime) -> bytes:
    """The exposition text: every process's metrics, then the scrape-time gauges."""
    if is_multiprocess():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        text = generate_latest(registry)
    else:
        text = generate_latest(REGISTRY)
    scraped = CollectorRegistry()
    scraped.register(_Fixed(await _scraped_families(runtime)))
    return text + generate_latest(scraped)


# --- wiring ----------------------------------------------------------------------------------

router = APIRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus metrics. With `TASKLANE_METRICS_TOKEN` set, the scraper must send it as
    `Authorization: Bearer <token>`. Without one, open in development and test, and not served
    at all in production (404): the numbers describe the installation's traffic."""
    runtime: Runtime = request.app.state.runtime
    token = runtime.settings.metrics_token
    if token is None and runtime.settings.environment is Environment.PRODUCTION:
        raise NotFound("Metrics are served in production only with TASKLANE_METRICS_TOKEN set.")
    if token is not None:
        sent = request.headers.get("authorization", "")
        expected = f"Bearer {token.get_secret_value()}"
        if not secrets.compare_digest(sent.encode(), expected.encode()):
            raise Unauthenticated("Send the metrics token as a Bearer token.")
    return Response(await render(runtime), media_type=CONTENT_TYPE_LATEST)


def _instrument_pool(engine: AsyncEngine, name: str) -> None:
    pool: Any = engine.sync_engine.pool
    size = int(pool.size()) if hasattr(pool, "size") else 0
    overflow = max(0, int(getattr(pool, "_max_overflow", 0)))
    POOL_CAPACITY.labels(name).set(size + overflow)
    checked_out = POOL_CHECKED_OUT.labels(name)

    def _checkout(*_: Any) -> None:
        checked_out.inc()

    def _checkin(*_: Any) -> None:
        checked_out.dec()

    event.listen(engine.sync_engine, "checkout", _checkout)
    event.listen(engine.sync_engine, "checkin", _checkin)


def instrument_database(db: Database) -> None:
    """Track checked-out connections of the database's pools (writer and reader on SQLite)."""
    if db.reader is db.writer:
        _instrument_pool(db.writer, "main")
    else:
        _instrument_pool(db.writer, "writer")
        _instrument_pool(db.reader, "reader")


def _forget_this_process() -> None:
    # Live gauges (in flight, pool use) of a process that stopped must not count any more.
    # This runs at lifespan shutdown, not atexit: uvicorn re-raises SIGTERM after a graceful
    # shutdown, so atexit hooks never run. A killed process (SIGKILL) leaves its live gauges
    # until the folder is wiped, which the process manager does before starting processes.
    directory = os.environ.get(MULTIPROCESS_ENV)
    if directory and os.path.isdir(directory):
        multiprocess.mark_process_dead(os.getpid(), directory)  # type: ignore[no-untyped-call]


def _forget_on_shutdown(app: FastAPI) -> None:
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        async with inner(application) as state:
            yield state
        _forget_this_process()

    app.router.lifespan_context = lifespan


def _watch_event_loop(app: FastAPI) -> None:
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        lag = LoopLag(EVENT_LOOP_LAG.observe)
        lag.start()
        try:
            async with inner(application) as state:
                yield state
        finally:
            await lag.stop()

    app.router.lifespan_context = lifespan


def install_metrics(app: FastAPI, runtime: Runtime) -> None:
    """Serve `/metrics`, instrument this runtime's database pools and sample the event loop's
    lag while the app runs."""
    app.include_router(router)
    instrument_database(runtime.db)
    _watch_event_loop(app)
    if is_multiprocess():
        _forget_on_shutdown(app)


def worker_app(runtime: Runtime) -> FastAPI:
    """What `tasklane worker --metrics-port` serves: `/metrics` (this worker's process metrics,
    such as job attempts, and the scrape-time gauges; the same token rule as the app's) and
    `/healthz` for a liveness probe. Nothing else: the worker takes no requests."""
    from tasklane.errors import install_error_handlers  # noqa: PLC0415
    from tasklane.health.routes import healthz  # noqa: PLC0415

    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.runtime = runtime
    install_error_handlers(app)
    app.add_api_route("/healthz", healthz, methods=["GET"])
    install_metrics(app, runtime)
    return app
