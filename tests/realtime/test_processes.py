"""Live updates across real `tasklane serve` and `tasklane worker` processes: fan-out through
Redis between two app processes on PostgreSQL; without Redis, on SQLite and PostgreSQL, events,
presence and concurrent writers across two processes (the event log is the bus); crash safety
of the dispatcher (kill -9 after commits, before dispatch); and Redis going away and coming
back."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
import redis.asyncio as redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tasklane.models import ConsumerPosition, Event
from tests.conftest import IN_CI
from tests.factories import make_board, make_task
from tests.faults.live import LiveServer, free_port, server_env, wait_until
from tests.realtime.helpers import QUIET, live_client

BIN = Path(sys.executable).parent / "tasklane"
REDIS_SERVER = shutil.which("redis-server")
POSTGRES = [pytest.param("postgres", marks=pytest.mark.postgres)]
BOTH = ["sqlite", *POSTGRES]


async def _redis_answers(url: str) -> str | None:
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        await client.ping()  # type: ignore[misc]
    except (OSError, redis.RedisError) as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        await client.aclose()
    return None


@pytest.fixture
async def redis_url() -> str:
    url = os.environ.get("TASKLANE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    problem = await _redis_answers(url)
    if problem is not None:
        message = (
            f"Redis is not reachable at {url} ({problem}). Start it, or point "
            "TASKLANE_TEST_REDIS_URL at one."
        )
        if IN_CI:
            pytest.fail(message + " CI=true requires it.")
        pytest.skip(message)
    return url


@pytest.fixture
def prefix() -> str:
    """Each test its own Redis channels and keys, so parallel tests do not hear each other."""
    return f"tltest-{uuid4().hex[:12]}"


@pytest.fixture
def servers() -> Iterator[list[LiveServer]]:
    started: list[LiveServer] = []
    yield started
    for server in started:
        server.stop()


class WorkerProcess:
    """`tasklane worker` in its own process group; `started` waits for its "running" line."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [str(BIN), "worker"],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def started(self) -> WorkerProcess:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode()
        assert "running" in line, line
        return self

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> int:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
        return self.proc.wait(timeout=30)


@pytest.fixture
def workers() -> Iterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        worker.kill()


async def _db_state(database_url: str) -> tuple[int, int | None]:
    """The event log's head and the real-time consumer's position."""
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            head = int((await connection.scalar(select(func.max(Event.seq)))) or 0)
            position = await connection.scalar(
                select(ConsumerPosition.position).where(ConsumerPosition.name == "realtime")
            )
    finally:
        await engine.dispose()
    return head, position


@contextlib.asynccontextmanager
async def _published(url: str, prefix: str) -> AsyncIterator[list[int]]:
    """Every sequence number published on the events channel while inside."""
    client = redis.Redis.from_url(url)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(f"{prefix}:events")
    seqs: list[int] = []

    async def collect() -> None:
        import json

        while True:
            message = await pubsub.get_message(timeout=1.0)
            if message is not None:
                seqs.extend(int(e["seq"]) for e in json.loads(message["data"]))

    task = asyncio.create_task(collect())
    try:
        yield seqs
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        await client.aclose()


async def _eventually(check: object, within: float = 15.0) -> None:
    assert callable(check)
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


async def _two_servers(
    env: dict[str, str], cwd: Path, servers: list[LiveServer]
) -> tuple[LiveServer, LiveServer]:
    """Two `tasklane serve` processes on one database, started side by side."""
    a = LiveServer(env, cwd, args=("--no-migrate",))
    b = LiveServer(env, cwd, args=("--no-migrate",))
    servers += [a, b]
    await asyncio.gather(asyncio.to_thread(a.start), asyncio.to_thread(b.start))
    return a, b


