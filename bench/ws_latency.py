"""Live updates: the time from an HTTP change to its arrival at every WebSocket client.

`clients` WebSocket clients (500 in the full run) subscribe to one project; a writer then
changes one of its tasks `updates` times, one request at a time, at a steady pace. Each change
carries a marker in its title, so every client records when that change reached it.

Latency is measured two ways for every (change, client) pair, both with the system-wide
monotonic clock, so the writer and the client processes compare times directly:
- from the writer's response: the commit happened before the response was sent, so this is
  a small underestimate of commit-to-receipt;
- from the writer's request start: an overestimate (it includes the request itself).
The clients run in their own processes, on the same two cores as the servers; the time a
client takes to read 500 sockets is part of the figure, as it would be for the server's own
share of the machine.
"""

from __future__ import annotations

import asyncio
import json
import math
import multiprocessing as mp
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import websockets

if TYPE_CHECKING:
    from bench.run import Context

CLIENT_PROCESSES = 2
SETTLE_SECONDS = 3.0
"""How long after the last change the clients keep listening for stragglers."""


@dataclass(frozen=True)
class Plan:
    base: str
    tokens: list[str]
    """One access token per client (cycled when there are fewer)."""
    writer_token: str
    project_id: str
    task_ref: str
    clients: int
    updates: int
    rate: float
    """Changes per second."""
    marker: str


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return ordered[index]


# --- client processes -------------------------------------------------------------------------


async def _client(
    url: str,
    project_id: str,
    pattern: re.Pattern[str],
    times: dict[int, float],
    ready: asyncio.Queue[bool],
    expected: int,
    stop_at: list[float],
) -> None:
    async with websockets.connect(url, max_queue=None, ping_interval=None, open_timeout=60) as ws:
        await ws.send(json.dumps({"type": "subscribe", "project_id": project_id}))
        while '"subscribed"' not in str(await ws.recv()):
            pass
        await ready.put(True)
        while len(times) < expected:
            remaining = stop_at[0] - time.monotonic()
            if remaining <= 0:
                return
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=remaining)
            except TimeoutError:
                return
            received = time.monotonic()
            match = pattern.search(str(raw))
            if match is not None:
                times.setdefault(int(match.group(1)), received)


async def _clients_main(
    plan: Plan, tokens: list[str], to_parent: Any, from_parent: Any
) -> list[dict[int, float]]:
    ws_base = plan.base.replace("http://", "ws://") + "/api/v1/ws"
    pattern = re.compile(r'"to":"' + re.escape(plan.marker) + r'-(\d+)"')
    ready: asyncio.Queue[bool] = asyncio.Queue()
    stop_at = [time.monotonic() + 3600.0]
    results: list[dict[int, float]] = [{} for _ in tokens]
    tasks = []
    for i, token in enumerate(tokens):
        tasks.append(
            asyncio.create_task(
                _client(
                    f"{ws_base}?token={token}",
                    plan.project_id,
                    pattern,
                    results[i],
                    ready,
                    plan.updates,
                    stop_at,
                )
            )
        )
        if i % 50 == 49:
            await asyncio.sleep(0.05)  # do not open hundreds of handshakes in one burst
    for _ in tokens:
        await ready.get()
    to_parent.put(("ready", len(tokens)))
    loop = asyncio.get_running_loop()
    finish = await loop.run_in_executor(None, from_parent.get)  # the writer's end time
    stop_at[0] = float(finish) + SETTLE_SECONDS
    await asyncio.gather(*tasks, return_exceptions=True)
    return results


def _client_process(plan: Plan, tokens: list[str], to_parent: Any, from_parent: Any) -> None:
    results = asyncio.run(_clients_main(plan, tokens, to_parent, from_parent))
    to_parent.put(("done", [{str(k): v for k, v in r.items()} for r in results]))


# --- the measurement --------------------------------------------------------------------------


