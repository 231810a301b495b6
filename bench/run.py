"""The benchmark run: datasets, servers, stages, results.

`python -m bench --profile full` is `make bench`; `--profile smoke` (`make bench-smoke`) runs
every part with tiny sizes and durations to prove the suite works, and asserts no speed.

For each backend (SQLite with one app process, PostgreSQL with two), each stage gets a fresh
copy of its dataset and freshly started servers, and adds records to the results. A stage is a
function of a `Context`; add one to `stages()` (see bench/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import secrets
import shutil
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import datasets
from bench.datasets import DatasetSpec, Manifest
from bench.insights import FLOW, FLOW_SMOKE
from bench.loadgen import METRICS_TOKEN
from bench.results import Results, machine
from bench.servers import ROOT, ServerGroup, start_group

RESULTS_DIR = ROOT / "bench" / "results"
CACHE_DIR = RESULTS_DIR / "raw" / "cache"
"""Generated SQLite datasets and manifests (PostgreSQL keeps its own as template databases)."""
PG_ADMIN_URL = os.environ.get(
    "TASKLANE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TASKLANE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
USE_REDIS = os.environ.get("TASKLANE_BENCH_REDIS", "1").lower() in {"1", "true", "yes"}
"""Give the PostgreSQL runs (two app processes) TASKLANE_REDIS_URL when Redis answers, as a
scaled deployment has it: live updates fan out and sign-in throttling is shared through Redis.
`TASKLANE_BENCH_REDIS=0` leaves it out (live updates then reach the other process by polling
the event log)."""


@dataclass(frozen=True)
class Profile:
    name: str
    standard: DatasetSpec
    big: DatasetSpec
    concurrencies: tuple[int, ...] = (1, 16, 64)
    seconds: float = 6
    paired_ceiling_seconds: float = 2
    warmup_seconds: float = 3
    crosscheck_concurrency: int = 16
    crosscheck_seconds: float = 4
    growth_concurrencies: tuple[int, ...] = (1, 16)
    growth_seconds: float = 6
    mixed_levels: tuple[int, ...] = (100, 500, 1500, 3000)
    mixed_seconds: float = 45
    spawn_rate: float = 100
    think: tuple[float, float] = (5.0, 15.0)
    storm_level: int = 500
    storm_rate: float = 25
    storm_seconds: float = 60
    storm_tail_seconds: float = 5
    password_hash: tuple[int, int, int] | None = None
    """argon2id (time cost, memory KiB, parallelism) for the dataset and the servers; None
    keeps the server's defaults, as in production."""
    share_servers: bool = False
    """Stages on the same dataset share one database copy and one set of servers (the smoke
    run: fewer start-ups; measurements then see the earlier stages' writes)."""
    storm_hash_variant: tuple[int, int, int] | None = None
    """The login storm again with other argon2id parameters (time cost, memory KiB,
    parallelism), to separate what hashing costs from how the app handles it; None: not run
    (the server's defaults are OWASP's minimum for argon2id already)."""
    parallel_backends: bool = False
    """Run the backends side by side (the smoke run: it proves things work, it times nothing)."""
    ws_clients: int = 500
    """WebSocket clients subscribed to one project in the live-update latency stage."""
    ws_updates: int = 200
    ws_rate: float = 10.0
    """Changes per second the latency stage's writer makes, one at a time."""
    webhook_count: int = 20
    """Webhooks (`task.*`, to a receiver in the bench process) in the notify_webhooks stage; a
    workspace may have 25."""
    webhook_updates: int = 200
    webhook_rate: float = 10.0
    """Changes per second its writer makes, one at a time (as many again before the webhooks
    exist, to compare the write's own latency)."""
    notify_watchers: int = 50
    """Watchers of the task commented on (at most the project's other people)."""
    notify_comments: int = 200
    notify_rate: float = 10.0
    """Comments per second, one at a time (as many again on a task nobody watches)."""
    transfer_mb: int = 50
    """The files the attachments stage sends up and down, one after another per client."""
    big_upload_mb: int = 200
    """The one large upload of the attachments stage, during which the app's memory is read."""
    flow: DatasetSpec = FLOW
    """The insights stage's dataset (bench/insights.py)."""

    def dataset(self, name: str) -> DatasetSpec:
        return {"standard": self.standard, "big-project": self.big, "insights": self.flow}[name]