@pytest.mark.parametrize("backend", POSTGRES)
async def test_a_change_through_one_process_reaches_a_client_of_the_other(
    database_url: str, redis_url: str, prefix: str, tmp_path: Path, servers: list[LiveServer]
) -> None:
    env = server_env(tmp_path / "data", database_url, redis_url=redis_url, redis_prefix=prefix)
    a, b = await _two_servers(env, tmp_path, servers)
    async with httpx.AsyncClient(base_url=a.url, timeout=10) as http:
        board = await make_board(http)
        async with (
            live_client(b.url, board.member.access_token) as on_b,
            live_client(a.url, board.owner.access_token) as on_a,
        ):
            # A hub may subscribe a client before it has handled the board's last events
            # (they come through Redis): such events may come first, so they are skipped.
            late = QUIET | {"event"}
            await on_b.subscribe(project_id=board.pid)
            await on_b.expect("presence", skip=late)
            await on_a.subscribe(project_id=board.pid)
            seen_on_a = await on_a.expect("presence", skip=late)
            joined_on_b = await on_b.expect("presence", skip=late)
            task = await make_task(http, board.owner, board.pid, "Made on A")
            event = await on_b.expect_task_event(task["id"])
    assert event["event"]["type"] == "task.created"
    assert event["event"]["task_id"] == task["id"]
    # Presence crosses processes too: each sees the other's viewer.
    names = {"Olive Owner", "Max Member"}
    assert {v["name"] for v in seen_on_a["viewers"]} == names
    assert joined_on_b["joined"]["user_id"] == board.owner.id


@pytest.mark.parametrize("backend", BOTH)
async def test_without_redis_processes_see_each_others_changes_at_once(
    database_url: str, tmp_path: Path, servers: list[LiveServer]
) -> None:
    """Two processes on one database and no Redis: the event log is the bus. The fallback
    poll is set to 30 s, so an event arriving within the 5 s `expect` allows came through the
    commit watch (SQLite: hub._poll, every 20 ms; PostgreSQL: LISTEN/NOTIFY), not the poll.
    No timing is asserted here."""
    env = server_env(tmp_path / "data", database_url, dispatch_poll_seconds=30)
    a, b = await _two_servers(env, tmp_path, servers)
    async with httpx.AsyncClient(base_url=a.url, timeout=10) as http:
        board = await make_board(http)
        async with live_client(b.url, board.member.access_token) as on_b:
            await on_b.subscribe(project_id=board.pid)
            for n in range(3):
                task = await make_task(http, board.owner, board.pid, f"Made on A, {n}")
                event = await on_b.expect_task_event(task["id"])
                assert event["event"]["type"] == "task.created"


@pytest.mark.parametrize("backend", BOTH)
async def test_without_redis_viewers_on_another_process_are_seen_joining_and_leaving(
    database_url: str, tmp_path: Path, servers: list[LiveServer]
) -> None:
    """Presence lives in the database: a viewer on A is listed for a viewer on B, who is told
    when it joins and when it leaves (within `expect`'s 5 s, so by the database's signal,
    not by the 10 s sweep)."""
    env = server_env(tmp_path / "data", database_url, dispatch_poll_seconds=30)
    a, b = await _two_servers(env, tmp_path, servers)
    late = QUIET | {"event"}
    async with httpx.AsyncClient(base_url=a.url, timeout=10) as http:
        board = await make_board(http)
        async with live_client(b.url, board.member.access_token) as on_b:
            await on_b.subscribe(project_id=board.pid)
            alone = await on_b.expect("presence", skip=late)
            async with live_client(a.url, board.owner.access_token) as on_a:
                await on_a.subscribe(project_id=board.pid)
                seen_on_a = await on_a.expect("presence", skip=late)
                joined_on_b = await on_b.expect("presence", skip=late)
            left_on_b = await on_b.expect("presence", skip=late)
    assert [v["name"] for v in alone["viewers"]] == ["Max Member"]
    assert {v["name"] for v in seen_on_a["viewers"]} == {"Olive Owner", "Max Member"}
    assert joined_on_b["joined"]["user_id"] == board.owner.id
    assert {v["name"] for v in joined_on_b["viewers"]} == {"Olive Owner", "Max Member"}
    assert left_on_b["left"]["user_id"] == board.owner.id
    assert [v["name"] for v in left_on_b["viewers"]] == ["Max Member"]


