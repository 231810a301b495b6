"""HAProxy (Debian's package) in front of real `tasklane serve` processes, on 127.0.0.1.

`Balancer` writes a config into a folder of its own, runs `haproxy -f <config> -db` in the
foreground (its log on its stdout, drained by a thread) and always ends it (`stop`). The backend
balances round-robin over the app processes, health-checked on `/readyz`; a request whose
connection to a server fails (refused: the process is gone) is sent to another one
(`option redispatch`), but nothing that reached a server is retried by HAProxy: that is the
client's business. Each answer says which server gave it (`X-Served-By`); a request carrying
`X-Pin: <server>` goes to that server while it is up; `X-Attempt: <id>` is written to the log
line of the request, so a test can find out what happened to each of its attempts.
The admin socket (`command`) takes a server out of rotation and back, as a deploy tool would.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from tests.faults.live import free_port, wait_until
from tests.faults.services import unavailable

HAPROXY = os.environ.get("HAPROXY", "/usr/sbin/haproxy")
BACKEND = "apps"
CHECK_INTERVAL_MS = 200
"""Health checks this often; three failures in a row (a refused connection, or no 200 within
`timeout check`: a busy server is slow, not down) take a server out, two successes put it
back."""
LOG_PREFIX = "tasklane-lb "


def haproxy_binary() -> str:
    """The haproxy executable; skips the test without it (fails it under CI=true)."""
    found = HAPROXY if Path(HAPROXY).exists() else shutil.which("haproxy")
    if found is None:
        unavailable("haproxy is not installed (apt-get install haproxy, or `make test`).")
    assert found is not None
    return found


@dataclass(frozen=True)
class LogLine:
    """One request (or WebSocket session) as HAProxy logged it when it ended."""

    attempt: str
    server: str
    """The server it was last sent to; `<NOSRV>` when none."""
    status: int
    termination: str
    """Two letters: who ended the session and in which phase (`--` normal; `SH`: the server
    went away before its answer's headers; `SD`: during the data; `SC`: no connection)."""
    retries: str
    """Connection retries; a leading `+` means it was redispatched to another server."""
    method: str
    path: str


def parse_log(line: str) -> LogLine | None:
    if not line.startswith(LOG_PREFIX):
        return None
    fields = dict(part.split("=", 1) for part in line[len(LOG_PREFIX) :].split() if "=" in part)
    return LogLine(
        attempt=fields.get("att", "").strip('"') or "-",
        server=fields["srv"],
        status=int(fields["st"]) if fields["st"].lstrip("-").isdigit() else -1,
        termination=fields["term"],
        retries=fields["rc"],
        method=fields["m"],
        path=fields["p"],
    )


@dataclass
class Balancer:
    binary: str
    servers: dict[str, int]
    """Server name -> its port on 127.0.0.1."""
    pinned_only: dict[str, int] = field(default_factory=dict)
    """Servers that get only requests pinned to them (`X-Pin`): never balanced to, never
    health-checked (a test's own relay, say)."""
    port: int = field(default_factory=free_port)
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="tl-lb-")))
    """A short path: the admin socket's name must fit in a sockaddr_un."""
    proc: subprocess.Popen[bytes] | None = None
    output: list[str] = field(default_factory=list)
    _drain: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def socket_path(self) -> Path:
        return self.folder / "admin.sock"

    def config(self) -> str:
        pins = "".join(
            f"    use-server {name} if {{ req.hdr(x-pin) -m str {name} }}\n"
            for name in [*self.servers, *self.pinned_only]
        )
        servers = "".join(
            f"    server {name} 127.0.0.1:{port}\n" for name, port in self.servers.items()
        ) + "".join(
            f"    server {name} 127.0.0.1:{port} weight 0 no-check\n"
            for name, port in self.pinned_only.items()
        )
        log_format = (
            f'{LOG_PREFIX}srv=%s st=%ST term=%ts rc=%rc att="%[capture.req.hdr(0)]" m=%HM p=%HP'
        )
        return f"""\
global
    log stdout format raw local0
    stats socket {self.socket_path} mode 600 level admin
    maxconn 1000

defaults
    mode http
    log global
    log-format "{log_format}"
    option http-server-close
    option redispatch 1
    retries 3
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s
    timeout queue 5s
    timeout tunnel 1h
    timeout client-fin 1s
    timeout server-fin 1s

frontend tasklane
    bind 127.0.0.1:{self.port}
    http-request capture req.hdr(x-attempt) len 64
    default_backend {BACKEND}

backend {BACKEND}
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    http-response set-header X-Served-By %s
    timeout check 2s
    default-server check inter {CHECK_INTERVAL_MS}ms fall 3 rise 2
{pins}{servers}"""

    def start(self) -> Balancer:
        path = self.folder / "haproxy.cfg"
        path.write_text(self.config())
        checked = subprocess.run(
            [self.binary, "-c", "-q", "-f", str(path)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert checked.returncode == 0, f"haproxy refused its config:\n{checked.stderr}"
        self.proc = subprocess.Popen(
            [self.binary, "-f", str(path), "-db"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._drain = threading.Thread(target=self._read, args=(self.proc,), daemon=True)
        self._drain.start()
        wait_until(self._answers, timeout=20)
        return self

    def _read(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        for line in iter(proc.stdout.readline, b""):
            self.output.append(line.decode("utf-8", "replace"))

    def _answers(self) -> bool:
        assert self.proc is not None
        assert self.proc.poll() is None, f"haproxy exited:\n{''.join(self.output)[-4000:]}"
        return self.socket_path.exists()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self._drain is not None:
            self._drain.join(timeout=5)
            self._drain = None
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def command(self, line: str) -> str:
        """One command on the admin socket; its answer."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(str(self.socket_path))
            s.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def states(self) -> dict[str, str]:
        """Each server's state as HAProxy sees it: UP, DOWN, MAINT, `UP 1/2` (going down)..."""
        lines = self.command("show stat").splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
        return {
            r["svname"]: r["status"]
            for r in rows
            if r.get("pxname") == BACKEND and r["svname"] in self.servers
        }

    def wait_state(self, server: str, state: str, timeout: float = 20) -> None:
        wait_until(lambda: self.states()[server] == state, timeout=timeout, interval=0.05)

    def set_state(self, server: str, state: str) -> None:
        """`ready`, `drain` or `maint`, as an orchestrator sets it around a restart."""
        answer = self.command(f"set server {BACKEND}/{server} state {state}")
        assert answer.strip() == "", answer

    def forwarding(self, client_port: int, server: str) -> bool:
        """Whether the request from 127.0.0.1:`client_port` is on its way to `server`, its
        connection to the server established (`show sess`: `scb=[8,...` is SC_ST_EST)."""
        return any(
            f" src=127.0.0.1:{client_port} " in line
            and f" srv={server} " in line
            and " scb=[8," in line
            for line in self.command("show sess").splitlines()
        )

    def log(self) -> list[LogLine]:
        return [parsed for line in list(self.output) if (parsed := parse_log(line)) is not None]

    @property
    def log_text(self) -> str:
        return "".join(self.output)
