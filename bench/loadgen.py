"""wrk runs, and reading the app's own counters from /metrics around them."""

from __future__ import annotations

import json
import secrets
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.servers import run_child
from bench.workloads import Op, lua_requests

METRICS_TOKEN = secrets.token_urlsafe(32)
"""The app runs with production settings, which serve /metrics only with a token: this run's."""


def _metrics(base: str) -> str:
    headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    return httpx.get(f"{base}/metrics", headers=headers, timeout=120).raise_for_status().text


LUA = Path(__file__).resolve().parent / "lua" / "replay.lua"


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise RuntimeError("wrk is not installed: `apt-get install -y wrk` (Debian package)")
    return path


def wrk_version() -> str:
    _, out, _ = run_child([wrk_path(), "--version"], timeout=10)
    return out.splitlines()[0].strip() if out else "wrk"


@dataclass
class WrkResult:
    requests: int
    seconds: float
    errors: dict[str, int]
    latency_ms: dict[str, float]
    cpu_seconds: float
    raw: str

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def summary(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "requests_per_s": round(self.rps, 1),
            "errors": self.errors,
            "error_count": self.error_count,
            "latency_ms": self.latency_ms,
            "loadgen_cores": round(self.cpu_seconds / self.seconds, 2) if self.seconds else 0.0,
        }


def run_wrk(
    base: str,
    ops: Sequence[Op],
    *,
    connections: int,
    seconds: float,
    work_dir: Path,
    name: str,
    run: int,
) -> WrkResult:
    """Replay `ops` for `seconds` over `connections` keep-alive connections (2 threads at
    most: the machine has 2 cores and the servers need them)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    requests = lua_requests(ops, work_dir / f"{name}.requests.lua")
    threads = min(2, connections)
    cmd = [
        wrk_path(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "30s",
        "-s",
        str(LUA),
        base,
    ]
    env = {"BENCH_REQUESTS": str(requests), "BENCH_RUN": str(run)}
    code, out, cpu = run_child(cmd, env=env, timeout=seconds + 60)
    (work_dir / f"{name}.wrk.txt").write_text(out)
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if code != 0 or line is None:
        raise RuntimeError(f"wrk failed ({code}): {out[-2000:]}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    latency = {k: round(v / 1000, 2) for k, v in data["latency_us"].items()}
    return WrkResult(
        requests=int(data["requests"]),
        seconds=data["duration_us"] / 1e6,
        errors={k: int(v) for k, v in data["errors"].items()},
        latency_ms=latency,
        cpu_seconds=cpu,
        raw=out,
    )


# --- the app's counters ----------------------------------------------------------------------

Counts = dict[tuple[str, str], dict[str, float]]
"""(method, route) -> {"requests", "statements", "db_seconds", "errors"}."""


def scrape(base: str) -> Counts | None:
    """The app's counters, or None when it cannot answer within two minutes (an overloaded
    server still working through its backlog): the run then has no SQL figures."""
    try:
        text = _metrics(base)
    except httpx.HTTPError:
        return None
    counts: Counts = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if "route" not in labels:
                continue
            key = (labels["method"], labels["route"])
            entry = counts.setdefault(
                key, {"requests": 0.0, "statements": 0.0, "db_seconds": 0.0, "errors": 0.0}
            )
            if sample.name == "tasklane_http_request_duration_seconds_count":
                entry["requests"] += sample.value
                if labels.get("status", "").startswith(("4", "5")):
                    entry["errors"] += sample.value
            elif sample.name == "tasklane_db_statements_total":
                entry["statements"] += sample.value
            elif sample.name == "tasklane_db_statement_seconds_total":
                entry["db_seconds"] += sample.value
    return counts


IGNORED_ROUTES = {"/metrics", "/healthz", "/readyz"}

LagBuckets = dict[float, float]
"""Upper bound (seconds) -> cumulative count of tasklane_event_loop_lag_seconds samples."""


def scrape_lag(base: str) -> LagBuckets | None:
    """The event-loop lag histogram (summed over the app's processes), or None."""
    try:
        text = _metrics(base)
    except httpx.HTTPError:
        return None
    buckets: LagBuckets = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "tasklane_event_loop_lag_seconds_bucket":
                bound = float(sample.labels["le"])
                buckets[bound] = buckets.get(bound, 0.0) + sample.value
    return buckets


def lag_percentile_ms(
    before: LagBuckets | None, after: LagBuckets | None, p: float = 0.99
) -> float | None:
    """The `p` quantile of the loop lag sampled between two scrapes, as the upper bound of the
    histogram bucket it falls in (ms): a ceiling, as exact as the buckets."""
    if not before or not after:
        return None
    grown = sorted((bound, count - before.get(bound, 0.0)) for bound, count in after.items())
    total = grown[-1][1] if grown else 0.0
    if total <= 0:
        return None
    for bound, count in grown:
        if count >= p * total:
            return bound * 1000 if bound != float("inf") else None
    return None


def settle(base: str, *, limit: float = 120) -> float:
    """Wait until the server answers a health check quickly again (it has worked through the
    backlog an overload left), so one run's queue does not spill into the next. Returns the
    seconds waited."""
    began = time.monotonic()
    while time.monotonic() - began < limit:
        started = time.monotonic()
        try:
            httpx.get(f"{base}/healthz", timeout=limit).raise_for_status()
        except httpx.HTTPError:
            time.sleep(1)
            continue
        if time.monotonic() - started < 0.5:
            break
    return round(time.monotonic() - began, 1)


def delta(before: Counts | None, after: Counts | None) -> dict[str, Any]:
    """Requests, statements per request and the busiest routes between two scrapes (the
    scrapes themselves and health checks left out)."""
    routes: dict[str, dict[str, float]] = {}
    if before is None or after is None:
        return {
            "requests": None,
            "statements_per_request": None,
            "db_ms_per_request": None,
            "server_errors": None,
            "routes": {},
        }
    for key, now in after.items():
        if key[1] in IGNORED_ROUTES:
            continue
        was = before.get(key, {})
        diff = {k: v - was.get(k, 0.0) for k, v in now.items()}
        if diff["requests"] > 0:
            routes[f"{key[0]} {key[1]}"] = diff
    requests = sum(r["requests"] for r in routes.values())
    statements = sum(r["statements"] for r in routes.values())
    return {
        "requests": int(requests),
        "statements_per_request": round(statements / requests, 2) if requests else None,
        "db_ms_per_request": (
            round(sum(r["db_seconds"] for r in routes.values()) * 1000 / requests, 2)
            if requests
            else None
        ),
        "server_errors": int(sum(r["errors"] for r in routes.values())),
        "routes": {
            name: {
                "requests": int(r["requests"]),
                "statements_per_request": round(r["statements"] / r["requests"], 2),
            }
            for name, r in sorted(routes.items(), key=lambda kv: -kv[1]["requests"])
        },
    }
