"""Starting and stopping server processes, and measuring what they cost: CPU per process
(so it shows whether both cores were busy), PostgreSQL's CPU, and resident memory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
CORES = os.cpu_count() or 1


@dataclass
class ServerGroup:
    """N processes of one app on one port (SO_REUSEPORT)."""

    app: str
    port: int
    procs: list[subprocess.Popen[bytes]]
    logs: list[IO[bytes]]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def check_alive(self) -> None:
        for proc in self.procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{self.app} process {proc.pid} exited ({proc.returncode})")

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        for log in self.logs:
            log.close()


def start_group(
    app: str, *, processes: int, port: int, env: dict[str, str], log_dir: Path
) -> ServerGroup:
    log_dir.mkdir(parents=True, exist_ok=True)
    procs: list[subprocess.Popen[bytes]] = []
    logs: list[IO[bytes]] = []
    group = ServerGroup(app, port, procs, logs)
    try:
        for i in range(processes):
            log = (log_dir / f"{app}-{port}-{i}.log").open("wb")
            logs.append(log)
            procs.append(
                subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
                    [sys.executable, "-m", "bench.serve", "--app", app, "--port", str(port)],
                    cwd=ROOT,
                    env={**os.environ, **env},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        wait_ready(group)
    except BaseException:
        group.stop()
        raise
    return group


def wait_ready(group: ServerGroup, timeout: float = 90) -> None:
    """Every process answers: poll until as many distinct processes have answered as there
    are (the kernel picks one per new connection)."""
    deadline = time.monotonic() + timeout
    while True:
        group.check_alive()
        try:
            if httpx.get(f"{group.base}/healthz", timeout=2).status_code == 200:
                listening = _listening_pids(group.port)
                if set(group.pids) <= listening:
                    return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{group.app} on port {group.port} did not become ready")
        time.sleep(0.2)


def _listening_pids(port: int) -> set[int]:
    pids = set()
    for conn in psutil.net_connections(kind="tcp"):
        listening = conn.status == psutil.CONN_LISTEN and conn.laddr
        if listening and conn.laddr.port == port and conn.pid is not None:
            pids.add(conn.pid)
    return pids


# --- CPU and memory --------------------------------------------------------------------------


def _cpu_seconds(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system + times.children_user + times.children_system)


def postgres_processes() -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["username", "name"]):
        if proc.info["username"] == "postgres" or proc.info["name"] == "postgres":
            found.append(proc)
    return found


@dataclass
class CpuWindow:
    """CPU used by the app processes, PostgreSQL and this process over a window."""

    app_pids: list[int]
    postgres: bool
    wall: float = 0.0
    app_cores: list[float] = field(default_factory=list)
    postgres_cores: float = 0.0
    bench_cores: float = 0.0
    loadgen_cores: float = 0.0
    machine_cores: float = 0.0
    """All CPU used on the machine: what is not ours is other people's noise."""
    _start: dict[str, Any] = field(default_factory=dict)

    def begin(self) -> None:
        self._start = {
            "wall": time.perf_counter(),
            "app": [_cpu_seconds(psutil.Process(pid)) for pid in self.app_pids],
            "pg": self._pg_seconds() if self.postgres else {},
            "self": _self_seconds(),
            "machine": _machine_seconds(),
        }

    def end(self, *, loadgen_seconds: float = 0.0) -> None:
        self.wall = time.perf_counter() - self._start["wall"]
        app = [_cpu_seconds(psutil.Process(pid)) for pid in self.app_pids]
        self.app_cores = [
            round((b - a) / self.wall, 2) for a, b in zip(self._start["app"], app, strict=True)
        ]
        if self.postgres:
            before: dict[int, float] = self._start["pg"]
            after = self._pg_seconds()
            used = sum(v - before.get(pid, 0.0) for pid, v in after.items())
            self.postgres_cores = round(used / self.wall, 2)
        self.bench_cores = round((_self_seconds() - self._start["self"]) / self.wall, 2)
        self.loadgen_cores = round(loadgen_seconds / self.wall, 2)
        self.machine_cores = round((_machine_seconds() - self._start["machine"]) / self.wall, 2)

    @staticmethod
    def _pg_seconds() -> dict[int, float]:
        seconds = {}
        for proc in postgres_processes():
            try:
                times = proc.cpu_times()
                seconds[proc.pid] = float(times.user + times.system)
            except psutil.Error:
                continue
        return seconds

    def as_dict(self) -> dict[str, Any]:
        total = sum(self.app_cores) + self.postgres_cores + self.bench_cores + self.loadgen_cores
        return {
            "app_cores": self.app_cores,
            "postgres_cores": self.postgres_cores,
            "loadgen_cores": self.loadgen_cores,
            "bench_process_cores": self.bench_cores,
            "ours_share": round(total / CORES, 2),
            "machine_share": round(self.machine_cores / CORES, 2),
            "other_cores": round(max(0.0, self.machine_cores - total), 2),
        }


def _machine_seconds() -> float:
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


def _self_seconds() -> float:
    times = os.times()
    return times.user + times.system


def rss_mb(pid: int) -> float:
    """A process's resident memory now, in MB."""
    return round(psutil.Process(pid).memory_info().rss / 2**20, 1)


class MemorySampler:
    """Samples the resident memory of the app processes every `interval` seconds."""

    def __init__(self, pids: list[int], interval: float = 0.25) -> None:
        self.pids = pids
        self.interval = interval
        self.peak: dict[int, int] = dict.fromkeys(pids, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        procs = [psutil.Process(pid) for pid in self.pids]
        while not self._stop.is_set():
            for proc in procs:
                try:
                    rss = int(proc.memory_info().rss)
                except psutil.Error:
                    continue
                self.peak[proc.pid] = max(self.peak[proc.pid], rss)
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def peak_mb(self) -> list[float]:
        return [round(self.peak[pid] / 2**20, 1) for pid in self.pids]


@contextmanager
def measured(group: ServerGroup, *, postgres: bool) -> Iterator[tuple[CpuWindow, MemorySampler]]:
    """CPU and peak memory of the app processes (and PostgreSQL) over the block."""
    window = CpuWindow(group.pids, postgres)
    with MemorySampler(group.pids) as memory:
        window.begin()
        yield window, memory
    group.check_alive()


def run_child(
    cmd: list[str], *, env: dict[str, str] | None = None, timeout: float
) -> tuple[int, str, float]:
    """Run a load generator; returns (exit code, stdout, CPU seconds it used), the CPU read
    from the kernel's accounting of the exited child (wait4)."""
    proc = subprocess.Popen(  # noqa: S603 - the load generators we chose
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
    )
    assert proc.stdout is not None
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.append(proc.stdout.read()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid != 0:
            break
        if time.monotonic() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    reader.join(timeout=10)
    cpu = usage.ru_utime + usage.ru_stime
    return proc.returncode, b"".join(chunks).decode(errors="replace"), cpu