FULL = Profile("full", datasets.STANDARD, datasets.BIG_PROJECT)
SMOKE = Profile(
    "smoke",
    datasets.SMOKE,
    datasets.SMOKE,
    concurrencies=(4,),
    seconds=1,
    paired_ceiling_seconds=1,
    warmup_seconds=0,
    crosscheck_concurrency=4,
    crosscheck_seconds=0.3,
    growth_concurrencies=(2,),
    growth_seconds=0.4,
    mixed_levels=(),
    mixed_seconds=3,
    spawn_rate=50,
    think=(0.2, 0.6),
    storm_level=12,
    storm_rate=4,
    storm_seconds=2,
    storm_tail_seconds=1,
    password_hash=(1, 1024, 1),
    share_servers=True,
    storm_hash_variant=None,
    parallel_backends=True,
    ws_clients=8,
    ws_updates=5,
    webhook_count=3,
    webhook_updates=4,
    webhook_rate=20.0,
    notify_watchers=4,
    notify_comments=4,
    notify_rate=20.0,
    transfer_mb=1,
    big_upload_mb=8,
    flow=FLOW_SMOKE,
)
PROFILES = {p.name: p for p in (FULL, SMOKE)}


@dataclass(frozen=True)
class Backend:
    name: str
    processes: int
    database: str = ""

    def __post_init__(self) -> None:
        if not self.database:
            object.__setattr__(self, "database", self.name)


BACKENDS = {
    "sqlite": Backend("sqlite", 1),
    # What `tasklane serve` runs by default: one process per core.
    "sqlite-cores": Backend("sqlite-cores", max(2, len(os.sched_getaffinity(0))), "sqlite"),
    "postgres": Backend("postgres", 2),
}


@dataclass
class Context:
    """What a stage works with: a fresh database, running app servers and signed-in users."""

    profile: Profile
    backend: Backend
    results: Results
    raw: Path
    manifest: Manifest
    app: ServerGroup
    env: dict[str, str]
    tokens: dict[int, str]
    _runs: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_run(self) -> int:
        """A number unique within this stage: it keeps generated titles and bodies unique."""
        return next(self._runs)

    def record(self, section: str, **fields: Any) -> None:
        self.results.add(section, {"backend": self.backend.name, **fields})


@dataclass(frozen=True)
class Stage:
    name: str
    dataset: str
    run: Callable[[Context], None]
    server_env: tuple[tuple[str, str], ...] = ()
    """Settings this stage's servers get on top of the run's."""
    env_harmless: bool = False
    """Its settings change nothing the other stages measure: with `share_servers` the shared
    servers get them, and the stage no servers of its own."""

    @property
    def own_env(self) -> tuple[tuple[str, str], ...]:
        """The settings that need servers of their own when servers are shared."""
        return () if self.env_harmless else self.server_env


def stages(profile: Profile) -> list[Stage]:
    from bench import (  # noqa: PLC0415 - they import this
        endpoints,
        find,
        growth,
        insights,
        mixed,
        notify_webhooks,
        ws_latency,
    )

    found = [
        Stage("endpoints", "standard", endpoints.run),
        Stage("mixed", "standard", mixed.run),
    ]
    if profile.storm_hash_variant is not None:
        found.append(
            Stage(
                "storm_cheaper_hash",
                "standard",
                mixed.run_storm_variant,
                tuple(hash_env(profile.storm_hash_variant).items()),
            )
        )
    found.append(Stage("ws_latency", "standard", ws_latency.run))
    found.append(
        Stage(
            "notify_webhooks",
            "standard",
            notify_webhooks.run,
            # The receiver is on 127.0.0.1, which webhooks may not call otherwise.
            (("TASKLANE_WEBHOOK_ALLOW_PRIVATE", "true"),),
            env_harmless=True,
        )
    )
    found.append(
        Stage(
            "attachments",
            "standard",
            find.run_attachments,
            # Room for the large upload; no quota (the stage uploads for a while).
            (
                (
                    "TASKLANE_MAX_UPLOAD_BYTES",
                    str((max(profile.big_upload_mb, profile.transfer_mb) + 1) * 1024 * 1024),
                ),
                ("TASKLANE_WORKSPACE_STORAGE_QUOTA_MB", "0"),
            ),
            env_harmless=True,
        )
    )
    found.append(Stage("growth", "big-project", growth.run))
    found.append(Stage("insights", "insights", insights.run))
    return found


