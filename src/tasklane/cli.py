"""The `tasklane` command."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
import uvicorn
from uvicorn.config import STARTUP_FAILURE

from tasklane import migrate as migrations
from tasklane.config import Environment, Settings

if TYPE_CHECKING:
    from tasklane.db import Database
    from tasklane.demo import DemoSummary

_T = TypeVar("_T")
METRICS_FOLDER_ENV = "PROMETHEUS_MULTIPROC_DIR"  # tasklane.metrics.MULTIPROCESS_ENV

app = typer.Typer(help="Tasklane: a self-hosted team task manager.", no_args_is_help=True)


def _settings() -> Settings:
    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Server processes, each with its own socket on the port (SO_REUSEPORT). "
            "Default: TASKLANE_WORKERS, else one per CPU core available.",
        ),
    ] = None,
    migrate: Annotated[bool, typer.Option(help="Apply pending migrations first.")] = True,
    worker: Annotated[
        bool,
        typer.Option(
            help="Run the worker (event dispatch, jobs) in this process; --no-worker when "
            "separate `tasklane worker` processes run it."
        ),
    ] = True,
) -> None:
    """Serve the API, the web app and live updates."""
    settings = _settings()
    if migrate:
        migrations.upgrade(settings.resolved_database_url)
    settings.signing_key  # noqa: B018 - create the development secret once, before workers fork
    if not worker:
        os.environ["TASKLANE_RUN_WORKER"] = "false"  # read by the app factory in each process
    message = start_message(settings, host or settings.host, port or settings.port)
    for line in message:
        typer.echo(line)
    options: dict[str, Any] = {
        "app": "tasklane.app:create_app",
        "factory": True,
        "host": host or settings.host,
        "port": port or settings.port,
        "log_level": settings.log_level.lower(),
        "access_log": False,  # Tasklane logs each request itself, with its request id
        # Forwarded headers are applied by the app itself, from TASKLANE_TRUSTED_PROXIES only.
        "proxy_headers": False,
        "ws": "websockets-sansio",
        "ws_ping_interval": settings.ws_ping_seconds,
        "ws_ping_timeout": settings.ws_ping_seconds,
        "timeout_graceful_shutdown": int(settings.shutdown_grace_seconds) + 5,
    }
    count = workers or settings.workers or available_cpus()
    if count == 1:
        uvicorn.run(**options)
    else:
        processes = ServerProcesses(
            options, count, settings.shutdown_grace_seconds + 10, announce=bool(message)
        )
        sys.exit(processes.run())


def available_cpus() -> int:
    """The CPUs this process may run on: its affinity mask (a container's cpuset), else the
    machine's, and no more than a cgroup v2 CPU quota allows (a container's CPU limit)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    with contextlib.suppress(OSError, ValueError):
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            cpus = min(cpus, -(-int(quota) // int(period)))
    return max(1, cpus)


def _reuseport_socket(host: str, port: int, *, reuse_port: bool = True) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


def _serve_one(options: dict[str, Any], parent: int) -> None:
    """One server process (started by `ServerProcesses`): its own socket on the shared port,
    joined to the others' with SO_REUSEPORT, so the kernel spreads new connections over the
    processes that listen. The socket listens only once the app has started."""
    try:
        sock = _reuseport_socket(options["host"], options["port"])
    except OSError as exc:
        print(f"cannot listen on {options['host']}:{options['port']}: {exc}", file=sys.stderr)  # noqa: T201
        sys.exit(STARTUP_FAILURE)
    server = uvicorn.Server(uvicorn.Config(**options))

    def watch_parent() -> None:
        # The supervisor was killed (SIGKILL): stop too, rather than serve on unsupervised.
        while os.getppid() == parent:
            time.sleep(1.0)
        server.should_exit = True

    threading.Thread(target=watch_parent, daemon=True).start()
    server.run(sockets=[sock])
    if not server.started:
        sys.exit(STARTUP_FAILURE)


class ServerProcesses:
    """`serve` with several processes: starts them, starts another when one dies, and on
    SIGTERM or SIGINT stops them all (SIGTERM, then SIGKILL after `grace` seconds).

    uvicorn's own `--workers` binds one socket in the parent and shares it, so every process
    accepts from one queue and the busiest may take most connections; here each process binds
    its own socket with SO_REUSEPORT and the kernel balances new connections between them.
    The parent first makes sure nothing else listens on the port (a bind without
    SO_REUSEPORT), so a second `tasklane serve` on the same port fails instead of silently
    sharing its connections."""

    RESTART_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0)

    def __init__(
        self, options: dict[str, Any], count: int, grace: float, *, announce: bool = True
    ) -> None:
        self.options = dict(options)
        self.count = count
        self.grace = grace
        self.announce = announce
        self._stop = threading.Event()
        self._context = multiprocessing.get_context("spawn")
        self._crashes = 0

    def run(self) -> int:
        host, port = self.options["host"], self.options["port"]
        try:
            with _reuseport_socket(host, port, reuse_port=False) as probe:
                self.options["port"] = probe.getsockname()[1]  # port 0: the same for all
        except OSError as exc:
            typer.echo(f"cannot listen on {host}:{port}: {exc}", err=True)
            return STARTUP_FAILURE
        metrics_dir = self._metrics_folder()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self._stop.set())
        if self.announce:
            typer.echo(
                f"  {self.count} server processes (--workers) on port {self.options['port']}."
            )
        processes = [self._start() for _ in range(self.count)]
        status = 0
        try:
            while not self._stop.wait(0.5):
                for index, process in enumerate(processes):
                    if process.exitcode is None:
                        continue
                    self._forget(process)
                    if process.exitcode == STARTUP_FAILURE:
                        typer.echo("a server process failed to start; stopping", err=True)
                        status = STARTUP_FAILURE
                        self._stop.set()
                        break
                    delay = self.RESTART_DELAYS[min(self._crashes, len(self.RESTART_DELAYS) - 1)]
                    self._crashes += 1
                    typer.echo(
                        f"server process {process.pid} exited ({process.exitcode}); "
                        f"starting another in {delay} s",
                        err=True,
                    )
                    if self._stop.wait(delay):
                        break
                    processes[index] = self._start()
        finally:
            self._stop_all(processes)
            if metrics_dir is not None:
                shutil.rmtree(metrics_dir, ignore_errors=True)
        return status

    def _start(self) -> multiprocessing.process.BaseProcess:
        process = self._context.Process(
            target=_serve_one, args=(self.options, os.getpid()), name="tasklane-server"
        )
        process.start()
        return process

    def _stop_all(self, processes: list[multiprocessing.process.BaseProcess]) -> None:
        for process in processes:
            if process.exitcode is None and process.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.exitcode is None:
                process.kill()
                process.join(10)

    @staticmethod
    def _metrics_folder() -> str | None:
        """Metrics summed over the processes (see tasklane.metrics): a fresh folder of our own
        unless PROMETHEUS_MULTIPROC_DIR names one."""
        if os.environ.get(METRICS_FOLDER_ENV):
            return None
        folder = tempfile.mkdtemp(prefix="tasklane-metrics-")
        os.environ[METRICS_FOLDER_ENV] = folder  # the processes are started after this
        return folder

    @staticmethod
    def _forget(process: multiprocessing.process.BaseProcess) -> None:
        """A dead process's live gauges must not count any more."""
        from prometheus_client import multiprocess  # noqa: PLC0415

        folder = os.environ.get(METRICS_FOLDER_ENV)
        if folder and process.pid is not None:
            multiprocess.mark_process_dead(process.pid, folder)  # type: ignore[no-untyped-call]