def measure(plan: Plan) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    to_parent: Any = ctx.Queue()
    from_parent = [ctx.Queue() for _ in range(CLIENT_PROCESSES)]
    tokens = [plan.tokens[i % len(plan.tokens)] for i in range(plan.clients)]
    shares = [tokens[i::CLIENT_PROCESSES] for i in range(CLIENT_PROCESSES)]
    procs = [
        ctx.Process(target=_client_process, args=(plan, share, to_parent, from_parent[i]))
        for i, share in enumerate(shares)
        if share
    ]
    for proc in procs:
        proc.start()
    try:
        connected = 0
        while connected < plan.clients:
            kind, value = to_parent.get(timeout=180)
            assert kind == "ready", value
            connected += int(value)

        sent: list[tuple[float, float]] = []
        headers = {"Authorization": f"Bearer {plan.writer_token}"}
        with httpx.Client(base_url=plan.base, headers=headers, timeout=30) as http:
            started = time.monotonic()
            for i in range(plan.updates):
                due = started + i / plan.rate
                time.sleep(max(0.0, due - time.monotonic()))
                before = time.monotonic()
                response = http.patch(
                    f"/api/v1/tasks/{plan.task_ref}", json={"title": f"{plan.marker}-{i}"}
                )
                after = time.monotonic()
                response.raise_for_status()
                sent.append((before, after))
        for q in from_parent:
            q.put(time.monotonic())

        received: list[dict[str, float]] = []
        for _ in procs:
            kind, value = to_parent.get(timeout=120)
            assert kind == "done", value
            received.extend(value)
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
        for q in [to_parent, *from_parent]:
            q.close()

    from_response: list[float] = []
    from_request: list[float] = []
    first: list[float] = []
    last: list[float] = []
    for i, (before, after) in enumerate(sent):
        times = [r[str(i)] for r in received if str(i) in r]
        from_response.extend((t - after) * 1000 for t in times)
        from_request.extend((t - before) * 1000 for t in times)
        if times:
            first.append((min(times) - after) * 1000)
            last.append((max(times) - after) * 1000)
    expected = plan.clients * plan.updates
    write_ms = [(after - before) * 1000 for before, after in sent]
    return {
        "clients": plan.clients,
        "updates": plan.updates,
        "rate_per_second": plan.rate,
        "samples": len(from_response),
        "missing": expected - len(from_response),
        "p50_ms": _percentile(from_response, 0.50),
        "p95_ms": _percentile(from_response, 0.95),
        "p99_ms": _percentile(from_response, 0.99),
        "max_ms": max(from_response, default=math.nan),
        "from_request_p50_ms": _percentile(from_request, 0.50),
        "from_request_p95_ms": _percentile(from_request, 0.95),
        "from_request_p99_ms": _percentile(from_request, 0.99),
        "first_client_p50_ms": _percentile(first, 0.50),
        "last_client_p50_ms": _percentile(last, 0.50),
        "last_client_p95_ms": _percentile(last, 0.95),
        "write_p50_ms": _percentile(write_ms, 0.50),
    }


# --- the stage --------------------------------------------------------------------------------


def run(ctx: Context) -> None:
    """The suite's stage: the project of the standard dataset with the most users; its users
    (several connections each) are the clients, one of its writers changes a task."""
    profile = ctx.profile
    project = max(
        (p for p in ctx.manifest.projects if len(p.users) >= 2 and p.sample_tasks),
        key=lambda p: len(p.users),
    )
    roles = dict(ctx.manifest.workspaces[project.workspace]["members"])
    writer = next(u for u in project.users if roles.get(u) != "guest" and u in ctx.tokens)
    plan = Plan(
        base=ctx.app.base,
        tokens=[ctx.tokens[u] for u in project.users if u in ctx.tokens],
        writer_token=ctx.tokens[writer],
        project_id=project.id,
        task_ref=project.sample_tasks[0],
        clients=profile.ws_clients,
        updates=profile.ws_updates,
        rate=profile.ws_rate,
        marker=f"wsbench{ctx.next_run()}",
    )
    figures = measure(plan)
    ctx.record(
        "ws_latency",
        processes=len(ctx.app.pids),
        redis=bool(ctx.env.get("TASKLANE_REDIS_URL")),
        users=len(plan.tokens),
        **figures,
    )