@pytest.mark.parametrize("backend", BOTH)
async def test_without_redis_writers_on_two_processes_queue_and_every_event_arrives(
    database_url: str, tmp_path: Path, servers: list[LiveServer]
) -> None:
    """16 writers at once, half through each process: every write succeeds (on SQLite they
    queue for the file's one writer instead of failing with "database is locked"), none is
    lost, the event log has no gap, and a client of B receives every event, in order."""
    env = server_env(tmp_path / "data", database_url, dispatch_poll_seconds=30)
    a, b = await _two_servers(env, tmp_path, servers)
    rounds = 5
    async with httpx.AsyncClient(base_url=a.url, timeout=30) as http:
        board = await make_board(http)
        async with live_client(b.url, board.member.access_token) as on_b:
            await on_b.subscribe(project_id=board.pid)
            start, _ = await _db_state(database_url)
            await on_b.events_until(start)  # B has handled the board's making

            async def write(n: int) -> list[httpx.Response]:
                server = (a, b)[n % 2]
                async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
                    return [
                        await client.post(
                            f"/api/v1/projects/{board.pid}/tasks",
                            json={"title": f"Writer {n} task {i}"},
                            headers=board.owner.headers,
                        )
                        for i in range(rounds)
                    ]

            results = await asyncio.gather(*(write(n) for n in range(16)))
            responses = [r for batch in results for r in batch]
            head, _ = await _db_state(database_url)
            received = await on_b.events_until(head, within=30)
        listed = await http.get(
            f"/api/v1/projects/{board.pid}/tasks",
            params={"limit": 200},
            headers=board.owner.headers,
        )
    assert [r.status_code for r in responses] == [201] * 16 * rounds, [
        r.text for r in responses if r.status_code != 201
    ]
    titles = {t["title"] for t in listed.json()["items"]}
    assert titles >= {f"Writer {n} task {i}" for n in range(16) for i in range(rounds)}
    assert await _log_seqs(database_url) == list(range(1, head + 1))
    assert [e["seq"] for e in received] == list(range(start + 1, head + 1))
    logs = a.log_text + b.log_text
    assert "database is locked" not in logs
    assert "Traceback" not in logs


async def _log_seqs(database_url: str) -> list[int]:
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return list((await connection.scalars(select(Event.seq).order_by(Event.seq))).all())
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", POSTGRES)
async def test_events_committed_before_a_crash_are_dispatched_after_restart_once(
    database_url: str,
    redis_url: str,
    prefix: str,
    tmp_path: Path,
    servers: list[LiveServer],
    workers: list[WorkerProcess],
) -> None:
    env = server_env(
        tmp_path / "data",
        database_url,
        redis_url=redis_url,
        redis_prefix=prefix,
        dispatch_poll_seconds=0.2,
    )
    first = WorkerProcess(env, tmp_path)  # gives the consumer its position, then goes away
    workers.append(first)
    await asyncio.to_thread(first.started)
    await _eventually(lambda: _has_position(database_url))
    assert first.stop() == 0

    web = LiveServer(env, tmp_path, args=("--no-migrate", "--no-worker"))
    servers.append(web)
    await asyncio.to_thread(web.start)
    async with httpx.AsyncClient(base_url=web.url, timeout=10) as http:
        board = await make_board(http)
        for i in range(10):
            await make_task(http, board.owner, board.pid, f"Task {i}")
    await asyncio.to_thread(web.kill)  # kill -9 after the commits; nothing was dispatched
    head, position = await _db_state(database_url)
    assert position is not None
    assert head > position

    async with _published(redis_url, prefix) as seqs:
        second = WorkerProcess(env, tmp_path)
        workers.append(second)
        await _eventually(lambda: _dispatched(database_url))
        await asyncio.sleep(0.3)
        second.kill()  # kill -9 again: its position is already stored
        delivered = list(seqs)
        third = WorkerProcess(env, tmp_path)
        workers.append(third)
        await asyncio.to_thread(third.started)
        await asyncio.sleep(2.0)  # ten poll rounds with nothing to publish
        assert third.stop() == 0
        after_restart = seqs[len(delivered) :]
    assert delivered == list(range(position + 1, head + 1))
    assert after_restart == []


async def _has_position(database_url: str) -> bool:
    return (await _db_state(database_url))[1] is not None


async def _dispatched(database_url: str) -> bool:
    head, position = await _db_state(database_url)
    return position == head