def start_message(settings: Settings, host: str, port: int) -> list[str]:
    """What to open, and how to get sample data: printed once by `serve`, before the server's
    own log lines (so not in JSON log lines, where the logs are read by machines)."""
    if settings.log_format == "json" or (
        settings.log_format == "auto" and settings.environment is Environment.PRODUCTION
    ):
        return []
    if "public_url" in settings.model_fields_set:
        url = settings.public_url
    else:
        shown = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host  # noqa: S104 - a comparison
        url = f"http://{f'[{shown}]' if ':' in shown else shown}:{port}"
    return [
        f"Tasklane: open {url} in a browser (API docs at {url.rstrip('/')}/api/docs).",
        "  Sample data: `tasklane demo` (or `make demo`) adds the Acme Robotics workspace; "
        "sign in as ada@demo.tasklane.dev, password tasklane-demo.",
    ]


class _NoSignals(uvicorn.Server):
    """A server inside a command that handles SIGTERM itself (and stops the server then)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@app.command("worker")
def run_worker(
    metrics_port: Annotated[
        int | None,
        typer.Option(help="Serve /metrics and /healthz on this port (none without it)."),
    ] = None,
    metrics_host: Annotated[
        str | None, typer.Option(help="The address to serve them on; TASKLANE_HOST without it.")
    ] = None,
) -> None:
    """Run the worker alone (event dispatch, jobs, housekeeping) until SIGTERM or Ctrl-C.
    Run as many as wanted beside `serve --no-worker`; set TASKLANE_REDIS_URL so live updates
    reach every app process."""
    from tasklane.logs import configure_logging  # noqa: PLC0415 - keep CLI start-up light
    from tasklane.metrics import worker_app  # noqa: PLC0415
    from tasklane.runtime import Runtime  # noqa: PLC0415

    settings = _settings()
    configure_logging(settings)

    host = metrics_host or settings.host
    listening: socket.socket | None = None
    if metrics_port is not None:
        try:  # before anything starts: a port in use is a clear failure, not a silent one
            listening = _reuseport_socket(host, metrics_port, reuse_port=False)
        except OSError as exc:
            typer.echo(f"cannot listen on {host}:{metrics_port}: {exc}", err=True)
            raise typer.Exit(STARTUP_FAILURE) from exc

    async def run() -> None:
        runtime = Runtime.build(settings)
        worker = runtime.new_worker()
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopping.set)
        await worker.start()
        endpoint = serving = None
        if listening is not None:
            config = uvicorn.Config(worker_app(runtime), log_config=None, access_log=False)
            endpoint = _NoSignals(config)
            serving = asyncio.create_task(endpoint.serve(sockets=[listening]))
        where = f"; /metrics on {host}:{metrics_port}" if listening else ""
        typer.echo(f"worker {worker.jobs.name} running{where}; SIGTERM or Ctrl-C stops it")
        try:
            await stopping.wait()
        finally:
            if endpoint is not None and serving is not None:
                endpoint.should_exit = True
                await serving
            await worker.stop()
            await runtime.close()

    asyncio.run(run())


jobs_app = typer.Typer(help="Inspect and retry background jobs.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")


@jobs_app.command("list")
def jobs_list(
    status: Annotated[
        str | None, typer.Option(help="queued, running, succeeded or failed.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """The newest jobs, with their state and last error."""
    from tasklane.models import JobStatus  # noqa: PLC0415
    from tasklane.runtime import Runtime  # noqa: PLC0415
    from tasklane.worker import jobs  # noqa: PLC0415

    wanted = JobStatus(status) if status else None
    settings = _settings()

    async def run() -> None:
        runtime = Runtime.build(settings)
        try:
            async with runtime.db.transaction(write=False) as session:
                depth = await jobs.queue_depth(session)
                rows = await jobs.list_jobs(session, status=wanted, limit=limit)
        finally:
            await runtime.close()
        typer.echo("jobs: " + (", ".join(f"{k} {v}" for k, v in sorted(depth.items())) or "none"))
        for job in rows:
            error = f"  {job.last_error.splitlines()[-1][:100]}" if job.last_error else ""
            typer.echo(
                f"{job.id}  {job.kind:<32} {job.status:<9} attempts {job.attempts}/"
                f"{job.max_attempts}  run_at {job.run_at:%Y-%m-%d %H:%M:%S}{error}"
            )

    asyncio.run(run())


@jobs_app.command("retry")
def jobs_retry(job_id: Annotated[str, typer.Argument(help="The id of a failed job.")]) -> None:
    """Queue a failed job again, with a fresh set of attempts."""
    from uuid import UUID  # noqa: PLC0415

    from tasklane.errors import TasklaneError  # noqa: PLC0415
    from tasklane.runtime import Runtime  # noqa: PLC0415
    from tasklane.worker import jobs  # noqa: PLC0415

    settings = _settings()

    async def run() -> str:
        runtime = Runtime.build(settings)
        try:
            async with runtime.db.transaction() as session:
                job = await jobs.retry(session, UUID(job_id))
                return job.kind
        finally:
            await runtime.close()

    try:
        kind = asyncio.run(run())
    except (TasklaneError, ValueError) as exc:
        typer.echo(f"cannot retry {job_id}: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"queued {kind} job {job_id} again")


audit_app = typer.Typer(help="Check the audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit log's hash chain: exit 0 when intact, 1 naming the first row that was
    edited or deleted."""
    from tasklane import audit  # noqa: PLC0415 - keep CLI start-up light
    from tasklane.runtime import Runtime  # noqa: PLC0415

    settings = _settings()

    async def run() -> tuple[int, audit.Broken | None]:
        runtime = Runtime.build(settings)
        try:
            async with runtime.db.transaction(write=False) as session:
                return await audit.verify(session)
        finally:
            await runtime.close()

    count, broken = asyncio.run(run())
    if broken is not None:
        typer.echo(f"audit log broken at {broken} ({count} rows before it intact)", err=True)
        raise typer.Exit(1)
    typer.echo(f"audit log intact: {count} rows")


