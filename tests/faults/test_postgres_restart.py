"""PostgreSQL restarted under a running server (a cluster of the test's own): requests during
the outage get 503 problem documents, /readyz tells the truth all along, and the same process
serves again by itself once the database is back, having lost nothing. Then it comes back as a
standby (read-only, in recovery, as after a failover before promotion): /readyz says
`read-only` with a 503 and writes are refused clearly until it is promoted."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.faults.live import LiveServer, make_team, server_env, wait_until
from tests.faults.services import OwnPostgres

DSN_PASSWORD = "dsn-password-never-logged-7f3a"
OUTAGE_SECONDS = 2.0


@dataclass
class ReadyzProbe:
    """Polls /readyz from a thread, recording (sent at, answered at, status)."""

    url: str
    samples: list[tuple[float, float, int]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> ReadyzProbe:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(timeout=10)

    def _run(self) -> None:
        with httpx.Client(timeout=15) as c:
            while not self._stop.is_set():
                sent = time.monotonic()
                try:
                    status = c.get(f"{self.url}/readyz").status_code
                except httpx.TransportError:
                    status = 0
                self.samples.append((sent, time.monotonic(), status))
                time.sleep(0.05)

    def between(self, start: float, end: float) -> list[int]:
        """Statuses of the probes sent and answered entirely inside [start, end]."""
        return [status for sent, done, status in self.samples if start <= sent and done <= end]


def assert_503_problem(r: httpx.Response) -> None:
    assert r.status_code == 503, f"{r.request.method} {r.request.url.path}: {r.text}"
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 503
    assert body["code"] == "service_unavailable"
    assert "database" in body["detail"]


def readiness(c: httpx.Client) -> tuple[int, str, str]:
    """/readyz's answer: (HTTP status, status, the database check)."""
    r = c.get("/readyz")
    body = r.json()
    return r.status_code, body["status"], body["checks"]["database"]


def test_postgres_restart_is_survived(own_postgres: OwnPostgres, tmp_path: Path) -> None:
    own_postgres.psql("CREATE DATABASE tasklane")
    env = server_env(
        tmp_path / "data",
        own_postgres.url("tasklane", password=DSN_PASSWORD),
        database_pool_size=4,
        rate_limit_enabled="false",
    )
    server = LiveServer(env=env, cwd=tmp_path)
    try:
        server.start()
        pid = server.pid
        team = make_team(server.url)
        tasks_url = f"/api/v1/projects/{team.project_id}/tasks"
        with (
            httpx.Client(base_url=server.url, headers=team.headers, timeout=10) as c,
            ReadyzProbe(server.url) as probe,
        ):
            before = [c.post(tasks_url, json={"title": f"before {i}"}) for i in range(3)]
            assert [r.status_code for r in before] == [201, 201, 201]
            time.sleep(0.3)

            stopping = time.monotonic()
            own_postgres.stop("fast")
            down = time.monotonic()
            during: list[httpx.Response] = []
            while time.monotonic() < down + OUTAGE_SECONDS:
                # Fresh connections each time: a failed request must not poison the next.
                with httpx.Client(base_url=server.url, headers=team.headers, timeout=10) as fresh:
                    during += [
                        fresh.get(tasks_url),
                        fresh.post(tasks_url, json={"title": "during the outage"}),
                        fresh.get(f"/api/v1/tasks/{before[0].json()['id']}"),
                        fresh.post(
                            "/api/v1/auth/login",
                            json={"email": team.email, "password": team.password},
                        ),
                        fresh.patch("/api/v1/users/me", json={"name": "Renamed"}),
                    ]
                    ready = fresh.get("/readyz")
                    assert ready.status_code == 503
                    assert ready.json()["status"] == "unavailable"
                time.sleep(0.2)
            for r in during:
                assert_503_problem(r)

            starting = time.monotonic()
            own_postgres.start()
            up = time.monotonic()
            recovered_at = wait_until(
                lambda: c.get("/readyz").status_code == 200 and time.monotonic(), timeout=20
            )
            after = c.post(tasks_url, json={"title": "after"})
            assert after.status_code == 201, after.text
            login = c.post(
                "/api/v1/auth/login", json={"email": team.email, "password": team.password}
            )
            assert login.status_code == 200, login.text
            time.sleep(0.5)

        assert server.pid == pid, "the server was restarted"
        assert server.proc is not None
        assert server.proc.poll() is None, "the server died"
        # /readyz told the truth throughout.
        assert set(probe.between(0, stopping)) == {200}
        outage = probe.between(down, starting)
        assert outage, "no probe landed during the outage"
        assert set(outage) == {503}, outage
        assert set(probe.between(recovered_at, time.monotonic())) == {200}
        assert recovered_at - up < 10, "recovery took too long"
        # Nothing committed was lost, and nothing refused was written.
        with httpx.Client(base_url=server.url, headers=team.headers, timeout=10) as c:
            titles = sorted(t["title"] for t in c.get(tasks_url).json()["items"])
            assert titles == ["after", "before 0", "before 1", "before 2"]
            assert c.get("/api/v1/users/me").json()["name"] == "Owner"

        own_postgres.stop("fast")
        own_postgres.start_as_standby()
        assert own_postgres.psql("SELECT pg_is_in_recovery()") == "t"
        with httpx.Client(base_url=server.url, headers=team.headers, timeout=10) as c:
            wait_until(lambda: readiness(c) == (503, "unavailable", "read-only"), timeout=20)
            refused = c.post(tasks_url, json={"title": "on the standby"})
            assert refused.status_code == 503, refused.text
            assert refused.json()["code"] == "database_read_only"
            listed = c.get(tasks_url)
            assert listed.status_code == 200, listed.text
            assert len(listed.json()["items"]) == 4
            assert readiness(c) == (503, "unavailable", "read-only")

            assert own_postgres.psql("SELECT pg_promote()") == "t"
            wait_until(lambda: readiness(c) == (200, "ok", "ok"), timeout=20)
            promoted = c.post(tasks_url, json={"title": "after promotion"})
            assert promoted.status_code == 201, promoted.text
        assert server.pid == pid, "the server was restarted"
    finally:
        server.stop()
    assert DSN_PASSWORD not in server.log_text
    assert "database_unavailable" in server.log_text