async def test_a_killed_single_process_catches_up_after_restart(
    database_url: str, tmp_path: Path, servers: list[LiveServer]
) -> None:
    """SQLite, one process with its worker inside: writers race a kill -9; after restart the
    consumer reaches the head, and a client that reconnects with its cursor misses nothing."""
    env = server_env(tmp_path / "data", database_url, dispatch_poll_seconds=0.2)
    server = LiveServer(env, tmp_path, args=("--no-migrate",))
    servers.append(server)
    await asyncio.to_thread(server.start)
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        board = await make_board(http)
        async with live_client(server.url, board.member.access_token) as live:
            subscribed, _ = await live.subscribe(project_id=board.pid)
            cursor = subscribed["seq"]

        async def write(n: int) -> None:
            with contextlib.suppress(httpx.TransportError):
                for i in range(50):
                    await make_task(http, board.owner, board.pid, f"Writer {n} task {i}")

        writers = [asyncio.create_task(write(n)) for n in range(4)]
        await asyncio.sleep(1.0)
        await asyncio.to_thread(server.kill)
        await asyncio.gather(*writers)
    head, _ = await _db_state(database_url)
    await asyncio.to_thread(server.start)
    await _eventually(lambda: _dispatched(database_url))
    async with live_client(server.url, board.member.access_token) as live:
        _, replayed = await live.subscribe(project_id=board.pid, since=cursor)
    assert [e["seq"] for e in replayed] == list(range(cursor + 1, head + 1))


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[int, list[subprocess.Popen[bytes]]]]:
    """A redis-server of the test's own (stopping it disturbs nothing else)."""
    if REDIS_SERVER is None:
        if IN_CI:
            pytest.fail("redis-server is not installed; CI=true requires it.")
        pytest.skip("redis-server is not installed (apt-get install redis-server).")
    port = free_port()
    procs: list[subprocess.Popen[bytes]] = []
    yield port, procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def _start_redis(port: int, procs: list[subprocess.Popen[bytes]], cwd: Path) -> None:
    assert REDIS_SERVER is not None
    proc = subprocess.Popen(
        [
            REDIS_SERVER,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(cwd),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    procs.append(proc)
    wait_until(lambda: _ping(port), timeout=10)


def _ping(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


async def test_redis_going_away_delays_live_updates_and_fails_no_request(
    database_url: str,
    tmp_path: Path,
    servers: list[LiveServer],
    own_redis: tuple[int, list[subprocess.Popen[bytes]]],
) -> None:
    port, procs = own_redis
    _start_redis(port, procs, tmp_path)
    env = server_env(
        tmp_path / "data",
        database_url,
        redis_url=f"redis://127.0.0.1:{port}/0",
        dispatch_poll_seconds=0.3,
    )
    server = LiveServer(env, tmp_path, args=("--no-migrate",))
    servers.append(server)
    await asyncio.to_thread(server.start)
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        board = await make_board(http)
        async with live_client(server.url, board.member.access_token) as live:
            subscribed, _ = await live.subscribe(project_id=board.pid)
            first = await make_task(http, board.owner, board.pid, "Before")
            before = await live.expect_task_event(first["id"])

            procs[0].send_signal(signal.SIGTERM)
            procs[0].wait(timeout=10)
            paused = await live.expect("status", within=15)
            ready = await http.get("/readyz")
            during = await make_task(http, board.owner, board.pid, "During")
            login = await http.post(
                "/api/v1/auth/login",
                json={"email": board.member.email, "password": "correct horse battery staple"},
            )
            late = await live.expect("event", within=15)  # from the event log, not Redis

            _start_redis(port, procs, tmp_path)
            resumed = await live.expect("status", within=20)
            await make_task(http, board.owner, board.pid, "After")
            after = await live.expect("event", within=15)
            ready_again = await http.get("/readyz")
    assert paused["live"] is False
    assert (ready.status_code, ready.json()["status"]) == (200, "degraded")
    assert ready.json()["checks"]["redis"] == "unavailable"
    assert login.status_code == 200
    assert late["event"]["task_id"] == during["id"]
    assert resumed["live"] is True
    assert [before["seq"], late["seq"], after["seq"]] == sorted(
        {before["seq"], late["seq"], after["seq"]}
    )
    assert (ready_again.status_code, ready_again.json()["status"]) == (200, "ok")
    assert subscribed["seq"] < before["seq"]