search_app = typer.Typer(help="Check or rebuild the full-text search index.", no_args_is_help=True)
app.add_typer(search_app, name="search")


@search_app.command("check")
def search_check() -> None:
    """Compare the search index with the tasks and comments it comes from: exit 0 when it is
    exact, 1 listing the differences (then run `tasklane search reindex`)."""
    from tasklane.runtime import Runtime  # noqa: PLC0415
    from tasklane.search.index import drift  # noqa: PLC0415

    settings = _settings()

    async def run() -> list[str]:
        runtime = Runtime.build(settings)
        try:
            async with runtime.db.transaction(write=False) as session:
                return await drift(session)
        finally:
            await runtime.close()

    differences = asyncio.run(run())
    for line in differences:
        typer.echo(line, err=True)
    if differences:
        raise typer.Exit(1)
    typer.echo("search index exact")


@search_app.command("reindex")
def search_reindex() -> None:
    """Rebuild the search index from the tasks and comments, with a progress bar. Safe while
    Tasklane serves: searches see the old index until the new one commits; writes wait."""
    from rich.progress import Progress  # noqa: PLC0415

    from tasklane.runtime import Runtime  # noqa: PLC0415
    from tasklane.search.index import reindex  # noqa: PLC0415

    settings = _settings()

    async def run(progress: Progress) -> int:
        bar = progress.add_task("indexing tasks and comments", total=None)
        runtime = Runtime.build(settings)
        try:
            async with runtime.db.transaction() as session:
                return await reindex(
                    session, lambda done, total: progress.update(bar, completed=done, total=total)
                )
        finally:
            await runtime.close()

    with Progress(transient=True) as progress:
        count = asyncio.run(run(progress))
    typer.echo(f"search index rebuilt: {count} tasks and comments")


