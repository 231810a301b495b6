"""The image's commands as plain processes (no container engine here): the migration Job's,
then the app's and the worker's, with the arguments and settings the Kubernetes manifests give
them, on a temporary data folder and a free port on 127.0.0.1. Both answer or run, and stop
cleanly on SIGTERM within the shutdown grace; the image's health check passes against the app.

Differences from the cluster, on purpose: SQLite in the data folder instead of PostgreSQL, no
Redis, attachments in the data folder instead of S3, loopback instead of 0.0.0.0, and a real
secret key instead of the example's placeholder."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.deploy.manifests import (
    OVERLAY,
    ROOT,
    by_kind_and_name,
    dockerfile_instructions,
    exec_form,
    only_container,
    render,
)
from tests.faults.live import free_port

BIN = Path(sys.executable).parent / "tasklane"
NOT_HERE = ("TASKLANE_STORAGE_URL", "TASKLANE_STORAGE_ENDPOINT_URL", "TASKLANE_STORAGE_REGION")
START_TIMEOUT = 30.0
METRICS_TOKEN = "deploy-test-metrics-token-0123456789"


def _manifests() -> tuple[dict[str, str], dict[str, list[str]]]:
    resources = by_kind_and_name(render(OVERLAY))
    config: dict[str, str] = resources["ConfigMap", "tasklane-config"]["data"]
    args = {
        "migrate": only_container(resources["Job", "tasklane-migrate"])["args"],
        "app": only_container(resources["Deployment", "tasklane-app"])["args"],
        "worker": only_container(resources["Deployment", "tasklane-worker"])["args"],
    }
    return config, args


def _environment(config: dict[str, str], data_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKLANE_")}
    env.update({k: v for k, v in config.items() if k not in NOT_HERE})
    env.update(
        TASKLANE_HOST="127.0.0.1",
        TASKLANE_PORT=str(port),
        TASKLANE_DATA_DIR=str(data_dir),
        TASKLANE_SECRET_KEY="deploy-test-secret-key-that-is-long-enough-0123456789",
    )
    return env


def _stop(process: subprocess.Popen[bytes], timeout: float) -> tuple[int, float]:
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(timeout)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
    return code, time.monotonic() - started


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def test_migrate_then_serve_and_worker_stop_on_sigterm(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    config, args = _manifests()
    grace = float(config["TASKLANE_SHUTDOWN_GRACE_SECONDS"])
    assert config["TASKLANE_ENVIRONMENT"] == "production"
    port, worker_port = free_port(), free_port()
    env = _environment(config, tmp_path / "data", port)
    env["TASKLANE_METRICS_TOKEN"] = METRICS_TOKEN
    # The worker's metrics port, as the manifest gives it, moved to a free one here.
    worker_args = args["worker"]
    at = worker_args.index("--metrics-port") + 1
    args["worker"] = [*worker_args[:at], str(worker_port), *worker_args[at + 1 :]]

    migrate = subprocess.run(
        [str(BIN), *args["migrate"]],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    assert (tmp_path / "data" / "tasklane.db").is_file()

    logs = {name: tmp_path / f"{name}.log" for name in ("app", "worker")}
    for name in ("app", "worker"):
        with logs[name].open("wb") as log:
            processes.append(
                subprocess.Popen(
                    [str(BIN), *args[name]],
                    env=env,
                    cwd=tmp_path,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
    app, worker = processes

    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    ready = None
    while time.monotonic() < deadline:
        assert app.poll() is None, logs["app"].read_text()
        assert worker.poll() is None, logs["worker"].read_text()
        try:
            ready = httpx.get(f"{base}/readyz", timeout=2)
        except httpx.TransportError:
            ready = None
        if (
            ready is not None
            and ready.status_code == 200
            and "running" in logs["worker"].read_text()
        ):
            break
        time.sleep(0.2)
    assert ready is not None, logs["app"].read_text()
    assert ready.status_code == 200, logs["app"].read_text()
    assert ready.json()["checks"]["database"] == "ok"
    assert httpx.get(f"{base}/healthz", timeout=5).json() == {"status": "ok"}
    assert "worker" in logs["worker"].read_text()

    # The worker's own endpoint: /healthz (its liveness probe) and /metrics with the token.
    worker_base = f"http://127.0.0.1:{worker_port}"
    assert httpx.get(f"{worker_base}/healthz", timeout=5).json() == {"status": "ok"}
    assert httpx.get(f"{worker_base}/metrics", timeout=5).status_code == 401
    scraped = httpx.get(
        f"{worker_base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=5
    )
    assert scraped.status_code == 200, scraped.text
    assert 'tasklane_jobs{status="queued"}' in scraped.text
    assert httpx.get(f"{worker_base}/api/v1/me", timeout=5).status_code == 404

    # The image's HEALTHCHECK command, as Docker would run it inside the container.
    check = next(
        i for i in dockerfile_instructions(ROOT / "Dockerfile") if i.keyword == "HEALTHCHECK"
    )
    script = exec_form(check.arguments.partition("CMD ")[2])[2]
    probe = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, timeout=20, check=False
    )
    assert probe.returncode == 0, probe.stderr

    # SIGTERM, as Kubernetes and compose send it: the app drains for the grace + 5 s at most,
    # the worker lets jobs run for the grace; idle, both exit at once and cleanly.
    worker_code, worker_took = _stop(worker, grace + 5)
    app_code, app_took = _stop(app, grace + 10)
    app_log, worker_log = logs["app"].read_text(), logs["worker"].read_text()
    assert worker_code == 0, worker_log
    assert worker_took < grace
    assert "Traceback" not in worker_log
    # uvicorn, after its graceful shutdown, re-raises the SIGTERM it caught, so a single-process
    # `serve` ends by that signal (exit status 143 in a container); anything else is a failure.
    assert app_code in {0, -signal.SIGTERM}, app_log
    assert app_took < grace
    assert "Application shutdown complete" in app_log
    assert "Traceback" not in app_log
    for stopped in (base, worker_base):
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{stopped}/healthz", timeout=2)


def test_installed_layout_finds_its_migrations(tmp_path: Path) -> None:
    """In the image the package is installed (not a checkout): tasklane.migrate looks for
    alembic.ini and migrations/ two folders above itself. Lay out the package the way the
    Dockerfile does (site-packages, plus its COPYs into lib/python3.11) and migrate from it."""
    venv = tmp_path / "opt-venv"
    lib = venv / "lib" / "python3.11"
    shutil.copytree(
        ROOT / "src" / "tasklane",
        lib / "site-packages" / "tasklane",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    copied = 0
    for instruction in dockerfile_instructions(ROOT / "Dockerfile"):
        source, _, target = instruction.arguments.partition(" ")
        if instruction.keyword == "COPY" and target.startswith("/opt/venv/"):
            destination = venv / target.removeprefix("/opt/venv/")
            if (ROOT / source).is_dir():
                shutil.copytree(
                    ROOT / source, destination, ignore=shutil.ignore_patterns("__pycache__")
                )
            else:
                shutil.copyfile(ROOT / source, destination)
            copied += 1
    assert copied == 2  # alembic.ini and migrations/
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKLANE_")}
    env.update(PYTHONPATH=str(lib / "site-packages"), TASKLANE_DATA_DIR=str(tmp_path / "data"))
    script = (
        "import sys, tasklane.migrate as m, tasklane.cli as cli; "
        "print(m.__file__, m.ROOT, sep='\\n'); sys.argv = ['tasklane', 'migrate']; cli.app()"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    module, root, *_ = result.stdout.splitlines()
    assert Path(module).is_relative_to(lib / "site-packages")
    assert Path(root) == lib
    assert "database at head" in result.stdout
