"""Scale-out under faults: HAProxy in front of three `tasklane serve --no-worker` processes and
two `tasklane worker` processes, on PostgreSQL and a Redis of the test's own, all on 127.0.0.1.

Writers keep a steady mixed load going through the balancer (tasks created with an
Idempotency-Key and assigned to a member, updated with If-Match, commented on with an
Idempotency-Key), a webhook receives the workspace's task and comment events, and live clients
follow the project over WebSockets through the balancer, while, a short spell apart:

1. app 1 is killed with -9 with two requests of ours in flight on it: one whose body it is
   still reading, and one it has answered (committed) whose answer a relay between HAProxy and
   it holds back, as if it had not left the process;
2. app 2 is drained: taken out of rotation (a deploy's preStop step), then sent SIGTERM while it
   handles a request of ours;
3. worker 1 is killed with -9;
4. Redis is stopped and started again.

Each process is started again meanwhile (in the background: that takes seconds on a busy
machine), and the load goes on until the restarted apps serve again. Then, once everything has
caught up, from the database, the API, HAProxy's log and what the clients saw:

- every acknowledged write is there as it was answered, and each Idempotency-Key made exactly
  one task or comment;
- the only requests that failed were in flight on the killed process (HAProxy's log says which
  server each attempt reached and how it ended), and each was retried to success: with its
  Idempotency-Key (the one app 1 had answered, from the idempotency record), or, an update,
  with its If-Match (a 412 then means the attempt that got no answer had applied);
- the request on the drained process was answered by it, and it exited cleanly;
- the event log has no gap, and every live client received every event of the project after
  its start exactly once and in order, across its reconnections, and was told when live
  delivery paused for Redis and resumed;
- the webhook got one message per event, each delivered, signed, in event order, at least once
  (only a send that the worker kill interrupted may come twice); every assignment made one
  notification and its e-mail job ran (each e-mail at least once, a repeat only from the
  kill); no job failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from standardwebhooks.webhooks import Webhook as Verifier
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from tasklane.events.service import EVENTS_COUNTER
from tasklane.models import (
    Comment,
    ConsumerPosition,
    Event,
    Job,
    JobStatus,
    Notification,
    Task,
    WebhookDelivery,
)
from tasklane.models import Counter as SeqCounter
from tests.factories import Board, User, expect, make_board
from tests.faults.haproxy import Balancer, LogLine, haproxy_binary
from tests.faults.live import LiveServer, free_port, server_env
from tests.faults.receiver import Arrival, Receiver, receiving
from tests.faults.services import OwnRedis

BIN = Path(sys.executable).parent / "tasklane"
APPS = ("app1", "app2", "app3")
WORKERS = 2
WRITERS = 4
THINK_SECONDS = 0.1
"""Each writer's pause between writes: a steady load, not a saturating one (the suite runs two
tests at once on small machines)."""
PAUSE_SECONDS = 1.5
"""Load between faults, so each lands on a system that is busy and recovered from the last."""
RETRY_PAUSE_SECONDS = 0.05
WRITE_DEADLINE_SECONDS = 30.0
"""A write not acknowledged after retrying this long fails the test."""
CATCH_UP_SECONDS = 45.0
"""After the load, every consumer, webhook and live client must have caught up within this."""
WEBHOOK_EVENTS = ("task.created", "task.updated", "comment.created")
RETRYABLE = frozenset({502, 503, 504})
KEY = re.compile(r"\bw\d+-\d{5}\b|\bheld-(?:kill|answered|drain)\b")
"""A task's title starts with the Idempotency-Key that made it."""
WORKER_CONCURRENCY = 4
JOB_LEASE_SECONDS = 5
"""The smallest the settings allow: a killed worker's job is claimed again after this."""


# --- processes ------------------------------------------------------------------------------