insights_app = typer.Typer(
    help="Maintain what the insights are computed from.", no_args_is_help=True
)
app.add_typer(insights_app, name="insights")


@insights_app.command("rebuild")
def insights_rebuild(
    project: Annotated[
        list[str] | None, typer.Option(help="A project's id (repeat it); all projects without.")
    ] = None,
) -> None:
    """Write the task transitions (each time a task entered a status, the table the insights
    count) again from the event log, and the task flows (each task's transitions folded into
    one row) from them. Best run while nothing writes: on PostgreSQL a write in flight is not
    waited for."""
    from uuid import UUID  # noqa: PLC0415

    from tasklane.insights import flows  # noqa: PLC0415
    from tasklane.insights.transitions import rebuild  # noqa: PLC0415
    from tasklane.runtime import Runtime  # noqa: PLC0415

    settings = _settings()
    try:
        project_ids = None if not project else [UUID(value) for value in project]
    except ValueError as exc:
        raise typer.BadParameter("not a project id", param_hint="--project") from exc

    async def run() -> tuple[int, int]:
        runtime = Runtime.build(settings)
        try:
            async with runtime.db.transaction() as session:
                # The triggers fold each task again as its rows are written; the last step
                # folds them all at once, so it also mends a table someone changed by hand.
                rows = await rebuild(session, project_ids)
                return rows, await flows.rebuild(session, project_ids)
        finally:
            await runtime.close()

    rows, tasks = asyncio.run(run())
    typer.echo(f"task transitions rebuilt: {rows} rows; task flows: {tasks} tasks")