# --- databases -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _asyncpg_url(database: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{database}"


async def _pg(*statements: str) -> list[Any]:
    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        return [await conn.fetch(s) for s in statements]
    finally:
        await conn.close()


def pg(*statements: str) -> list[Any]:
    return asyncio.run(_pg(*statements))


def postgres_problem() -> str | None:
    try:
        pg("SELECT 1")
    except (OSError, asyncpg.PostgresError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def redis_reachable() -> bool:
    host, _, port = REDIS_URL.removeprefix("redis://").split("/", 1)[0].partition(":")
    try:
        with socket.create_connection((host, int(port or 6379)), timeout=1):
            return True
    except OSError:
        return False


def schema_version() -> str:
    """The migration head: a cached dataset is only good for the schema it was loaded into."""
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    from tasklane.migrate import alembic_config  # noqa: PLC0415

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return "+".join(sorted(script.get_heads()))


def hash_env(params: tuple[int, int, int] | None) -> dict[str, str]:
    if params is None:
        return {}
    time_cost, memory, parallelism = params
    return {
        "TASKLANE_PASSWORD_HASH_TIME_COST": str(time_cost),
        "TASKLANE_PASSWORD_HASH_MEMORY_KIB": str(memory),
        "TASKLANE_PASSWORD_HASH_PARALLELISM": str(parallelism),
    }


def _settings_for_build(profile: Profile) -> Any:
    from tasklane.config import Settings  # noqa: PLC0415

    values: dict[str, Any] = {"_env_file": None}
    if profile.password_hash is not None:
        time_cost, memory, parallelism = profile.password_hash
        values |= {
            "password_hash_time_cost": time_cost,
            "password_hash_memory_kib": memory,
            "password_hash_parallelism": parallelism,
        }
    return Settings(**values)


def dataset_manifest(
    profile: Profile, spec: DatasetSpec, cache: Path, backend: Backend
) -> tuple[Manifest, str]:
    """The cached dataset for `backend` (built on first use): its manifest and a source to
    copy (an SQLite file path, or a PostgreSQL template database name)."""
    with _BUILD_LOCK:  # Alembic keeps module-level state: one migration at a time
        return _dataset_manifest(profile, spec, cache, backend)


_BUILD_LOCK = threading.Lock()


def _dataset_manifest(
    profile: Profile, spec: DatasetSpec, cache: Path, backend: Backend
) -> tuple[Manifest, str]:
    cache.mkdir(parents=True, exist_ok=True)
    hashing = "-".join(map(str, profile.password_hash or ("default",)))
    stem = f"{spec.name}-{spec.digest()}-{schema_version()}-{hashing}"
    for stale in cache.glob(f"{spec.name}-*"):
        if not stale.name.startswith(stem):  # another schema or generator: never used again
            stale.unlink()
    manifest_path = cache / f"{stem}.json"
    if backend.database == "sqlite":
        source = cache / f"{stem}.db"
        if not (source.exists() and manifest_path.exists()):
            partial = cache / f"{stem}.partial.db"
            partial.unlink(missing_ok=True)
            url = f"sqlite+aiosqlite:///{partial}"
            manifest = datasets.build(spec, url, _settings_for_build(profile))
            partial.rename(source)
            manifest_path.write_text(manifest.to_json())
            _log(f"built {spec.name} on SQLite in {manifest.build_seconds}s: {manifest.counts}")
        return Manifest.from_json(manifest_path.read_text()), str(source)
    name = f"tasklane_bench_{stem.replace('-', '_')}"
    prefix = f"tasklane_bench_{spec.name.replace('-', '_')}_"
    for (stale,) in pg("SELECT datname FROM pg_database")[0]:
        if stale.startswith(prefix) and stale not in (name, f"{name}_partial"):
            pg(f'DROP DATABASE IF EXISTS "{stale}" WITH (FORCE)')
    exists = pg(f"SELECT 1 FROM pg_database WHERE datname = '{name}'")[0]  # noqa: S608 - our own name
    if not exists or not manifest_path.exists():
        building = f"{name}_partial"
        pg(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)', f'CREATE DATABASE "{building}"')
        manifest = datasets.build(spec, _asyncpg_url(building), _settings_for_build(profile))
        pg(
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            f'ALTER DATABASE "{building}" RENAME TO "{name}"',
        )
        manifest_path.write_text(manifest.to_json())
        _log(f"built {spec.name} on PostgreSQL in {manifest.build_seconds}s: {manifest.counts}")
    return Manifest.from_json(manifest_path.read_text()), name


def fresh_database(backend: Backend, source: str, work: Path) -> str:
    """A copy of the cached dataset that the stage may change."""
    if backend.database == "sqlite":
        work.mkdir(parents=True, exist_ok=True)
        target = work / "tasklane.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(source, target)
        return f"sqlite+aiosqlite:///{target}"
    name = f"tasklane_bench_run_{os.getpid()}_{work.name}"
    pg(
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'CREATE DATABASE "{name}" TEMPLATE "{source}"',
    )
    return _asyncpg_url(name)


def drop_database(backend: Backend, url: str) -> None:
    if backend.database == "postgres":
        name = url.rsplit("/", 1)[1]
        pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- servers ---------------------------------------------------------------------------------


def app_env(profile: Profile, backend: Backend, url: str, work: Path) -> dict[str, str]:
    """Production settings, with what a benchmark needs: day-long access tokens (so runs
    never sign in again), write rate limits off (they would turn load into 429s), no cap on
    WebSockets per address or user, and JSON request logs written to a file as in production."""
    env = {
        "TASKLANE_ENVIRONMENT": "production",
        "TASKLANE_SECRET_KEY": secrets.token_urlsafe(48),
        "TASKLANE_DATABASE_URL": url,
        "TASKLANE_DATA_DIR": str(work / "data"),
        "TASKLANE_ACCESS_TOKEN_MINUTES": "1440",
        "TASKLANE_RATE_LIMIT_ENABLED": "false",
        "TASKLANE_LOGIN_FAILURES_PER_ADDRESS": "100000",
        # Every client of the live-update stage connects from 127.0.0.1, a few per user.
        "TASKLANE_WS_MAX_PER_ADDRESS": "100000",
        "TASKLANE_WS_MAX_PER_USER": "10000",
        "TASKLANE_LOG_FORMAT": "json",
        "TASKLANE_LOG_LEVEL": "INFO",
        "TASKLANE_METRICS_TOKEN": METRICS_TOKEN,
        **hash_env(profile.password_hash),
    }
    if backend.processes > 1:
        metrics_dir = work / "prometheus"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        if USE_REDIS and redis_reachable():
            env["TASKLANE_REDIS_URL"] = REDIS_URL
            env["TASKLANE_REDIS_PREFIX"] = f"bench{os.getpid()}"
    return env


def clean_environment() -> None:
    """Settings must come from the run, not from the shell that started it."""
    for key in list(os.environ):
        if key.startswith("TASKLANE_") and not key.startswith("TASKLANE_BENCH_"):
            del os.environ[key]
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)


