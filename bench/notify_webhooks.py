"""Webhooks and notifications: the two dispatcher consumers the worker runs after a change
commits, timed from the outside, and what they cost the write request itself.

Webhooks. A workspace owner registers `hooks` webhooks (20 in the full run) for `task.*`, each
to its own path of a receiver in this process on 127.0.0.1; a writer then renames one task
`updates` times, one request at a time, at a steady pace, each title carrying a marker. The
receiver notes when each (webhook, change) arrived (first arrival per `webhook-id`: delivery
is at least once). Latency runs from the writer's response to the receipt, over every pair.
The same writer makes the same number of changes before the webhooks exist, so the write
request's own latency is seen without and with them, in the same run. The webhooks are
deleted at the end.

Notifications. On the project with the most users, the commenter creates two tasks; up to
`watchers` of the project's other people watch the second (each adds themselves). Comments go
first to the unwatched task, then to the watched one, at a steady pace: the comment request's
latency without and with the fan-out. One watcher holds a WebSocket on its user channel and
notes when each `notification` message arrives. The server folds a burst by the same person on
the same task (within TASKLANE_NOTIFICATION_COALESCE_SECONDS, 120 s) into one notification and
sends its message again with the same id, so every comment still makes one message: the k-th
message is the k-th comment's (the comments go one at a time and the dispatcher keeps their
order). The inbox then shows whether they folded (`distinct_ids`, `folded_count`).

All times are the system-wide monotonic clock, so the writer, the receiver and the WebSocket
listener (its own thread and event loop, as is the receiver's) compare directly. The receiver
and listener run on the same two cores as the servers.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import math
import re
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
import websockets
from prometheus_client.parser import text_string_to_metric_families

from bench.loadgen import METRICS_TOKEN, LagBuckets, lag_percentile_ms, scrape_lag
from bench.servers import CpuWindow

if TYPE_CHECKING:
    from bench.datasets import ProjectInfo
    from bench.run import Context

T = TypeVar("T")

STALL_SECONDS = 15.0
"""Stop waiting for deliveries or messages when none came for this long (a failed webhook
delivery is retried after 5-10 s, so one retry still counts)."""
MAX_WAIT_SECONDS = 600.0
"""Stop waiting this long after the last change whatever still comes."""
QUIET_SECONDS = 1.2
"""The worker is idle when it finished no job for this long (it polls for due jobs every
second when nothing wakes it)."""
SETTLE_MAX_SECONDS = 600.0
IDLE_AFTER_SECONDS = 0.5
"""After the writes without webhooks (or watchers), how long their consumers get to finish
before the CPU window closes."""


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return ordered[index]


def _ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b and not (math.isnan(a) or math.isnan(b)) else math.nan


# --- a background event loop: the webhook receiver and the WebSocket listener -------------------


class Background:
    """An asyncio loop in its own thread, so receipts are noted while the writer waits."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="bench-listeners", daemon=True
        )

    def __enter__(self) -> Background:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        async def cancel_all() -> None:
            mine = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not mine]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(Exception):
            self.run(cancel_all(), timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        if not self.thread.is_alive():
            self.loop.close()

    def spawn(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return self.spawn(coro).result(timeout)


@dataclass
class Receipt:
    at: float
    path: str
    message_id: str
    body: bytes


@dataclass
class Receiver:
    """A minimal HTTP/1.1 server (keep-alive, Content-Length or chunked bodies) that answers
    every request 200 at once and notes its arrival; the bodies are read after the run."""

    received: list[Receipt] = field(default_factory=list)
    server: asyncio.Server | None = None
    writers: set[asyncio.StreamWriter] = field(default_factory=set)

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=1024)
        return int(self.server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for writer in list(self.writers):
            writer.close()
        if self.server is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.server.wait_closed(), timeout=5)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                _, path, *_ = lines[0].split(" ")
                headers = {}
                for line in lines[1:]:
                    name, sep, value = line.partition(":")
                    if sep:
                        headers[name.strip().lower()] = value.strip()
                if headers.get("transfer-encoding", "").lower() == "chunked":
                    body = await _read_chunked(reader)
                else:
                    body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.received.append(
                    Receipt(time.monotonic(), path, headers.get("webhook-id", ""), body)
                )
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    return
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            return
        finally:
            self.writers.discard(writer)
            writer.close()


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = b""
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers are sent
            return body
        body += await reader.readexactly(size)
        await reader.readexactly(2)


async def _listen(
    url: str, ready: threading.Event, into: list[tuple[float, dict[str, Any]]]
) -> None:
    """Follow the user channel; note each `notification` message with its arrival time."""
    async with websockets.connect(url, max_queue=None, ping_interval=None, open_timeout=60) as ws:
        await ws.send(json.dumps({"type": "subscribe", "user": True}))
        while True:
            message = json.loads(await ws.recv())
            if message.get("type") == "subscribed" and message.get("user") is True:
                break
        ready.set()
        async for raw in ws:
            at = time.monotonic()
            message = json.loads(raw)
            if message.get("type") == "notification":
                into.append((at, message))


# --- the writer ---------------------------------------------------------------------------------


def _paced(http: httpx.Client, count: int, rate: float, request: Any) -> list[tuple[float, float]]:
    """`count` requests one at a time, the i-th due at i / rate: (start, end) of each."""
    sent: list[tuple[float, float]] = []
    started = time.monotonic()
    for i in range(count):
        due = started + i / rate
        time.sleep(max(0.0, due - time.monotonic()))
        before = time.monotonic()
        response = request(http, i)
        after = time.monotonic()
        response.raise_for_status()
        sent.append((before, after))
    return sent


def _ms(sent: list[tuple[float, float]]) -> list[float]:
    return [(after - before) * 1000 for before, after in sent]


def _wait(progress: Any, expected: int, last_sent: float) -> None:
    """Until `progress()` reaches `expected`, or nothing new came for STALL_SECONDS."""
    seen, changed = -1, time.monotonic()
    while True:
        now = time.monotonic()
        count = progress()
        if count >= expected or now - last_sent > MAX_WAIT_SECONDS:
            return
        if count != seen:
            seen, changed = count, now
        elif now - changed > STALL_SECONDS:
            return
        time.sleep(0.05)


class Watch:
    """The app over a phase: its CPU per operation, its event loop's lag (the app samples it
    every 50 ms; quantiles are histogram bucket bounds), and what else ran on the machine."""

    def __init__(self, ctx: Context) -> None:
        self.base = ctx.app.base
        self.window = CpuWindow(ctx.app.pids, ctx.backend.database == "postgres")
        self.lag = scrape_lag(self.base)
        self.window.begin()

    def end(self, operations: int, suffix: str) -> dict[str, Any]:
        self.window.end()
        lag = scrape_lag(self.base)
        cpu = self.window
        return {
            f"app_cpu_ms_per_op_{suffix}": round(
                1000 * sum(cpu.app_cores) * cpu.wall / max(operations, 1), 2
            ),
            f"loop_lag_p99_ms_{suffix}": _lag(self.lag, lag, 0.99),
            f"loop_lag_max_ms_{suffix}": _lag(self.lag, lag, 1.0),
            f"other_cores_{suffix}": cpu.as_dict()["other_cores"],
        }


def _lag(before: LagBuckets | None, after: LagBuckets | None, p: float) -> float | str | None:
    """The quantile's bucket bound in ms; beyond the histogram's last bound, `> <bound>`."""
    found = lag_percentile_ms(before, after, p)
    inf = float("inf")
    if found is None and before and after and after.get(inf, 0.0) > before.get(inf, 0.0):
        return f"> {max(b for b in after if b != inf) * 1000:g}"
    return found


def _samples(base: str) -> list[Any]:
    response = httpx.get(
        f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=60
    )
    text = response.raise_for_status().text
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def _activity(base: str) -> tuple[float, float]:
    """(Work in hand: jobs running and events a dispatcher consumer has yet to handle, job
    attempts finished so far), from the app's own gauges and counters on /metrics."""
    busy = finished = 0.0
    for sample in _samples(base):
        if sample.name == "tasklane_event_dispatch_lag_events" or (
            sample.name == "tasklane_jobs" and sample.labels.get("status") == "running"
        ):
            busy += sample.value
        elif sample.name == "tasklane_job_attempts_total":
            finished += sample.value
    return busy, finished


def send_jobs(base: str) -> float:
    """Webhook send jobs finished so far (all the app's processes)."""
    return sum(
        float(sample.value)
        for sample in _samples(base)
        if sample.name == "tasklane_job_attempts_total"
        and sample.labels.get("kind") == "webhooks.send"
    )


def settle(base: str) -> float:
    """Wait until the worker is idle: no job running, no event waiting for a consumer, and no
    job finished for QUIET_SECONDS (jobs queued for later, such as digests, stay queued). The
    seconds until it was last seen at work."""
    began = time.monotonic()
    seen, since = -1.0, began
    while time.monotonic() - began < SETTLE_MAX_SECONDS:
        busy, finished = _activity(base)
        now = time.monotonic()
        if busy or finished != seen:
            seen, since = finished, now
        elif now - since >= QUIET_SECONDS:
            break
        time.sleep(0.1)
    return round(since - began, 2)


def _most_users(ctx: Context) -> ProjectInfo:
    return max(
        (p for p in ctx.manifest.projects if len(p.users) >= 2 and p.sample_tasks),
        key=lambda p: len(p.users),
    )


# --- webhooks -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HookPlan:
    base: str
    token: str
    """A workspace owner's (or admin's): registers the webhooks and makes the changes."""
    workspace_id: str
    task_ref: str
    hooks: int
    updates: int
    rate: float
    marker: str


def measure_webhooks(ctx: Context, bg: Background, plan: HookPlan) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {plan.token}"}
    receiver = Receiver()
    port = bg.run(receiver.start())
    root = f"/api/v1/workspaces/{plan.workspace_id}/webhooks"
    with httpx.Client(base_url=plan.base, headers=headers, timeout=30) as http:

        def rename(tag: str) -> Any:
            def request(client: httpx.Client, i: int) -> httpx.Response:
                return client.patch(
                    f"/api/v1/tasks/{plan.task_ref}", json={"title": f"{plan.marker}-{tag}{i}"}
                )

            return request

        watch = Watch(ctx)
        without = _paced(http, plan.updates, plan.rate, rename("base"))
        time.sleep(IDLE_AFTER_SECONDS)
        phase_without = watch.end(plan.updates, "without")

        hook_ids: list[str] = []
        try:
            for i in range(plan.hooks):
                r = http.post(
                    root,
                    json={
                        "url": f"http://127.0.0.1:{port}/hook/{i}",
                        "event_types": ["task.*"],
                        "description": f"benchmark receiver {i}",
                    },
                )
                r.raise_for_status()
                hook_ids.append(r.json()["id"])

            pattern = re.compile(re.escape(plan.marker) + r"-(\d+)$")
            arrivals: dict[tuple[int, int], float] = {}
            message_ids: set[str] = set()
            duplicates = 0
            others = 0
            parsed = 0

            def progress() -> int:
                nonlocal parsed, duplicates, others
                fresh = receiver.received[parsed:]
                parsed += len(fresh)
                for receipt in fresh:
                    if receipt.message_id in message_ids:
                        duplicates += 1
                        continue
                    message_ids.add(receipt.message_id)
                    change = _marked_change(receipt.body, pattern)
                    if change is None or not receipt.path.startswith("/hook/"):
                        others += 1
                        continue
                    key = (int(receipt.path.removeprefix("/hook/")), change)
                    arrivals.setdefault(key, receipt.at)
                return len(arrivals)

            jobs_before = send_jobs(plan.base)
            watch = Watch(ctx)
            sent = _paced(http, plan.updates, plan.rate, rename(""))
            _wait(progress, plan.hooks * plan.updates, sent[-1][1])
            # Each change woke a send job per webhook: most find the queue drained already.
            settled = settle(plan.base)
            phase_with = watch.end(plan.updates, "with")
            jobs_run = send_jobs(plan.base) - jobs_before
        finally:
            for hook_id in hook_ids:
                http.delete(f"{root}/{hook_id}").raise_for_status()
            bg.run(receiver.stop())

    from_response: list[float] = []
    from_request: list[float] = []
    last: list[float] = []
    for i, (before, after) in enumerate(sent):
        times = [arrivals[(h, i)] for h in range(plan.hooks) if (h, i) in arrivals]
        from_response.extend((t - after) * 1000 for t in times)
        from_request.extend((t - before) * 1000 for t in times)
        if times:
            last.append((max(times) - after) * 1000)
    write_without, write_with = _ms(without), _ms(sent)
    finished = max(arrivals.values(), default=math.nan)
    return {
        "webhooks": plan.hooks,
        "updates": plan.updates,
        "rate_per_second": plan.rate,
        "samples": len(from_response),
        "missing": plan.hooks * plan.updates - len(from_response),
        "duplicates": duplicates,
        "unexpected": others,
        "p50_ms": _percentile(from_response, 0.50),
        "p95_ms": _percentile(from_response, 0.95),
        "p99_ms": _percentile(from_response, 0.99),
        "max_ms": max(from_response, default=math.nan),
        "from_request_p50_ms": _percentile(from_request, 0.50),
        "from_request_p95_ms": _percentile(from_request, 0.95),
        "last_webhook_p50_ms": _percentile(last, 0.50),
        "last_webhook_p95_ms": _percentile(last, 0.95),
        "drain_seconds": round(finished - sent[-1][1], 2),
        "settle_seconds": settled,
        "send_jobs_per_change": round(jobs_run / plan.updates, 1),
        "achieved_per_second": round(plan.updates / (sent[-1][1] - sent[0][0]), 2),
        "write_p50_ms_without": _percentile(write_without, 0.50),
        "write_p95_ms_without": _percentile(write_without, 0.95),
        "write_p50_ms_with": _percentile(write_with, 0.50),
        "write_p95_ms_with": _percentile(write_with, 0.95),
        "write_p50_ratio": _ratio(_percentile(write_with, 0.50), _percentile(write_without, 0.50)),
        "write_p95_ratio": _ratio(_percentile(write_with, 0.95), _percentile(write_without, 0.95)),
        **phase_without,
        **phase_with,
    }


def _marked_change(body: bytes, pattern: re.Pattern[str]) -> int | None:
    """The change a delivery is about: the marker in the event's new title (the entity it
    carries is the task as it is when the consumer ran, possibly a later change's)."""
    try:
        message = json.loads(body)
        title = message["data"]["changes"]["title"]["to"]
    except (ValueError, KeyError, TypeError):
        return None
    match = pattern.search(str(title))
    return int(match.group(1)) if match else None


# --- notifications ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NotifyPlan:
    base: str
    project_id: str
    commenter: int
    """The user who creates both tasks and comments (never notified of their own changes)."""
    watchers: list[int]
    """Who watch the second task; the last one listens on a WebSocket."""
    comments: int
    rate: float
    marker: str


def measure_notifications(ctx: Context, bg: Background, plan: NotifyPlan) -> dict[str, Any]:
    users = ctx.manifest.users
    auth = {"Authorization": f"Bearer {ctx.tokens[plan.commenter]}"}
    me = users[plan.commenter]["id"]
    with httpx.Client(base_url=plan.base, headers=auth, timeout=30) as http:
        refs: dict[str, tuple[str, str]] = {}
        for name in ("quiet", "watched"):
            r = http.post(
                f"/api/v1/projects/{plan.project_id}/tasks",
                json={"title": f"{plan.marker} {name}"},
            )
            r.raise_for_status()
            task = r.json()
            refs[name] = (task["key"], task["id"])
            # The creator watches what they create: not here, so the quiet task has nobody.
            http.delete(f"/api/v1/tasks/{task['key']}/watchers/{me}").raise_for_status()
        quiet, (watched, watched_id) = refs["quiet"][0], refs["watched"]
        for u in plan.watchers:
            r = http.post(
                f"/api/v1/tasks/{watched}/watchers",
                json={"user_id": users[u]["id"]},
                headers={"Authorization": f"Bearer {ctx.tokens[u]}"},
            )
            r.raise_for_status()
        counts = {
            name: len(http.get(f"/api/v1/tasks/{key}/watchers").json()["items"])
            for name, (key, _) in refs.items()
        }

        listener = plan.watchers[-1]
        ws_url = plan.base.replace("http://", "ws://") + f"/api/v1/ws?token={ctx.tokens[listener]}"
        ready = threading.Event()
        messages: list[tuple[float, dict[str, Any]]] = []
        listening = bg.spawn(_listen(ws_url, ready, messages))
        if not ready.wait(60):
            listening.cancel()
            raise RuntimeError("the watcher's WebSocket did not subscribe to its user channel")

        def comment(ref: str) -> Any:
            def request(client: httpx.Client, i: int) -> httpx.Response:
                return client.post(
                    f"/api/v1/tasks/{ref}/comments",
                    json={"body": f"{plan.marker} comment {i}: a remark on the work"},
                )

            return request

        def ours() -> list[tuple[float, dict[str, Any]]]:
            return [
                (at, m) for at, m in list(messages) if m["notification"]["task_id"] == watched_id
            ]

        try:
            watch = Watch(ctx)
            alone = _paced(http, plan.comments, plan.rate, comment(quiet))
            time.sleep(IDLE_AFTER_SECONDS)
            phase_without = watch.end(plan.comments, "without")

            watch = Watch(ctx)
            sent = _paced(http, plan.comments, plan.rate, comment(watched))
            _wait(lambda: len(ours()), plan.comments, sent[-1][1])
            phase_with = watch.end(plan.comments, "with")
        finally:
            listening.cancel()
        received = ours()
        inbox = http.get(
            "/api/v1/notifications",
            params={"limit": 200},
            headers={"Authorization": f"Bearer {ctx.tokens[listener]}"},
        )
        inbox.raise_for_status()
        about = [n for n in inbox.json()["items"] if n["task_id"] == watched_id]

    # The k-th message is the k-th comment's (one at a time; the dispatcher keeps the order).
    # (More messages than comments would be a fault: `messages` above shows it.)
    pairs = [(received[k][0], sent[k]) for k in range(min(len(received), len(sent)))]
    from_response = [(at - after) * 1000 for at, (_, after) in pairs]
    from_request = [(at - before) * 1000 for at, (before, _) in pairs]
    comment_alone, comment_watched = _ms(alone), _ms(sent)
    return {
        "watchers": counts["watched"],
        "quiet_task_watchers": counts["quiet"],
        "comments": plan.comments,
        "rate_per_second": plan.rate,
        "messages": len(received),
        "missing": plan.comments - len(received),
        # Messages about anything else (the quiet task has no watchers: nothing may come).
        "stray_messages": len(messages) - len(received),
        "distinct_ids": len({m["notification"]["id"] for _, m in received}),
        "inbox_notifications": len(about),
        "folded_count": sum(int(n.get("count", 1)) for n in about),
        "p50_ms": _percentile(from_response, 0.50),
        "p95_ms": _percentile(from_response, 0.95),
        "p99_ms": _percentile(from_response, 0.99),
        "max_ms": max(from_response, default=math.nan),
        "from_request_p50_ms": _percentile(from_request, 0.50),
        "from_request_p95_ms": _percentile(from_request, 0.95),
        "comment_p50_ms_without": _percentile(comment_alone, 0.50),
        "comment_p95_ms_without": _percentile(comment_alone, 0.95),
        "comment_p50_ms_with": _percentile(comment_watched, 0.50),
        "comment_p95_ms_with": _percentile(comment_watched, 0.95),
        "comment_p50_ratio": _ratio(
            _percentile(comment_watched, 0.50), _percentile(comment_alone, 0.50)
        ),
        "comment_p95_ratio": _ratio(
            _percentile(comment_watched, 0.95), _percentile(comment_alone, 0.95)
        ),
        "achieved_per_second": round(plan.comments / (sent[-1][1] - sent[0][0]), 2),
        **phase_without,
        **phase_with,
    }


# --- the stage ----------------------------------------------------------------------------------


def run(ctx: Context) -> None:
    """The suite's stage (its servers run with TASKLANE_WEBHOOK_ALLOW_PRIVATE=true, so webhooks
    may call the receiver on 127.0.0.1): webhooks first, deleted at its end, then notifications,
    both on the project of the standard dataset with the most users."""
    profile = ctx.profile
    project = _most_users(ctx)
    roles = dict(ctx.manifest.workspaces[project.workspace]["members"])
    owner = next(
        u
        for role in ("owner", "admin")
        for u in project.users
        if roles.get(u) == role and u in ctx.tokens
    )
    common = {
        "processes": len(ctx.app.pids),
        "redis": bool(ctx.env.get("TASKLANE_REDIS_URL")),
    }
    run_number = ctx.next_run()
    with Background() as bg:
        hooks = HookPlan(
            base=ctx.app.base,
            token=ctx.tokens[owner],
            workspace_id=ctx.manifest.workspaces[project.workspace]["id"],
            task_ref=project.sample_tasks[0],
            hooks=profile.webhook_count,
            updates=profile.webhook_updates,
            rate=profile.webhook_rate,
            marker=f"hookbench{run_number}",
        )
        ctx.record("webhook_latency", **common, **measure_webhooks(ctx, bg, hooks))

        commenter = next(u for u in project.users if roles.get(u) != "guest" and u in ctx.tokens)
        others = [u for u in project.users if u != commenter and u in ctx.tokens]
        notify = NotifyPlan(
            base=ctx.app.base,
            project_id=project.id,
            commenter=commenter,
            watchers=others[: profile.notify_watchers],
            comments=profile.notify_comments,
            rate=profile.notify_rate,
            marker=f"notifybench{run_number}",
        )
        ctx.record(
            "notification_fanout",
            **common,
            project_users=len(project.users),
            **measure_notifications(ctx, bg, notify),
        )