@app.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply database migrations."""
    settings = _settings()
    migrations.upgrade(settings.resolved_database_url, revision)
    typer.echo(f"database at {revision}")


@contextlib.contextmanager
def _progress_bar(title: str) -> Any:
    """A rich progress bar with one line per stage; yields the `(what, done, total)` callback
    the archive functions report to."""
    from rich.progress import Progress  # noqa: PLC0415

    bars: dict[str, Any] = {}
    with Progress(transient=not sys.stderr.isatty()) as progress:

        def report(what: str, done: int, total: int | None) -> None:
            if what not in bars:
                bars[what] = progress.add_task(f"{title}: {what}", total=total)
            progress.update(bars[what], completed=done, total=total)

        yield report


def _archive_failure(exc: Exception) -> typer.Exit:
    typer.echo(str(exc), err=True)
    return typer.Exit(1)


def _with_progress(
    title: str,
    work: Callable[[Any], Coroutine[Any, Any, _T]],
    refusals: tuple[type[Exception], ...],
) -> _T:
    """Run `work(report)` under a progress bar; a refusal (one of `refusals`: a damaged file,
    a database that holds data, ...) is printed and ends the command with status 1."""
    try:
        with _progress_bar(title) as report:
            return asyncio.run(work(report))
    except refusals as exc:
        raise _archive_failure(exc) from exc


@contextlib.asynccontextmanager
async def _database(settings: Settings) -> AsyncIterator[Database]:
    from tasklane.db import Database  # noqa: PLC0415

    db = Database(settings)
    try:
        yield db
    finally:
        await db.dispose()


@app.command("export")
def export_workspace(
    workspace: Annotated[str, typer.Option(help="The workspace's slug.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The archive to write.")],
) -> None:
    """Export one workspace (its projects, tasks, comments, history, files and the accounts
    they name, without passwords) to an archive that `tasklane import` reads, on SQLite or
    PostgreSQL. Safe while Tasklane serves: it reads one snapshot."""
    from tasklane.archive.fileformat import ArchiveError  # noqa: PLC0415
    from tasklane.archive.workspace import ImportRefused  # noqa: PLC0415
    from tasklane.archive.workspace import export_workspace as export  # noqa: PLC0415
    from tasklane.attachments.storage import storage_for  # noqa: PLC0415

    settings = _settings()

    async def run(report: Any) -> dict[str, Any]:
        async with _database(settings) as db:
            return await export(db, storage_for(settings), workspace, output, report)

    manifest = _with_progress("exporting", run, (ArchiveError, ImportRefused))
    rows = sum(t["rows"] for t in manifest["tables"].values())
    typer.echo(f"exported {workspace!r} to {output}: {rows} rows, {len(manifest['files'])} files")
    for key in manifest.get("missing_files", []):
        typer.echo(f"warning: {key} is missing from the file store; not in the archive", err=True)


@app.command("import")
def import_workspace(
    archive: Annotated[Path, typer.Argument(help="An archive from `tasklane export`.")],
    slug: Annotated[
        str | None, typer.Option(help="Another slug, when the archive's is taken here.")
    ] = None,
) -> None:
    """Import a workspace archive, all or nothing. Accounts are matched by e-mail address;
    new ones have no password until they reset it (or sign in with single sign-on)."""
    from tasklane.archive.fileformat import ArchiveError  # noqa: PLC0415
    from tasklane.archive.workspace import ImportRefused, ImportResult, TryAgain  # noqa: PLC0415
    from tasklane.archive.workspace import import_workspace as load  # noqa: PLC0415
    from tasklane.attachments.storage import storage_for  # noqa: PLC0415

    settings = _settings()
    migrations.upgrade(settings.resolved_database_url)

    async def run(report: Any) -> ImportResult:
        async with _database(settings) as db:
            for attempt in range(10):
                try:
                    return await load(
                        db, storage_for(settings), archive, slug=slug, progress=report
                    )
                except TryAgain:
                    if attempt == 9:
                        raise
                    await asyncio.sleep(1 + settings.dispatch_save_seconds)
            raise AssertionError("unreachable")

    result = _with_progress("importing", run, (ArchiveError, ImportRefused, OSError))
    typer.echo(
        f"imported workspace {result.slug!r}: {sum(result.rows.values())} rows, "
        f"{result.files} files; accounts: {result.accounts_matched} matched by e-mail, "
        f"{result.accounts_created} new (no password yet: they reset it to sign in)"
    )
    for change in result.handles_changed:
        typer.echo(f"handle taken here, changed: {change}")


@app.command("backup")
def backup_command(
    output: Annotated[Path, typer.Option("-o", "--output", help="A new folder to write.")],
) -> None:
    """Back up the installation (database and attachments) to a new folder with a manifest
    of checksums. Safe while Tasklane serves: SQLite's online backup API, or pg_dump
    (an archive of every table where pg_dump is not installed)."""
    from tasklane.archive.backup import BackupError, backup  # noqa: PLC0415

    settings = _settings()
    manifest = _with_progress(
        "backing up", lambda report: backup(settings, output, report), (BackupError, OSError)
    )
    size = sum(f["size"] for f in manifest["files"].values())
    typer.echo(
        f"backup written to {output}: {manifest['database']['method']}, "
        f"{len(manifest['files'])} files, {size / 1e6:.1f} MB"
    )
    for key in manifest.get("missing_files", []):
        typer.echo(f"warning: {key} vanished from the file store during the backup", err=True)


@app.command("restore")
def restore_command(
    folder: Annotated[Path, typer.Argument(help="A folder written by `tasklane backup`.")],
    force: Annotated[
        bool, typer.Option(help="Replace a database that holds data (stop Tasklane first).")
    ] = False,
) -> None:
    """Restore a backup into the configured database and file store: checksums verified
    first, then the database put back and migrated to this version."""
    from tasklane.archive.backup import BackupError, restore  # noqa: PLC0415
    from tasklane.archive.fileformat import ArchiveError  # noqa: PLC0415
    from tasklane.archive.workspace import ImportRefused  # noqa: PLC0415

    settings = _settings()
    restored = _with_progress(
        "restoring",
        lambda report: restore(settings, folder, force=force, progress=report),
        (BackupError, ArchiveError, ImportRefused, OSError),
    )
    typer.echo(
        f"restored {folder} ({restored.method}, schema {restored.schema}) and "
        f"{restored.files} files; database migrated to this version"
    )


@app.command("migrate-to")
def migrate_to(
    url: Annotated[
        str, typer.Argument(help="The empty target, e.g. postgresql+asyncpg://user@host/db.")
    ],
) -> None:
    """Copy this installation's database (e.g. SQLite) into another, empty one (e.g.
    PostgreSQL), then check row counts and the event log's head. Stop Tasklane first; then
    set TASKLANE_DATABASE_URL to the new database. Attachments stay where they are."""
    from tasklane.archive.fileformat import ArchiveError  # noqa: PLC0415
    from tasklane.archive.installation import copy_installation  # noqa: PLC0415
    from tasklane.archive.workspace import ImportRefused  # noqa: PLC0415

    settings = _settings()
    if url == settings.resolved_database_url:
        raise _archive_failure(ValueError("the target is this installation's own database"))
    migrations.upgrade(settings.resolved_database_url)
    migrations.upgrade(url)
    target_settings = settings.model_copy(update={"database_url": url})

    async def run(report: Any) -> Any:
        async with _database(settings) as source, _database(target_settings) as target:
            return await copy_installation(source, target, report)

    copied = _with_progress("copying", run, (ArchiveError, ImportRefused, OSError))
    typer.echo(
        f"copied {sum(copied.rows.values())} rows in {len(copied.rows)} tables; row counts "
        f"and event head ({copied.event_head}) match. Now point TASKLANE_DATABASE_URL at it"
    )


@app.command("create-user")
def create_user(
    email: Annotated[str, typer.Option(prompt=True)],
    name: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Create an account (for the first user, or scripts)."""
    from tasklane.auth import service  # noqa: PLC0415 - keep CLI start-up light
    from tasklane.auth.schemas import RegisterRequest  # noqa: PLC0415
    from tasklane.errors import TasklaneError  # noqa: PLC0415
    from tasklane.runtime import Runtime  # noqa: PLC0415

    async def run() -> None:
        runtime = Runtime.build(Settings())
        try:
            user = await service.register(
                runtime, data=RegisterRequest(email=email, name=name, password=password)
            )
        finally:
            await runtime.close()
        typer.echo(f"created {user.email} ({user.id})")

    try:
        asyncio.run(run())
    except TasklaneError as exc:  # a refused password, an e-mail address already taken
        problems = [e.message for e in exc.errors or []] or [exc.detail or exc.title]
        typer.echo("; ".join(problems), err=True)
        raise typer.Exit(1) from exc


