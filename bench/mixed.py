"""The mixed scenario with Locust (headless): 100, 500 and 1,500 simulated users with think
time, steady state only (statistics reset when ramp-up ends), then the same load again with a
login storm (25 logins/s for 60 s, open loop) to see what password hashing does to everyone
else."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.datasets import THINGS
from bench.loadgen import delta, lag_percentile_ms, scrape, scrape_lag, settle
from bench.servers import measured, run_child
from tasklane.config import Settings

if TYPE_CHECKING:
    from bench.run import Context

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
STORM_NAME = "POST /auth/login (storm)"
PROJECTS_PER_USER = 25


def plan(ctx: Context, *, storm: bool) -> dict[str, Any]:
    """Who the simulated users are and what they can touch, for bench/locustfile.py."""
    manifest = ctx.manifest
    projects: list[dict[str, Any]] = []
    index_of: dict[int, int] = {}
    identities = []
    for user, token in sorted(ctx.tokens.items()):
        visible = [i for i, p in enumerate(manifest.projects) if user in p.users and p.sample_tasks]
        # The flagship (where most people work) first, then a spread of the others.
        chosen = visible[:1] + visible[1 :: max(1, len(visible) // PROJECTS_PER_USER)]
        mine = []
        for i in chosen[:PROJECTS_PER_USER]:
            if i not in index_of:
                p = manifest.projects[i]
                index_of[i] = len(projects)
                projects.append(
                    {
                        "id": p.id,
                        "statuses": [s["id"] for s in p.statuses],
                        "tasks": p.sample_tasks,
                        "weight": round(math.sqrt(p.size), 2),
                    }
                )
            mine.append(index_of[i])
        if mine:
            identities.append({"token": token, "projects": mine})
    profile = ctx.profile
    return {
        "seed": 7,
        "think": list(profile.think),
        "identities": identities,
        "projects": projects,
        "words": [thing.split()[0] for thing in THINGS[:12]],
        "storm": (
            {
                "rate": profile.storm_rate,
                "seconds": profile.storm_seconds,
                "timeout": 60,
                "emails": [u["email"] for u in manifest.users],
                "password": manifest.password,
            }
            if storm
            else None
        ),
    }


def run(ctx: Context) -> None:
    levels = [(users, False) for users in ctx.profile.mixed_levels]
    levels.append((ctx.profile.storm_level, True))
    for users, storm in levels:
        _level(ctx, users, storm=storm)


def run_storm_variant(ctx: Context) -> None:
    """The storm alone, on servers started with cheaper password hashing (the stage's
    settings); its baseline is the main run at the same number of users."""
    _level(ctx, ctx.profile.storm_level, storm=True, variant=_hashing(ctx.env))


def _hashing(env: dict[str, str]) -> str:
    fields = Settings.model_fields
    memory = env.get("TASKLANE_PASSWORD_HASH_MEMORY_KIB")
    if memory is None:
        default = fields["password_hash_memory_kib"].default // 1024
        return (
            f"argon2id server defaults (m={default} MiB, "
            f"t={fields['password_hash_time_cost'].default}, "
            f"p={fields['password_hash_parallelism'].default})"
        )
    return (
        f"argon2id m={int(memory) // 1024} MiB, t={env['TASKLANE_PASSWORD_HASH_TIME_COST']}, "
        f"p={env['TASKLANE_PASSWORD_HASH_PARALLELISM']}"
    )


def _level(ctx: Context, users: int, *, storm: bool, variant: str | None = None) -> None:
    profile = ctx.profile
    name = f"mixed-{users}{'-storm' if storm else ''}{'-variant' if variant else ''}"
    plan_path = ctx.raw / f"{name}.plan.json"
    plan_path.write_text(json.dumps(plan(ctx, storm=storm)))
    out_path = ctx.raw / f"{name}.locust.json"
    ramp = users / profile.spawn_rate
    steady = profile.storm_seconds + profile.storm_tail_seconds if storm else profile.mixed_seconds
    runtime = math.ceil(ramp + steady)
    cmd = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(profile.spawn_rate),
        "--run-time",
        f"{runtime}s",
        "--host",
        ctx.app.base,
        "--reset-stats",
        "--only-summary",
        "--stop-timeout",
        "0",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
    ]
    env = {"BENCH_PLAN": str(plan_path), "BENCH_LOCUST_OUT": str(out_path)}
    before = scrape(ctx.app.base)
    lag_before = scrape_lag(ctx.app.base)
    with measured(ctx.app, postgres=ctx.backend.database == "postgres") as (cpu, memory):
        code, output, locust_cpu = run_child(cmd, env=env, timeout=runtime + 120)
    cpu.end(loadgen_seconds=locust_cpu)
    counted = delta(before, scrape(ctx.app.base))
    lag_p99 = lag_percentile_ms(lag_before, scrape_lag(ctx.app.base))
    settled = settle(ctx.app.base)
    (ctx.raw / f"{name}.locust.txt").write_text(output)
    if code != 0 or not out_path.exists():
        raise RuntimeError(f"locust failed ({code}): {output[-2000:]}")
    stats = json.loads(out_path.read_text())
    window = max(1e-9, stats["window"][1] - stats["window"][0]) if stats["window"][1] else 0.0
    entries = stats["entries"]
    others = [e for e in entries if e["name"] != STORM_NAME]
    record: dict[str, Any] = {
        "users": users,
        "storm": storm,
        "variant": variant,
        "password_hash": _hashing(ctx.env),
        "think_seconds": list(profile.think),
        "steady_seconds": round(window, 1),
        "tool": "locust",
        **_aggregate(others, window),
        "by_name": {
            e["name"]: _aggregate([e], window)
            for e in sorted(others, key=lambda e: -int(e["num_requests"]))
        },
        "errors": [
            {"name": e["name"], "error": e["error"], "occurrences": e["occurrences"]}
            for e in stats["errors"].values()
        ][:10],
        "statements_per_request": counted["statements_per_request"],
        "db_ms_per_request": counted["db_ms_per_request"],
        "server_errors": counted["server_errors"],
        "event_loop_lag_p99_ms": lag_p99,
        "rss_mb": memory.peak_mb(),
        "cpu": cpu.as_dict(),
        "backlog_seconds_after": settled,
    }
    if storm:
        logins = [e for e in entries if e["name"] == STORM_NAME]
        record["logins"] = {**_aggregate(logins, window), **stats["storm"]}
    ctx.record("mixed", **record)


def _aggregate(entries: Iterable[dict[str, Any]], window: float) -> dict[str, Any]:
    histogram: dict[int, int] = {}
    requests = failures = 0
    for entry in entries:
        requests += int(entry["num_requests"])
        failures += int(entry["num_failures"])
        for ms, count in entry["response_times"].items():
            key = int(float(ms))
            histogram[key] = histogram.get(key, 0) + int(count)
    return {
        "requests": requests,
        "requests_per_s": round(requests / window, 1) if window else 0.0,
        "failures": failures,
        "latency_ms": {
            "p50": _percentile(histogram, 50),
            "p95": _percentile(histogram, 95),
            "p99": _percentile(histogram, 99),
            "max": max(histogram) if histogram else None,
        },
    }


def _percentile(histogram: dict[int, int], p: float) -> int | None:
    """Nearest rank over Locust's response-time histogram (ms, rounded as Locust rounds)."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = max(1, math.ceil(p / 100 * total))
    seen = 0
    for ms in sorted(histogram):
        seen += histogram[ms]
        if seen >= rank:
            return ms
    return max(histogram)