def sign_in(base: str, manifest: Manifest, users: list[int]) -> dict[int, str]:
    async def go() -> dict[int, str]:
        tokens: dict[int, str] = {}
        slots = asyncio.Semaphore(4)
        async with httpx.AsyncClient(base_url=base, timeout=120) as client:

            async def one(i: int) -> None:
                async with slots:
                    r = await client.post(
                        "/api/v1/auth/login",
                        json={"email": manifest.users[i]["email"], "password": manifest.password},
                    )
                r.raise_for_status()
                tokens[i] = r.json()["access_token"]

            await asyncio.gather(*(one(i) for i in users))
        return tokens

    return asyncio.run(go())


# --- the run ---------------------------------------------------------------------------------


def _log(message: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def run_stages(
    group: list[Stage],
    profile: Profile,
    backend: Backend,
    results: Results,
    raw: Path,
    cache: Path,
) -> bool:
    """Run stages that use one dataset, each on a fresh copy with fresh servers (or, with
    `share_servers`, all on one). Returns False when a stage failed."""
    if profile.share_servers:
        envs = dict.fromkeys(stage.own_env for stage in group)
        batches = [[stage for stage in group if stage.own_env == env] for env in envs]
    else:
        batches = [[stage] for stage in group]
    ok = True
    for batch in batches:
        try:
            ok = _run_batch(batch, profile, backend, results, raw, cache) and ok
        except Exception as exc:  # set-up failed: every stage of the batch is lost
            ok = False
            _failed(batch[0], backend, results, raw, exc)
    return ok


def _run_batch(
    batch: list[Stage],
    profile: Profile,
    backend: Backend,
    results: Results,
    raw: Path,
    cache: Path,
) -> bool:
    spec = profile.dataset(batch[0].dataset)
    manifest, source = dataset_manifest(profile, spec, cache, backend)
    work = raw / backend.name / "+".join(stage.name for stage in batch)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    url = fresh_database(backend, source, work)
    env = app_env(profile, backend, url, work)
    for stage in batch:  # one stage's, or those of stages whose settings are harmless to all
        env |= dict(stage.server_env)
    app = start_group(
        "tasklane", processes=backend.processes, port=free_port(), env=env, log_dir=work
    )
    ok = True
    try:
        tokens = sign_in(app.base, manifest, list(range(len(manifest.users))))
        for stage in batch:
            _log(f"{backend.name}: {stage.name}")
            began = time.monotonic()
            ctx = Context(profile, backend, results, work, manifest, app, env, tokens)
            try:
                stage.run(ctx)
                _log(f"{backend.name}: {stage.name} took {time.monotonic() - began:.0f}s")
            except Exception as exc:
                ok = False
                _failed(stage, backend, results, raw, exc)
    finally:
        app.stop()
        drop_database(backend, url)
    return ok


def _failed(stage: Stage, backend: Backend, results: Results, raw: Path, exc: Exception) -> None:
    (raw / f"{backend.name}-{stage.name}-error.txt").write_text(traceback.format_exc())
    results.note(f"{backend.name} {stage.name} failed: {type(exc).__name__}: {exc}")
    _log(f"{backend.name} {stage.name} FAILED: {exc!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="full")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--stages", default="", help="comma-separated; default: all")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    parser.add_argument(
        "--cache", type=Path, default=CACHE_DIR, help="where generated datasets are kept"
    )
    parser.add_argument(
        "--readme", action="store_true", help="update the README's Performance section"
    )
    args = parser.parse_args(argv)
    profile = PROFILES[args.profile]
    clean_environment()
    out: Path = args.out
    raw = out / "raw"
    chosen = [s for s in stages(profile) if not args.stages or s.name in args.stages.split(",")]
    backends = [BACKENDS[b] for b in args.backends.split(",") if b]

    from bench.loadgen import wrk_version  # noqa: PLC0415

    meta: dict[str, Any] = {"machine": machine(), "wrk": wrk_version(), "profile": profile.name}
    results = Results(profile.name, out, meta)
    began = time.monotonic()

    def run_backend(backend: Backend) -> bool:
        if backend.database == "postgres":
            problem = postgres_problem()
            if problem is not None:
                message = (
                    f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({problem}): its runs were "
                    "skipped. Start it, or set TASKLANE_BENCH_POSTGRES_URL."
                )
                _log(message)
                results.note(message)
                return IN_CI
            meta["postgres"] = _postgres_facts()
        ok = True
        for spec in dict.fromkeys(profile.dataset(stage.dataset) for stage in chosen):
            group = [stage for stage in chosen if profile.dataset(stage.dataset) == spec]
            ok = run_stages(group, profile, backend, results, raw, args.cache) and ok
        return not ok

    if profile.parallel_backends:
        with ThreadPoolExecutor(len(backends) or 1) as pool:
            failed = any(pool.map(run_backend, backends))
    else:
        outcomes = [run_backend(b) for b in backends]  # every backend, even after a failure
        failed = any(outcomes)
    meta["duration_minutes"] = round((time.monotonic() - began) / 60, 1)
    path = results.save()
    summary = results.write_summary()
    _log(f"results: {path}; summary: {summary}")
    if args.readme:
        from bench.report import update_readme  # noqa: PLC0415

        update_readme(results.doc, path)
    return 1 if failed else 0


def _postgres_facts() -> dict[str, str]:
    names = (
        "server_version",
        "shared_buffers",
        "synchronous_commit",
        "max_connections",
        "work_mem",
    )
    rows = pg(*(f"SHOW {n}" for n in names))
    return {n: str(r[0][0]) for n, r in zip(names, rows, strict=True)}