@app.command("reset-mfa")
def reset_mfa(email: Annotated[str, typer.Argument(help="The account's e-mail address.")]) -> None:
    """Turn off two-factor sign-in for an account that lost its app and its recovery codes.
    Check who is asking first: this leaves the password alone to guard the account."""
    from sqlalchemy import select  # noqa: PLC0415 - keep CLI start-up light

    from tasklane.auth import mfa  # noqa: PLC0415
    from tasklane.models import User  # noqa: PLC0415
    from tasklane.runtime import Runtime  # noqa: PLC0415

    async def run() -> bool:
        runtime = Runtime.build(_settings())
        try:
            async with runtime.db.transaction() as session:
                user_id = await session.scalar(select(User.id).where(User.email == email.lower()))
                if user_id is None:
                    return False
                await mfa.turn_off(session, user_id)
                return True
        finally:
            await runtime.close()

    if not asyncio.run(run()):
        typer.echo(f"no account has the address {email}", err=True)
        raise typer.Exit(1)
    typer.echo(f"two-factor sign-in is off for {email}")


@app.command("purge-trash")
def purge_trash() -> None:
    """Delete for good the tasks that have been in the trash past the retention period."""
    from tasklane.runtime import Runtime  # noqa: PLC0415
    from tasklane.tasks.service import purge_trash as purge  # noqa: PLC0415

    settings = _settings()

    async def run() -> int:
        runtime = Runtime.build(settings)
        try:
            async with runtime.db.transaction() as session:
                return await purge(session, retention_days=settings.trash_retention_days)
        finally:
            await runtime.close()

    typer.echo(f"purged {asyncio.run(run())} tasks")


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 7,
    tasks_per_project: Annotated[
        int, typer.Option(min=1, max=5000, help="Tasks in each of the four projects.")
    ] = 80,
) -> None:
    """Fill a demo workspace ("Acme Robotics") with users, projects, tasks and comments."""
    from tasklane.demo import DEMO_NAME, DEMO_PASSWORD, DemoExists, fill_demo  # noqa: PLC0415
    from tasklane.runtime import Runtime  # noqa: PLC0415

    settings = _settings()
    migrations.upgrade(settings.resolved_database_url)

    async def run() -> DemoSummary:
        runtime = Runtime.build(settings)
        try:
            return await fill_demo(runtime, seed=seed, tasks_per_project=tasks_per_project)
        finally:
            await runtime.close()

    try:
        summary = asyncio.run(run())
    except DemoExists as exc:
        typer.echo(f"{exc} Use an empty database, or sign in with the demo accounts.", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Demo workspace {DEMO_NAME!r} is ready.")
    typer.echo(
        f"  {summary.projects} projects, {summary.labels} labels, {summary.tasks} tasks "
        f"({summary.subtasks} subtasks, {summary.completed} done), {summary.relations} "
        f"relations, {summary.comments} comments"
    )
    typer.echo(
        "  by status category: "
        + ", ".join(f"{category} {n}" for category, n in summary.by_category.items())
    )
    typer.echo(f"Sign in with password {DEMO_PASSWORD!r} as:")
    for user in summary.users:
        typer.echo(f"  {user.email:<28} {user.name:<18} {user.role}")


if __name__ == "__main__":
    app()
