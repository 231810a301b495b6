"""Real `tasklane serve` processes on 127.0.0.1, for every test that needs one (faults, fuzz,
logs, metrics across processes, the CLI).

A LiveServer starts the real command in its own process group, drains its output through a
pipe (so a file-size limit on the server never blocks its logs), waits for /readyz, and always
ends what it started: `stop()` (SIGTERM, then SIGKILL after a timeout) or `kill()` (SIGKILL,
the crash under test).
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

BIN = Path(sys.executable).parent / "tasklane"
SECRET_KEY = "live-server-secret-key-that-is-long-enough-0123456789"
READY_TIMEOUT = 60.0
SETPRIV = shutil.which("setpriv")
DROP_FILE_OVERRIDES = [
    SETPRIV or "setpriv",
    "--bounding-set=-dac_override,-dac_read_search,-fowner,-linux_immutable",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(data_dir: Path, database_url: str, **settings: object) -> dict[str, str]:
    """The environment of a test server: none of the caller's TASKLANE_ variables, cheap
    password hashing, JSON logs, and `settings` as TASKLANE_<NAME> variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKLANE_")}
    values: dict[str, object] = {
        "environment": "test",
        "data_dir": data_dir,
        "database_url": database_url,
        "secret_key": SECRET_KEY,
        "password_hash_time_cost": 1,
        "password_hash_memory_kib": 1024,
        "password_hash_parallelism": 1,
        "login_failures_per_address": 10_000,
        "signups_per_address": 10_000,
        "log_format": "json",
        "slow_request_ms": 60_000,
        **settings,
    }
    for name, value in values.items():
        env[f"TASKLANE_{name.upper()}"] = str(value)
    return env


@dataclass
class LiveServer:
    """One `tasklane serve` process; `start()` again after `kill()` or `stop()` restarts it on
    the same port and database."""

    env: dict[str, str]
    cwd: Path
    port: int = field(default_factory=free_port)
    args: tuple[str, ...] = ()
    workers: int | None = 1
    """`--workers`: one process unless a test asks for more; None leaves it to the settings
    (`TASKLANE_WORKERS`, else one per core)."""
    file_size_limit: int | None = None
    """RLIMIT_FSIZE for the server: writes past this many bytes in any file fail (EFBIG)."""
    honour_file_modes: bool = False
    """Make the server obey file permissions even when the tests run as root (by dropping the
    capabilities that override them), so a read-only file is read-only to it."""
    proc: subprocess.Popen[bytes] | None = None
    output: list[str] = field(default_factory=list)
    _drain: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def log_text(self) -> str:
        return "".join(self.output)

    def start(self, *, wait: bool = True) -> LiveServer:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        limit = self.file_size_limit

        def before_exec() -> None:
            if limit is not None:
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        workers = () if self.workers is None else ("--workers", str(self.workers))
        command = [
            *(str(BIN), "serve", "--host", "127.0.0.1", "--port", str(self.port)),
            *workers,
            *self.args,
        ]
        if self.honour_file_modes and os.geteuid() == 0:
            command = [*DROP_FILE_OVERRIDES, "--", *command]
        self.proc = subprocess.Popen(
            command,
            env=self.env,
            cwd=self.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=before_exec if limit is not None else None,  # noqa: PLW1509
        )
        self._drain = threading.Thread(target=self._read, args=(self.proc,), daemon=True)
        self._drain.start()
        if wait:
            self.wait_ready()
        return self

    def _read(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        for line in iter(proc.stdout.readline, b""):
            self.output.append(line.decode("utf-8", "replace"))

    def wait_ready(
        self, timeout: float = READY_TIMEOUT, *, statuses: Collection[int] = (200,)
    ) -> None:
        """Wait until /readyz answers with one of `statuses` (503: up, but not ready)."""
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc is not None
            if self.proc.poll() is not None:
                self._join()
                raise AssertionError(
                    f"server exited with {self.proc.returncode}:\n{self.log_text[-4000:]}"
                )
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code in statuses:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"server not ready in {timeout}s:\n{self.log_text[-4000:]}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown code runs."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self._join()

    def stop(self, timeout: float = 20) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._join()

    def _join(self) -> None:
        if self._drain is not None:
            self._drain.join(timeout=5)
            self._drain = None
        if self.proc is not None and self.proc.poll() is not None and self.proc.stdout:
            self.proc.stdout.close()


@contextmanager
def running(server: LiveServer) -> Iterator[LiveServer]:
    """Start `server` and end it (and anything it started) whatever happens."""
    try:
        yield server.start()
    finally:
        server.stop()


def wait_until(check: Callable[[], Any], *, timeout: float, interval: float = 0.1) -> Any:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {timeout}s (last: {result!r})")
        time.sleep(interval)


@dataclass
class Team:
    """A user with a workspace and a project on a live server, made through the API."""

    email: str
    password: str
    user_id: str
    headers: dict[str, str]
    workspace_id: str
    project_id: str
    label_id: str


def make_team(base_url: str, email: str = "owner@example.com") -> Team:
    password = "a long enough password"
    with httpx.Client(base_url=base_url, timeout=30) as c:

        def ok(r: httpx.Response) -> Any:
            assert r.status_code < 300, f"{r.request.method} {r.request.url}: {r.text}"
            return r.json()

        user = ok(
            c.post(
                "/api/v1/auth/register",
                json={"email": email, "password": password, "name": "Owner"},
            )
        )
        tokens = ok(c.post("/api/v1/auth/login", json={"email": email, "password": password}))
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        ws = ok(c.post("/api/v1/workspaces", json={"name": "Faults"}, headers=headers))
        project = ok(
            c.post(
                f"/api/v1/workspaces/{ws['id']}/projects",
                json={"key": "ENG", "name": "Engineering"},
                headers=headers,
            )
        )
        label = ok(
            c.post(
                f"/api/v1/projects/{project['id']}/labels",
                json={"name": "crash", "color": "#ff0000"},
                headers=headers,
            )
        )
    return Team(email, password, user["id"], headers, ws["id"], project["id"], label["id"])
