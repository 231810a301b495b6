"""A PostgreSQL cluster and a Redis server of the test's own, on free loopback ports, so
stopping them disturbs nothing else. Each is skipped with a message when its binaries are
missing, except under CI=true, where that is a failure."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.faults.live import free_port, wait_until

PG_USER = "postgres"
TIMEOUT = 60


def unavailable(message: str) -> None:
    if IN_CI:
        pytest.fail(message + " CI=true requires it.")
    pytest.skip(message)


def postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name or 0))
    for folder in reversed(found):
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class OwnPostgres:
    bin: Path
    root: Path
    port: int
    as_user: str | None
    """initdb and postgres refuse to run as root: then they run as this OS user."""

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str, *, password: str = "") -> str:
        auth = f"{PG_USER}:{password}" if password else PG_USER
        return f"postgresql+asyncpg://{auth}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        command = [str(a) for a in args]
        if self.as_user is not None:
            command = ["runuser", "-u", self.as_user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=True)

    def initdb(self) -> None:
        self._run(
            self.bin / "initdb", "-D", self.data, "-A", "trust", "-U", PG_USER, "-E", "UTF8",
            "--no-sync", "--no-instructions",
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off -c max_connections=50"
        )
        self._run(
            self.bin / "pg_ctl", "-D", self.data, "-l", self.root / "postgres.log",
            "-o", options, "-w", "-t", str(TIMEOUT), "start",
        )  # fmt: skip

    def start_as_standby(self) -> None:
        """Start in recovery, as a replica runs until it is promoted: read-only. With no
        primary to follow it waits for WAL; `SELECT pg_promote()` makes it writable."""
        (self.data / "standby.signal").touch()
        self.start()

    def stop(self, mode: str = "fast") -> None:
        self._run(
            self.bin / "pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", str(TIMEOUT), "stop"
        )

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = self._run(
            self.bin / "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", PG_USER,
            "-d", database, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql,
        )  # fmt: skip
        return result.stdout.strip()


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    folder = postgres_bin()
    if folder is None:
        unavailable("PostgreSQL server binaries (initdb, pg_ctl) are not installed.")
    assert folder is not None
    as_user = None
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            unavailable(
                "Running as root, and `runuser` is missing to start PostgreSQL as postgres."
            )
        try:
            pwd.getpwnam(PG_USER)
        except KeyError:
            unavailable("Running as root, and there is no `postgres` OS user to run PostgreSQL.")
        as_user = PG_USER
    root = Path(tempfile.mkdtemp(prefix="tasklane-pg-"))
    if as_user is not None:
        entry = pwd.getpwnam(as_user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    cluster = OwnPostgres(bin=folder, root=root, port=free_port(), as_user=as_user)
    try:
        cluster.initdb()
        cluster.start()
        yield cluster
    finally:
        if cluster.running():
            try:
                cluster.stop("immediate")
            except subprocess.SubprocessError:
                pid = (cluster.data / "postmaster.pid").read_text().split()[0]
                os.kill(int(pid), 9)
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class OwnRedis:
    port: int
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary is not None
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(self._answers, timeout=20)

    def _answers(self) -> bool:
        import socket

        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    if shutil.which("redis-server") is None:
        unavailable("redis-server is not installed.")
    server = OwnRedis(port=free_port())
    try:
        server.start()
        yield server
    finally:
        server.stop()