@dataclass
class WorkerProcess:
    """`tasklane worker` in its own process group, its output drained (never a full pipe)."""

    env: dict[str, str]
    cwd: Path
    proc: subprocess.Popen[bytes] | None = None
    output: list[str] = field(default_factory=list)
    running: threading.Event = field(default_factory=threading.Event)

    def start(self) -> WorkerProcess:
        self.running.clear()
        self.proc = subprocess.Popen(
            [str(BIN), "worker"],
            env=self.env,
            cwd=self.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        threading.Thread(target=self._read, args=(self.proc,), daemon=True).start()
        deadline = time.monotonic() + 60
        while not self.running.wait(0.1):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"worker did not start:\n{''.join(self.output)[-4000:]}")
        return self

    def _read(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        for line in iter(proc.stdout.readline, b""):
            text = line.decode("utf-8", "replace")
            self.output.append(text)
            if text.startswith("worker ") and "running" in text:
                self.running.set()
        proc.stdout.close()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Cluster:
    balancer: Balancer
    apps: dict[str, LiveServer]
    workers: list[WorkerProcess]
    redis: OwnRedis
    relay_port: int
    """Where HAProxy's `app1-relay` server is: a Relay to app 1, while the test runs one."""

    @property
    def logs(self) -> str:
        texts = [s.log_text for s in self.apps.values()] + ["".join(w.output) for w in self.workers]
        return "".join(texts)


@pytest.fixture
def cluster(database_url: str, own_redis: OwnRedis, tmp_path: Path) -> Iterator[Cluster]:
    binary = haproxy_binary()
    env = server_env(
        tmp_path / "data",
        database_url,
        redis_url=own_redis.url,
        redis_prefix=f"scale-{uuid4().hex[:10]}",
        rate_limit_enabled="false",
        webhook_allow_private="true",
        webhook_retry_seconds=1,
        webhook_timeout_seconds=5,
        job_lease_seconds=JOB_LEASE_SECONDS,
        job_backoff_seconds=1,
        worker_concurrency=WORKER_CONCURRENCY,
        dispatch_poll_seconds=0.5,
        database_pool_size=4,
        shutdown_grace_seconds=5,
        heartbeat_seconds=2,
        log_level="WARNING",
    )
    apps = {name: LiveServer(env, tmp_path, args=("--no-migrate", "--no-worker")) for name in APPS}
    # At INFO a worker logs each e-mail it would send (no SMTP server is set: `mail_logged`).
    workers = [
        WorkerProcess({**env, "TASKLANE_LOG_LEVEL": "INFO"}, tmp_path) for _ in range(WORKERS)
    ]
    processes: list[LiveServer | WorkerProcess] = [*apps.values(), *workers]
    relay_port = free_port()
    balancer = Balancer(
        binary,
        {name: app.port for name, app in apps.items()},
        pinned_only={"app1-relay": relay_port},
    )
    try:
        with ThreadPoolExecutor(len(processes)) as pool:  # side by side: each takes seconds
            for started in [pool.submit(p.start) for p in processes]:
                started.result()  # raises with the process's log if it did not come up
        balancer.start()
        for name in APPS:
            balancer.wait_state(name, "UP")
        yield Cluster(balancer, apps, workers, own_redis, relay_port)
    finally:
        balancer.stop()
        with ThreadPoolExecutor(len(processes)) as pool:
            list(pool.map(lambda p: p.stop(), processes))


# --- the webhook receiver -------------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as receiver:
        yield receiver


# --- writers --------------------------------------------------------------------------------


@dataclass
class Failure:
    attempt: str
    """Its X-Attempt id, which HAProxy's log line for it carries."""
    outcome: str
    method: str
    path: str


@dataclass
class Ledger:
    """What the writers were told: every acknowledged write, and every failed attempt."""

    created: dict[str, str] = field(default_factory=dict)
    """Idempotency-Key -> task id."""
    titles: dict[str, str] = field(default_factory=dict)
    """Task id -> the title of its last acknowledged write."""
    versions: dict[str, int] = field(default_factory=dict)
    comments: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    """Idempotency-Key -> (comment id, task id, body)."""
    updates: int = 0
    attempts: int = 0
    failures: list[Failure] = field(default_factory=list)
    replayed: set[str] = field(default_factory=set)
    """Keys whose retry was answered from the idempotency record: the lost attempt had
    committed."""
    applied_unanswered: int = 0
    """Updates whose retry got 412 because the lost attempt had applied."""
    served_by: Counter[str] = field(default_factory=Counter)


@dataclass
class Held:
    """A request body sent in two parts: the first at once, the rest on `release`, so the
    request is in flight on its server for as long as the test wants."""

    sent_first: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    client_port: int | None = None
    """The port its connection to the balancer came from, which `show sess` shows."""

    async def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace hook: learns the connection's own port as it connects."""
        if event == "connection.connect_tcp.complete":
            self.client_port = int(info["return_value"].get_extra_info("client_addr")[1])

    def body(self, content: bytes) -> AsyncIterator[bytes]:
        async def parts() -> AsyncIterator[bytes]:
            yield content[: len(content) // 2]
            self.sent_first.set()
            await self.release.wait()
            yield content[len(content) // 2 :]

        return parts()


async def perform(
    c: httpx.AsyncClient,
    ledger: Ledger,
    method: str,
    path: str,
    payload: dict[str, Any],
    *,
    attempt: str,
    headers: dict[str, str] | None = None,
    held: Held | None = None,
    pin: str | None = None,
) -> tuple[httpx.Response, int]:
    """Send until answered with something else than a gateway error; the answer and how many
    attempts failed before it. The body is the same bytes each time (an Idempotency-Key's
    retry must be the same request). `held` and `pin` shape the first attempt only.

    Each attempt goes on a connection of its own (`connection: close`): when a server dies
    under a request that is not the first on a kept-alive client connection, HAProxy closes
    that connection without an answer and without a log line (its way of having the client
    retry), and the test could not tell what the attempt reached. The first request on a
    connection gets a 502, logged with the server it was in flight on."""
    content = json.dumps(payload).encode()
    deadline = time.monotonic() + WRITE_DEADLINE_SECONDS
    for n in itertools.count():
        sent = {
            **(headers or {}),
            "content-type": "application/json",
            "content-length": str(len(content)),
            "connection": "close",
            "x-attempt": f"{attempt}.{n}",
        }
        if n == 0 and pin is not None:
            sent["x-pin"] = pin
        body: bytes | AsyncIterator[bytes] = content
        extensions: dict[str, Any] = {}
        if n == 0 and held is not None:
            body, extensions = held.body(content), {"trace": held.trace}
        ledger.attempts += 1
        try:
            r = await c.request(method, path, content=body, headers=sent, extensions=extensions)
        except httpx.TransportError as exc:
            outcome = f"{type(exc).__name__}: {exc}"
        else:
            ledger.served_by[r.headers.get("x-served-by", "?")] += 1
            in_progress = r.status_code == 409 and r.json().get("code") == "idempotency_in_progress"
            if r.status_code not in RETRYABLE and not in_progress:
                if r.headers.get("idempotent-replayed") == "true":
                    ledger.replayed.add(attempt)
                return r, n
            outcome = f"{r.status_code}: {r.text[:200]}"
        ledger.failures.append(Failure(f"{attempt}.{n}", outcome, method, path))
        assert time.monotonic() < deadline, f"{method} {path} never succeeded: {outcome}"
        await asyncio.sleep(RETRY_PAUSE_SECONDS)
    raise AssertionError("unreachable")


async def create_task(
    c: httpx.AsyncClient,
    ledger: Ledger,
    board: Board,
    key: str,
    *,
    held: Held | None = None,
    pin: str | None = None,
) -> str:
    r, _ = await perform(
        c,
        ledger,
        "POST",
        f"/api/v1/projects/{board.pid}/tasks",
        {"title": key, "assignee_ids": [board.member.id]},
        attempt=key,
        headers={"idempotency-key": key},
        held=held,
        pin=pin,
    )
    task = expect(r, 201)
    assert task["title"] == key
    ledger.created[key] = task["id"]
    ledger.titles[task["id"]] = task["title"]
    ledger.versions[task["id"]] = task["version"]
    return str(task["id"])


async def update_task(c: httpx.AsyncClient, ledger: Ledger, task_id: str, key: str) -> None:
    version = ledger.versions[task_id]
    title = f"{ledger.titles[task_id].split(' ')[0]} {key}"
    r, failed = await perform(
        c,
        ledger,
        "PATCH",
        f"/api/v1/tasks/{task_id}",
        {"title": title},
        attempt=key,
        headers={"if-match": f'"{version}"'},
    )
    if r.status_code == 412 and failed:  # did the attempt that got no answer apply?
        now = expect(await c.get(f"/api/v1/tasks/{task_id}"), 200)
        assert (now["version"], now["title"]) == (version + 1, title), (
            f"PATCH {task_id} got 412 after {failed} failed attempts, but the task is {now}"
        )
        ledger.applied_unanswered += 1
    else:
        now = expect(r, 200)
    ledger.titles[task_id] = now["title"]
    ledger.versions[task_id] = now["version"]
    ledger.updates += 1


async def comment(c: httpx.AsyncClient, ledger: Ledger, task_id: str, key: str) -> None:
    body = f"comment {key}"
    r, _ = await perform(
        c,
        ledger,
        "POST",
        f"/api/v1/tasks/{task_id}/comments",
        {"body": body},
        attempt=key,
        headers={"idempotency-key": key},
    )
    made = expect(r, 201)
    assert made["body"] == body
    ledger.comments[key] = (made["id"], task_id, body)


async def writer(n: int, base_url: str, board: Board, ledger: Ledger, stop: asyncio.Event) -> None:
    """Half creates, a quarter updates, a quarter comments, on this writer's own tasks."""
    mine: list[str] = []
    async with httpx.AsyncClient(base_url=base_url, headers=board.owner.headers, timeout=30) as c:
        for i in itertools.count():
            if stop.is_set():
                return
            key = f"w{n}-{i:05d}"
            if i % 4 in (0, 1) or not mine:
                mine.append(await create_task(c, ledger, board, key))
            elif i % 4 == 2:
                await update_task(c, ledger, mine[(i // 4) % len(mine)], key)
            else:
                await comment(c, ledger, mine[-1], key)
            await asyncio.sleep(THINK_SECONDS)


# --- live clients ---------------------------------------------------------------------------


@dataclass
class Follower:
    """A WebSocket client of the project through the balancer, as docs/realtime.md says a
    client should be: it keeps a cursor, and after losing its connection it connects again
    (to whichever process the balancer picks) and subscribes with `since` the cursor."""

    user: User
    pin: str
    """The server its first connection goes to."""
    start: int | None = None
    """`seq` of its first `subscribed`: it is owed every event of the project after it."""
    cursor: int | None = None
    seqs: list[int] = field(default_factory=list)
    servers: list[str] = field(default_factory=list)
    drops: list[str] = field(default_factory=list)
    statuses: list[bool] = field(default_factory=list)
    unexpected: list[dict[str, Any]] = field(default_factory=list)

    async def follow(self, base_url: str, project_id: str, stop: asyncio.Event) -> None:
        url = f"{base_url.replace('http://', 'ws://')}/api/v1/ws?token={self.user.access_token}"
        while not stop.is_set():
            pin = {"x-pin": self.pin} if not self.servers else {}
            try:
                async with connect(url, additional_headers=pin, open_timeout=5) as ws:
                    assert ws.response is not None
                    self.servers.append(ws.response.headers.get("x-served-by", "?"))
                    await self._session(ws, project_id, stop)
            except (ConnectionClosed, InvalidHandshake, OSError, TimeoutError) as exc:
                self.drops.append(f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(0.1)

    async def _session(self, ws: ClientConnection, project_id: str, stop: asyncio.Event) -> None:
        subscribe: dict[str, Any] = {"type": "subscribe", "project_id": project_id}
        if self.cursor is not None:
            subscribe["since"] = self.cursor
        await ws.send(json.dumps(subscribe))
        subscribed = False
        pinger = asyncio.create_task(self._ping(ws))
        try:
            while not stop.is_set():
                try:
                    message = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
                except TimeoutError:
                    continue
                kind = message["type"]
                if kind == "event":
                    self.seqs.append(message["seq"])
                    self._advance(message["seq"])
                elif kind == "subscribed":
                    subscribed = True
                    if self.start is None:
                        self.start = message["seq"]
                    self._advance(message["seq"])
                elif kind in ("heartbeat", "pong"):
                    if subscribed:  # before it, the cursor says nothing of this subscription
                        self._advance(message["seq"])
                elif kind == "status":
                    self.statuses.append(message["live"])
                elif kind not in ("hello", "presence"):
                    self.unexpected.append(message)  # reset, error: the protocol failed us
        finally:
            pinger.cancel()

    def _advance(self, seq: int) -> None:
        self.cursor = max(self.cursor or 0, seq)

    @staticmethod
    async def _ping(ws: ClientConnection) -> None:
        """Ask for the server's position often: each `pong` moves the cursor on."""
        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.sleep(0.5)
                await ws.send('{"type": "ping"}')


# --- the database as the truth ---------------------------------------------------------------


@dataclass
class Stored:
    events: list[tuple[int, str, UUID | None, UUID | None, UUID | None]]
    """(seq, type, project id, task id, entity id), in order."""
    counter: int | None
    positions: dict[str, int]
    tasks: dict[str, tuple[str, int]]
    """Task id -> (title, version)."""
    comments: dict[str, tuple[str, str]]
    """Comment id -> (body, task id)."""
    deliveries: list[tuple[str, int, str, str]]
    """(message id, event seq, event type, status), in event order."""
    jobs: Counter[tuple[str, str]]
    """(kind, status) -> how many."""
    assigned: Counter[str]
    """Task id -> the member's `assigned` notifications about it."""
    emailed: Counter[str]
    """Task id -> those whose e-mail job has run (`emailed_at`)."""

    @property
    def head(self) -> int:
        return self.events[-1][0] if self.events else 0


async def read_stored(database_url: str, project_id: str, member_id: str) -> Stored:
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as db:
            events = (
                await db.execute(
                    select(Event.seq, Event.type, Event.project_id, Event.task_id, Event.entity_id)
                    .order_by(Event.seq)
                )
            ).all()  # fmt: skip
            counter = await db.scalar(
                select(SeqCounter.value).where(SeqCounter.name == EVENTS_COUNTER)
            )
            positions = (
                await db.execute(select(ConsumerPosition.name, ConsumerPosition.position))
            ).all()
            project = UUID(project_id)
            tasks = (
                await db.execute(
                    select(Task.id, Task.title, Task.version).where(Task.project_id == project)
                )
            ).all()
            comments = (
                await db.execute(
                    select(Comment.id, Comment.body, Comment.task_id)
                    .join(Task, Task.id == Comment.task_id)
                    .where(Task.project_id == project)
                )
            ).all()
            deliveries = (
                await db.execute(
                    select(WebhookDelivery.message_id, WebhookDelivery.event_seq,
                           WebhookDelivery.event_type, WebhookDelivery.status)
                    .order_by(WebhookDelivery.event_seq)
                )
            ).all()  # fmt: skip
            jobs = (
                await db.execute(
                    select(Job.kind, Job.status, func.count()).group_by(Job.kind, Job.status)
                )
            ).all()
            assigned = (
                await db.execute(
                    select(Notification.task_id, func.count(), func.count(Notification.emailed_at))
                    .where(Notification.user_id == UUID(member_id), Notification.type == "assigned")
                    .group_by(Notification.task_id)
                )
            ).all()
    finally:
        await engine.dispose()
    return Stored(
        events=[(r[0], r[1], r[2], r[3], r[4]) for r in events],
        counter=counter,
        positions={str(name): int(position) for name, position in positions},
        tasks={str(r.id): (r.title, r.version) for r in tasks},
        comments={str(r.id): (r.body, str(r.task_id)) for r in comments},
        # Only a delivery replayed by hand has no event; none is, here.
        deliveries=[(r[0], r[1] or 0, r[2], str(r[3])) for r in deliveries],
        jobs=Counter({(kind, str(status)): count for kind, status, count in jobs}),
        assigned=Counter({str(task_id): count for task_id, count, _ in assigned}),
        emailed=Counter({str(task_id): count for task_id, _, count in assigned}),
    )


# --- faults ---------------------------------------------------------------------------------


@dataclass
class Faults:
    killed: list[Failure] = field(default_factory=list)
    """The failed attempts of the requests held in flight on app 1 when it was killed."""
    drained_exit: int | None = None
    drain_seconds: float = 0.0
    """From SIGTERM to app 2's exit."""
    served_after: Counter[str] = field(default_factory=Counter)
    """Answers by each server once everything was back."""
    began: float = 0.0
    timeline: list[tuple[float, str]] = field(default_factory=list)

    def mark(self, what: str) -> None:
        self.timeline.append((round(time.monotonic() - self.began, 1), what))


@dataclass
class Relay:
    """A TCP relay from HAProxy to app 1 for one request: it passes the request on and keeps
    the answer back until told to drop the connection. Then app 1 has answered (and
    committed), but the client has heard nothing, as when a process dies with its answer
    still in its socket's buffer."""

    port: int
    target: int
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    drop: asyncio.Event = field(default_factory=asyncio.Event)

    async def serve(self) -> asyncio.Server:
        return await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def _relay(self, down: asyncio.StreamReader, back: asyncio.StreamWriter) -> None:
        up, on = await asyncio.open_connection("127.0.0.1", self.target)

        async def forward() -> None:
            while data := await down.read(65536):
                on.write(data)
                await on.drain()

        forwarding = asyncio.create_task(forward())
        try:
            if await up.read(65536):
                self.answered.set()
            await self.drop.wait()
        finally:
            forwarding.cancel()
            back.transport.abort()
            on.transport.abort()


async def hold_in_flight(
    c: httpx.AsyncClient, lb: Balancer, ledger: Ledger, board: Board, key: str, server: str
) -> tuple[Held, asyncio.Task[str]]:
    """Start creating a task through the balancer on `server`, its body half sent: in flight
    there until the caller releases it. Returns once HAProxy has passed it to the server."""
    held = Held()
    creating = asyncio.create_task(create_task(c, ledger, board, key, held=held, pin=server))
    await asyncio.wait_for(held.sent_first.wait(), 10)
    deadline = time.monotonic() + 10
    while not (held.client_port and lb.forwarding(held.client_port, server)):
        assert time.monotonic() < deadline, f"HAProxy did not pass {key} to {server}"
        assert not creating.done(), creating
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)  # the bytes it forwarded reach the server
    return held, creating


def in_flight(server: LiveServer) -> float:
    """Requests the server is handling (its own /metrics, asked directly: this one too)."""
    text = httpx.get(f"{server.url}/metrics", timeout=10).text
    return sum(
        float(line.split()[-1])
        for line in text.splitlines()
        if line.startswith("tasklane_http_requests_in_flight ")
    )


async def run_faults(cluster: Cluster, board: Board, ledger: Ledger, faults: Faults) -> None:
    """The faults one after the other, a short spell of load apart. A process starts slowly
    on a busy machine, so the restarts run in the background meanwhile; once all are back,
    load goes on until the restarted apps have served a few requests each."""
    faults.began = time.monotonic()
    restarts: list[asyncio.Task[None]] = []
    try:
        await inflict(cluster, board, ledger, faults, restarts)
    finally:  # whatever failed, no restart is left running
        results = await asyncio.gather(*restarts, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    faults.mark("all back")
    before = Counter(ledger.served_by)
    deadline = time.monotonic() + 20
    while True:
        faults.served_after = ledger.served_by - before
        if min(faults.served_after[name] for name in ("app1", "app2")) >= 3:
            return
        assert time.monotonic() < deadline, f"the restarted apps serve nothing: {faults}"
        await asyncio.sleep(0.1)


async def inflict(
    cluster: Cluster,
    board: Board,
    ledger: Ledger,
    faults: Faults,
    restarts: list[asyncio.Task[None]],
) -> None:
    lb = cluster.balancer

    def bring_back(name: str) -> None:
        cluster.apps[name].start()
        lb.set_state(name, "ready")  # no-op unless a deploy had taken it out
        lb.wait_state(name, "UP")
        faults.mark(f"{name} back")

    def drained(name: str, since: float) -> None:
        app = cluster.apps[name]
        assert app.proc is not None
        faults.drained_exit = app.proc.wait(30)
        faults.drain_seconds = time.monotonic() - since
        faults.mark(f"{name} exited")
        app.stop()  # collects its output
        bring_back(name)

    def worker_back() -> None:
        cluster.workers[0].start()
        faults.mark("worker1 back")

    def background(work: Callable[..., None], *args: Any) -> None:
        restarts.append(asyncio.create_task(asyncio.to_thread(work, *args)))

    async with httpx.AsyncClient(base_url=lb.url, headers=board.owner.headers, timeout=30) as c:
        await asyncio.sleep(PAUSE_SECONDS)

        # 1. kill -9 app 1 with two requests in flight on it: one it is still reading, one
        # it has answered but whose answer has not reached HAProxy (held back by a relay).
        # Then start it again.
        app1 = cluster.apps["app1"]
        held, creating = await hold_in_flight(c, lb, ledger, board, "held-kill", "app1")
        relay = Relay(cluster.relay_port, app1.port)
        relaying = await relay.serve()
        answered = asyncio.create_task(
            create_task(c, ledger, board, "held-answered", pin="app1-relay")
        )
        await asyncio.wait_for(relay.answered.wait(), 10)
        faults.mark("kill -9 app1")
        await asyncio.to_thread(app1.kill)
        relay.drop.set()
        held.release.set()
        await creating  # both retried elsewhere with their Idempotency-Key
        await answered
        relaying.close()
        faults.killed = [f for f in ledger.failures if f.attempt.startswith("held-")]
        background(bring_back, "app1")
        await asyncio.sleep(PAUSE_SECONDS)

        # 2. Drain app 2: out of rotation first (as a deploy's preStop step does), then
        # SIGTERM while it handles a request of ours, and nothing else.
        app2 = cluster.apps["app2"]
        held, creating = await hold_in_flight(c, lb, ledger, board, "held-drain", "app2")
        lb.set_state("app2", "maint")
        deadline = time.monotonic() + 10
        while await asyncio.to_thread(in_flight, app2) != 2:  # ours, and the scrape
            assert time.monotonic() < deadline, "app 2 is not handling just our request"
            await asyncio.sleep(0.05)
        faults.mark("SIGTERM app2")
        stopping = time.monotonic()
        os.killpg(app2.pid, signal.SIGTERM)
        await asyncio.sleep(0.5)
        assert app2.proc is not None
        assert app2.proc.poll() is None, "app 2 exited with a request in flight"
        held.release.set()
        await creating
        background(drained, "app2", stopping)
        await asyncio.sleep(PAUSE_SECONDS)

    # 3. kill -9 a worker, and start it again.
    faults.mark("kill -9 worker1")
    await asyncio.to_thread(cluster.workers[0].kill)
    background(worker_back)
    await asyncio.sleep(PAUSE_SECONDS)

    # 4. Restart Redis.
    faults.mark("stop redis")
    await asyncio.to_thread(cluster.redis.stop)
    await asyncio.sleep(1.0)
    await asyncio.to_thread(cluster.redis.start)
    faults.mark("redis back")


# --- the test -------------------------------------------------------------------------------


async def caught_up(
    database_url: str,
    board: Board,
    receiver: Receiver,
    followers: list[Follower],
    took: dict[str, float],
) -> Stored:
    """Wait until every consumer has handled the whole log, every webhook message has
    arrived, and every live client's cursor has reached the log's head; `took` says how long
    each took."""
    began = time.monotonic()
    deadline = began + CATCH_UP_SECONDS
    while True:
        stored = await read_stored(database_url, board.pid, board.member.id)
        arrived = {a.webhook_id for a in receiver.snapshot()}
        behind = {
            "consumers": {n: p for n, p in stored.positions.items() if p < stored.head},
            "webhooks": sum(1 for d in stored.deliveries if d[0] not in arrived),
            "undelivered": sum(1 for d in stored.deliveries if d[3] != "delivered"),
            "e-mail jobs": (stored.assigned - stored.emailed).total(),
            "followers": [f.cursor for f in followers if (f.cursor or 0) < stored.head],
        }
        for what, lagging in behind.items():
            if not lagging:
                took.setdefault(what, round(time.monotonic() - began, 1))
        if not any(behind.values()):
            return stored
        if time.monotonic() > deadline:
            raise AssertionError(f"not caught up in {CATCH_UP_SECONDS}s: {behind}")
        await asyncio.sleep(0.25)


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_scale_out_loses_nothing_through_kills_drains_and_a_redis_restart(
    database_url: str, cluster: Cluster, receiver: Receiver
) -> None:
    began = time.monotonic()
    lb = cluster.balancer
    async with httpx.AsyncClient(base_url=lb.url, timeout=30) as http:
        board = await make_board(http)
        hook = expect(
            await http.post(
                f"/api/v1/workspaces/{board.workspace['id']}/webhooks",
                json={"url": receiver.url, "event_types": list(WEBHOOK_EVENTS)},
                headers=board.owner.headers,
            ),
            201,
        )
    followers = [
        Follower(board.owner, "app1"),
        Follower(board.member, "app2"),
        Follower(board.owner, "app3"),
    ]
    ledger, faults, catch_up = Ledger(), Faults(), dict[str, float]()
    stop_writing, stop_following = asyncio.Event(), asyncio.Event()
    following = [
        asyncio.create_task(f.follow(lb.url, board.pid, stop_following)) for f in followers
    ]
    try:
        while any(f.start is None for f in followers):  # subscribed before any write
            assert time.monotonic() - began < 60, "live clients could not subscribe"
            assert not any(t.done() for t in following), [t.exception() for t in following]
            await asyncio.sleep(0.05)
        writing = [
            asyncio.create_task(writer(n, lb.url, board, ledger, stop_writing))
            for n in range(WRITERS)
        ]
        try:
            await run_faults(cluster, board, ledger, faults)
        finally:
            stop_writing.set()
            await asyncio.wait_for(asyncio.gather(*writing), WRITE_DEADLINE_SECONDS + 10)
        load_seconds = time.monotonic() - began
        at_load_end = await read_stored(database_url, board.pid, board.member.id)
        arrived = {a.webhook_id for a in receiver.snapshot()}
        stored = await caught_up(database_url, board, receiver, followers, catch_up)
    finally:
        stop_following.set()
        followed = await asyncio.wait_for(asyncio.gather(*following, return_exceptions=True), 15)
    for outcome in followed:
        if isinstance(outcome, BaseException):
            raise outcome  # a live client broke: the protocol surprised it
    await asyncio.sleep(0.3)  # HAProxy logs a request when it ends: the last lines
    log = {line.attempt: line for line in lb.log()}
    arrivals = receiver.snapshot()
    summary = {
        "wall seconds": round(time.monotonic() - began, 1),
        "load seconds": round(load_seconds, 1),
        "faults": faults.timeline,
        "attempts": ledger.attempts,
        "failed attempts": len(ledger.failures),
        "replayed": sorted(ledger.replayed),
        "updates applied unanswered": ledger.applied_unanswered,
        "served by": dict(sorted(ledger.served_by.items())),
        "tasks": len(ledger.created),
        "updates": ledger.updates,
        "comments": len(ledger.comments),
        "events": stored.head,
        "live clients (connections, events, live statuses)": [
            (len(f.servers), len(f.seqs), f.statuses) for f in followers
        ],
        "webhook messages": len(stored.deliveries),
        "webhook arrivals": len(arrivals),
        "e-mails (tasks, sent)": (len(mails(cluster)), mails(cluster).total()),
        "jobs": {f"{kind} {status}": n for (kind, status), n in sorted(stored.jobs.items())},
        "drain seconds": round(faults.drain_seconds, 2),
        "behind at load end": {
            "consumers": {n: at_load_end.head - p for n, p in at_load_end.positions.items()},
            "webhooks": sum(1 for d in at_load_end.deliveries if d[0] not in arrived),
        },
        "catch-up seconds": catch_up,
    }
    print("\nscale-out:", json.dumps(summary, default=str), flush=True)  # noqa: T201

    check_faults(cluster, ledger, faults, log)
    await check_writes(lb, board, ledger, stored)
    check_live(board, followers, stored)
    check_webhooks(hook["secret"], arrivals, stored)
    check_notifications(cluster, ledger, stored)
    failed_jobs = {k: n for k, n in stored.jobs.items() if k[1] == JobStatus.FAILED.value}
    assert not failed_jobs, failed_jobs
    assert "unhandled_exception" not in cluster.logs  # no request met a bug


def mails(cluster: Cluster) -> Counter[str]:
    """The e-mails the workers sent (logged), by the key of the task each is about."""
    mailed: Counter[str] = Counter()
    for worker in cluster.workers:
        for line in worker.output:
            if '"mail_logged"' in line:
                mailed.update(KEY.findall(json.loads(line)["subject"])[:1])
    return mailed


def check_notifications(cluster: Cluster, ledger: Ledger, stored: Stored) -> None:
    # Every assignment told the member once, in the app, and its e-mail job ran.
    assert stored.assigned == Counter(dict.fromkeys(stored.tasks, 1))
    assert stored.emailed == stored.assigned, "an assignment's e-mail job never ran"
    # Each e-mail went (here: was logged) at least once; only jobs that the worker kill
    # interrupted (at most as many as it ran at once) may have sent theirs twice.
    mailed = mails(cluster)
    assert set(mailed) == set(ledger.created), set(ledger.created) ^ set(mailed)
    repeats = mailed.total() - len(mailed)
    assert repeats <= WORKER_CONCURRENCY, f"{repeats} e-mails went twice"


def check_faults(cluster: Cluster, ledger: Ledger, faults: Faults, log: dict[str, LogLine]) -> None:
    # The requests held in flight on the killed process failed there, and their retries
    # succeeded (`perform`): the one it was still reading made its task then; the one it had
    # answered had made it before, and its retry was answered from the idempotency record.
    killed = {f.attempt: log[f.attempt].server for f in faults.killed}
    assert killed == {"held-kill.0": "app1", "held-answered.0": "app1-relay"}, faults.killed
    assert "held-answered" in ledger.replayed
    assert "held-kill" not in ledger.replayed
    # The one in flight on the drained process was answered by it, at the first attempt.
    assert not [f for f in ledger.failures if f.attempt.startswith("held-drain.")]
    drained = log["held-drain.0"]
    assert (drained.server, drained.status, drained.termination) == ("app2", 201, "--"), drained
    # uvicorn raises the signal again once it has shut down gracefully, so -SIGTERM is a clean
    # exit; and it had nothing left to cancel when its grace ran out.
    app2 = cluster.apps["app2"].log_text
    assert faults.drained_exit in {0, -signal.SIGTERM}, app2[-4000:]
    assert "timeout graceful shutdown exceeded" not in app2
    # Only requests in flight on the killed process failed: HAProxy had sent each to app 1,
    # which went away before it answered (S: the server's side ended it; H or D: while HAProxy
    # waited for the answer's headers, or read its body).
    for failure in ledger.failures:
        line = log.get(failure.attempt)
        assert line is not None, f"HAProxy never logged {failure}"
        assert line.server in {"app1", "app1-relay"}, f"{failure} failed on {line}"
        assert line.termination in {"SH", "SD"}, (
            f"{failure} failed on {line}: it was not in flight on the killed process"
        )
    # The restarted processes serve again.
    assert faults.served_after["app1"] > 0, faults.served_after
    assert faults.served_after["app2"] > 0, faults.served_after


async def check_writes(lb: Balancer, board: Board, ledger: Ledger, stored: Stored) -> None:
    # Every acknowledged write is there as answered; each key made one task or comment.
    for task_id, title in ledger.titles.items():
        assert stored.tasks.get(task_id) == (title, ledger.versions[task_id]), task_id
    keys = Counter(title.split(" ")[0] for title, _ in stored.tasks.values())
    assert keys == Counter(ledger.created.keys()), "a key made no task, or more than one"
    made = {cid: (body, task_id) for cid, task_id, body in ledger.comments.values()}
    assert stored.comments == made, "a comment is missing, doubled or different"
    # The API, through the balancer, says the same.
    listed: dict[str, tuple[str, int]] = {}
    cursor: str | None = None
    async with httpx.AsyncClient(base_url=lb.url, headers=board.owner.headers, timeout=30) as c:
        while True:
            params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
            page = expect(await c.get(f"/api/v1/projects/{board.pid}/tasks", params=params), 200)
            listed |= {t["id"]: (t["title"], t["version"]) for t in page["items"]}
            cursor = page["next_cursor"]
            if cursor is None:
                break
    assert listed == stored.tasks
    # The event log has no gap, and each task was created once in it.
    seqs = [e[0] for e in stored.events]
    assert seqs == list(range(1, len(seqs) + 1)), "the event log has a gap"
    assert stored.counter == stored.head
    created = Counter(str(e[3]) for e in stored.events if e[1] == "task.created")
    assert created == Counter(stored.tasks.keys())


def check_live(board: Board, followers: list[Follower], stored: Stored) -> None:
    # Every live client got every event of the project after its start, once, in order,
    # across its reconnections.
    project = UUID(board.pid)
    for follower in followers:
        assert follower.start is not None
        owed = [e[0] for e in stored.events if e[2] == project and e[0] > follower.start]
        doubled = sorted(s for s, n in Counter(follower.seqs).items() if n > 1)
        missed = sorted(set(owed) - set(follower.seqs))
        assert not doubled, f"{follower.pin}: events doubled: {doubled[:20]}"
        assert not missed, f"{follower.pin}: events missed: {missed[:20]} {follower.drops}"
        assert follower.seqs == owed, f"{follower.pin}: events out of order, or not owed"
        assert not follower.unexpected, follower.unexpected
        # Told that live delivery paused while Redis was away, and that it is live again.
        assert False in follower.statuses, follower.statuses
        assert follower.statuses[-1] is True, follower.statuses
    # The clients of the killed and the drained process lost their connection and resumed.
    assert [f.servers[0] for f in followers] == [f.pin for f in followers]
    assert len(followers[0].servers) > 1, followers[0]
    assert len(followers[1].servers) > 1, followers[1]


def check_webhooks(secret: str, arrivals: list[Arrival], stored: Stored) -> None:
    # One message per matching event, each delivered.
    matching = [(e[0], e[1]) for e in stored.events if e[1] in WEBHOOK_EVENTS]
    assert [(d[1], d[2]) for d in stored.deliveries] == matching
    assert {d[3] for d in stored.deliveries} == {"delivered"}
    # What a receiver keeping the first of each webhook-id (as the Standard Webhooks spec asks)
    # kept: every message, signed, in event order. Only a send that the worker kill
    # interrupted may have come twice.
    first: dict[str, Arrival] = {}
    for arrival in arrivals:
        first.setdefault(arrival.webhook_id, arrival)
    seq_of = {d[0]: d[1] for d in stored.deliveries}
    assert set(first) == set(seq_of)
    order = [seq_of[m] for m in first]
    assert order == sorted(order), "webhook messages arrived out of order"
    verifier = Verifier(secret)
    for message_id, arrival in first.items():
        assert verifier.verify(arrival.body, arrival.headers)["data"]["seq"] == seq_of[message_id]
    repeats = len(arrivals) - len(first)
    assert repeats <= 1, f"{repeats} webhook messages came again"
