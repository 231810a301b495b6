"""The Markdown: SUMMARY.md sections, the goals of issue 11, and the README's table."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.results import Record, summary_section

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
START = "<!-- bench:start -->"
END = "<!-- bench:end -->"
BACKEND_NAMES = {
    "sqlite": "SQLite, 1 process",
    "sqlite-cores": "SQLite, one process per core (the default)",
    "postgres": "PostgreSQL, 2 processes",
}


def _backend_rank(name: str) -> int:
    """Backends in the order of BACKEND_NAMES (unknown ones last)."""
    order = list(BACKEND_NAMES)
    return order.index(name) if name in order else len(order)


ENDPOINT_ORDER = (
    "list",
    "list_again",
    "list_filtered",
    "board",
    "search",
    "get",
    "create",
    "update",
    "move",
    "comment",
    "login",
)


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_fmt(c) for c in row) + " |" for row in rows]
    return lines


def _backends(records: Iterable[Record]) -> list[str]:
    seen = dict.fromkeys(r["backend"] for r in records)
    return [b for b in BACKEND_NAMES if b in seen]


def ceiling_rps(doc: dict[str, Any], backend: str, concurrency: int) -> float | None:
    """The ceiling's requests/s at a concurrency: the mean of its runs before and after the
    endpoint runs."""
    runs = [
        r["requests_per_s"]
        for r in doc["sections"].get("ceiling", [])
        if r["backend"] == backend
        and r["concurrency"] == concurrency
        and r["phase"] in ("before", "after")
    ]
    return sum(runs) / len(runs) if runs else None


def _share(doc: dict[str, Any], record: Record) -> float | None:
    """Throughput as a share of the ceiling run just before it (or, for older results, the
    ceiling's mean over the run)."""
    ceiling = record.get("paired_ceiling_rps") or ceiling_rps(
        doc, record["backend"], record["concurrency"]
    )
    if not ceiling:
        return None
    return round(100 * float(record["requests_per_s"]) / ceiling, 1)


def _cpu(record: Record) -> str:
    cpu = record.get("cpu") or {}
    app = "+".join(f"{c:.2f}" for c in cpu.get("app_cores", []))
    parts = [f"app {app}"]
    if cpu.get("postgres_cores"):
        parts.append(f"pg {cpu['postgres_cores']:.2f}")
    gen = cpu.get("loadgen_cores", 0) + cpu.get("bench_process_cores", 0)
    parts.append(f"load {gen:.2f}")
    parts.append(f"other {cpu.get('other_cores', 0):.2f}")
    return " · ".join(parts)


def _lat(record: Record, key: str) -> Any:
    return (record.get("latency_ms") or {}).get(key)


# --- machine and method ----------------------------------------------------------------------


@summary_section("machine", "Machine and method", order=1)
def _machine(_: list[Record], doc: dict[str, Any]) -> list[str]:
    meta = doc["meta"]
    m = meta.get("machine", {})
    lines = [
        *([f"- {text}"] if (text := noise(doc)) else []),
        f"- Machine: {m.get('cpu')}, {m.get('cores')} cores, {m.get('memory_gb')} GB RAM, "
        f"{m.get('os')}; Python {m.get('python')}, SQLite {m.get('sqlite')}.",
        f"- Load average when the run started: {m.get('load_average_at_start')} (the machine is "
        "shared: other people's work shows as `other` CPU in the tables).",
    ]
    if pg := meta.get("postgres"):
        lines.append(
            f"- PostgreSQL {pg.get('server_version')} on the same machine: shared_buffers "
            f"{pg.get('shared_buffers')}, synchronous_commit {pg.get('synchronous_commit')}, "
            f"max_connections {pg.get('max_connections')}."
        )
    lines += [
        f"- Load generators: {meta.get('wrk')} (endpoint runs; latency from wrk's own "
        "histogram via its Lua `done()` hook), a small asyncio client that times each "
        "operation itself (cross-check and growth), Locust (mixed scenario; percentiles from "
        "its response-time histogram).",
        "- App processes each have their own SO_REUSEPORT socket (the kernel spreads "
        "connections); the ceiling is a bare FastAPI endpoint on the same server settings and "
        "process count returning a real page of 50 tasks.",
        "- Server settings: production environment, JSON request logs at INFO to a file, "
        "SQLite in WAL mode with synchronous=NORMAL (the app's setting), argon2id at the "
        "server's defaults, write rate limits off (TASKLANE_RATE_LIMIT_ENABLED=false), "
        "day-long access tokens so runs never sign in again.",
        f"- Whole run: {meta.get('duration_minutes', '?')} minutes.",
    ]
    return lines


# --- goals -----------------------------------------------------------------------------------


@dataclass
class Goal:
    name: str
    target: str
    values: dict[str, tuple[str, bool | None]]


def _mixed(doc: dict[str, Any], backend: str, users: int, *, storm: bool) -> Record | None:
    for r in doc["sections"].get("mixed", []):
        same = r["backend"] == backend and r["users"] == users and r["storm"] == storm
        if same and not r.get("variant"):
            return dict(r)
    return None


def _growth(doc: dict[str, Any], backend: str, endpoint: str, c: int) -> dict[int, float]:
    return {
        r["tasks"]: _lat(r, "p95")
        for r in doc["sections"].get("growth", [])
        if r["backend"] == backend and r["endpoint"] == endpoint and r["concurrency"] == c
    }


def _endpoint(doc: dict[str, Any], backend: str, endpoint: str, c: int) -> Record | None:
    return next(
        (
            r
            for r in doc["sections"].get("endpoints", [])
            if r["backend"] == backend and r["endpoint"] == endpoint and r["concurrency"] == c
        ),
        None,
    )


def _cpu_ms(record: Record | None) -> float | None:
    """The app's CPU time per request (all its processes), in milliseconds."""
    if record is None or not record.get("requests_per_s"):
        return None
    cores = sum((record.get("cpu") or {}).get("app_cores", []))
    return round(1000 * cores / float(record["requests_per_s"]), 2) if cores else None


def _per_backend(targets: dict[str, str]) -> str:
    return "; ".join(f"{_SHORT[b]} {t}" for b, t in targets.items())


_SHORT = {"sqlite-cores": "default", "sqlite": "1 process", "postgres": "PostgreSQL"}
"""Backend names short enough for a target cell."""


def goals(doc: dict[str, Any]) -> list[Goal]:
    """Issue 11's goals (the ones this benchmark measures), per backend where they differ."""
    sections = doc["sections"]
    backends = _backends([r for rs in sections.values() for r in rs if "backend" in r])
    out: list[Goal] = []

    shares = {
        "list": {"sqlite-cores": 10.0, "sqlite": 8.0, "postgres": 5.0},
        "list_again": {"sqlite-cores": 30.0, "sqlite": 30.0},
        "get": {"sqlite-cores": 30.0, "sqlite": 25.0, "postgres": 12.0},
        "create": {"sqlite-cores": 8.0, "sqlite": 10.0},
    }
    labels = {
        "list": "List 50 of a 10k-task project, c16, share of ceiling",
        "list_again": "The same page again (page cache), c16, share of ceiling",
        "get": "Get one task, c16, share of ceiling",
        "create": "Create, c16, share of ceiling",
    }
    for endpoint, wanted in shares.items():
        values: dict[str, tuple[str, bool | None]] = {}
        for b in backends:
            rec = _endpoint(doc, b, endpoint, 16)
            share = _share(doc, rec) if rec else None
            if rec is None:
                values[b] = ("not run", None)
            elif endpoint == "create" and b == "postgres":
                rps = float(rec["requests_per_s"])
                values[b] = (f"{rps:,.0f} req/s ({share}%)", rps >= 400)
            else:
                want = wanted.get(b)
                met = None if want is None else _ok(share, lambda s, w=want: s >= w)
                values[b] = (f"{share}%", met)
        targets = {b: f"≥ {w:g}%" for b, w in wanted.items()}
        if endpoint == "create":
            targets["postgres"] = "≥ 400 req/s"
        out.append(Goal(labels[endpoint], _per_backend(targets), values))

    budgets = {"sqlite": (1.2, 0.4, 0.8), "postgres": (2.0, 0.6, 1.5)}
    values = {}
    for b in backends:
        costs = [_cpu_ms(_endpoint(doc, b, e, 16)) for e in ("list", "get", "create")]
        budget = budgets.get(b)
        ok = (
            None
            if budget is None or None in costs
            else all(c <= w for c, w in zip(costs, budget, strict=True))  # type: ignore[operator]
        )
        values[b] = (" / ".join(_fmt(c, 2) for c in costs) + " ms", ok)
    out.append(
        Goal(
            "App CPU per request, list / get / create (c16)",
            _per_backend({b: " / ".join(f"≤ {v:g}" for v in w) for b, w in budgets.items()}),
            values,
        )
    )

    for users, limit in ((1500, 50), (3000, 200)):
        values = {}
        for b in backends:
            mixed = _mixed(doc, b, users, storm=False)
            if mixed is None:
                values[b] = ("not run", None)
                continue
            p95 = _lat(mixed, "p95")
            ok = p95 is not None and p95 < limit and mixed["failures"] == 0
            values[b] = (f"p95 {p95} ms, {mixed['failures']} errors", ok)
        out.append(Goal(f"Mixed scenario, {users:,} users", f"p95 < {limit} ms, 0 errors", values))

    values = {}
    for b in backends:
        with_storm = next(
            (
                r
                for r in sections.get("mixed", [])
                if r["backend"] == b and r["storm"] and not r.get("variant")
            ),
            None,
        )
        if with_storm is None:
            values[b] = ("not run", None)
            continue
        without = _mixed(doc, b, with_storm["users"], storm=False)
        login_p95 = _lat(with_storm["logins"], "p95")
        other = _lat(with_storm, "p95")
        base = _lat(without, "p95") if without else None
        ratio = round(other / base, 1) if other and base else None
        ok = login_p95 is not None and login_p95 < 500 and ratio is not None and ratio <= 2
        values[b] = (
            f"login p95 {_fmt(login_p95)} ms; others p95 {other} ms vs {base} ms (x{ratio})",
            ok,
        )
    out.append(
        Goal(
            "Login storm, 25/s for 60 s during 500 users",
            "login p95 < 500 ms; others' p95 ≤ 2x without storm",
            values,
        )
    )

    values = {}
    for b in backends:
        lags = [
            r["event_loop_lag_p99_ms"]
            for r in sections.get("mixed", [])
            if r["backend"] == b and not r["storm"] and r.get("event_loop_lag_p99_ms") is not None
        ]
        worst = max(lags) if lags else None
        values[b] = (
            f"{_fmt(worst)} ms (worst level)" if worst is not None else "not run",
            _ok(worst, lambda v: v < 10),
        )
    out.append(Goal("Event-loop lag p99 under mixed load", "< 10 ms", values))

    values = {}
    for b in backends:
        peaks = [
            mb
            for section in ("endpoints", "mixed", "growth")
            for r in sections.get(section, [])
            if r["backend"] == b
            for mb in r.get("rss_mb", [])
        ]
        peak = max(peaks) if peaks else None
        values[b] = (f"{_fmt(peak)} MB" if peak else "not run", _ok(peak, lambda v: v < 250))
    out.append(Goal("Peak RSS per app process under load", "< 250 MB", values))

    for endpoint in ("list", "board", "search"):
        values = {}
        for b in backends:
            p95 = _growth(doc, b, endpoint, 1)
            small, big = p95.get(min(p95, default=0)), p95.get(max(p95, default=0))
            ratio = round(big / small, 2) if small and big else None
            values[b] = (
                f"{_fmt(small)} → {_fmt(big)} ms (x{_fmt(ratio, 2)})" if ratio else "not run",
                _ok(ratio, lambda r: r <= 1.5),
            )
        out.append(Goal(f"Growth: {endpoint} p95, 1k → 100k tasks (c1)", "≤ 1.5x", values))

    values = {}
    for b in backends:
        live = next((r for r in sections.get("ws_latency", []) if r["backend"] == b), None)
        if live is None:
            values[b] = ("not run", None)
            continue
        ok = live["p95_ms"] < 100 and live["missing"] == 0
        values[b] = (
            f"p95 {_fmt(live['p95_ms'])} ms, {live['clients']} clients, {live['missing']} missing",
            ok,
        )
    out.append(Goal("Live update, commit to WebSocket", "p95 < 100 ms, none missing", values))
    return out


def _ok(value: float | None, test: Any) -> bool | None:
    return None if value is None else bool(test(value))


def _verdict(ok: bool | None) -> str:
    return {True: "met", False: "**not met**", None: "-"}[ok]


def goals_table(doc: dict[str, Any]) -> list[str]:
    found = goals(doc)
    backends = [b for b in BACKEND_NAMES if any(b in g.values for g in found)]
    header = ["goal", "target"] + [BACKEND_NAMES[b] for b in backends]
    rows = [
        [g.name, g.target]
        + [
            f"{g.values[b][0]} ({_verdict(g.values[b][1])})" if b in g.values else "-"
            for b in backends
        ]
        for g in found
    ]
    return _table(header, rows)


@summary_section("goals", "Goals (issue 11)", order=5)
def _goals(_: list[Record], doc: dict[str, Any]) -> list[str]:
    if not any(doc["sections"].get(s) for s in ("endpoints", "mixed", "growth", "ws_latency")):
        return []
    return goals_table(doc)


# --- endpoint runs ---------------------------------------------------------------------------


@summary_section("endpoints", "Endpoints (wrk, closed loop)", order=20)
def _endpoints(records: list[Record], doc: dict[str, Any]) -> list[str]:
    if not records:
        return []
    lines: list[str] = []
    ceiling = doc["sections"].get("ceiling", [])
    for b in _backends(records + ceiling):
        lines += [f"### {BACKEND_NAMES[b]}", ""]
        rows = []
        for r in sorted(
            (r for r in ceiling if r["backend"] == b and r["phase"] in ("before", "after")),
            key=lambda r: (r["concurrency"], r["phase"] != "before"),
        ):
            rows.append(_endpoint_row(doc, r, f"ceiling ({r['phase']})", share=False))
        order = {name: i for i, name in enumerate(ENDPOINT_ORDER)}
        for r in sorted(
            (r for r in records if r["backend"] == b),
            key=lambda r: (order.get(r["endpoint"], 99), r["concurrency"]),
        ):
            label = r["endpoint"]
            if r.get("requests_per_op", 1) > 1:
                per_op = r["requests_per_s"] / r["requests_per_op"]
                label += f" ({per_op:,.0f} loads/s)"
            rows.append(_endpoint_row(doc, r, label, share=True))
        lines += _table(
            [
                "endpoint",
                "conc",
                "req/s",
                "% ceiling",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "errors",
                "SQL/req",
                "CPU (cores)",
            ],
            rows,
        )
        lines.append("")
    lines.append(
        "% ceiling: against the ceiling run made right before each endpoint run, at the same "
        "concurrency (the ceiling rows above are its runs at the start and the end). "
        "Board rows are per request (the statuses plus one page per column: "
        "`requests_per_op` requests make one board load). Errors are wrk's connect, read, "
        "write, timeout and non-2xx counts. SQL/req is the app's own statement count "
        "(from /metrics, between scrapes around the run)."
    )
    return lines


def _endpoint_row(doc: dict[str, Any], r: Record, label: str, *, share: bool) -> list[Any]:
    return [
        label,
        r["concurrency"],
        r["requests_per_s"],
        _share(doc, r) if share else 100.0,
        _lat(r, "p50"),
        _lat(r, "p95"),
        _lat(r, "p99"),
        r.get("error_count", 0),
        r.get("statements_per_request"),
        _cpu(r),
    ]


@summary_section("crosscheck", "Cross-check: asyncio client vs wrk", order=25)
def _crosscheck(records: list[Record], doc: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    wrk = {
        (r["backend"], r["endpoint"], r["concurrency"]): r
        for r in doc["sections"].get("endpoints", [])
    }
    wrk |= {
        (r["backend"], "ceiling", r["concurrency"]): r
        for r in doc["sections"].get("ceiling", [])
        if r["phase"] == "after"
    }
    rows = []
    for r in sorted(records, key=lambda r: _backend_rank(r["backend"])):
        other = wrk.get((r["backend"], r["endpoint"], r["concurrency"]), {})
        rows.append(
            [
                BACKEND_NAMES[r["backend"]],
                r["endpoint"],
                r["concurrency"],
                r["ops_per_s"],
                _lat(r, "p50"),
                _lat(r, "p95"),
                _lat(r, "p99"),
                _lat(other, "p50"),
                _lat(other, "p95"),
                _lat(other, "p99"),
                r["errors"],
                r.get("statements_per_request"),
                r.get("client_cores"),
            ]
        )
    if not rows:
        return []
    lines += _table(
        [
            "backend",
            "endpoint",
            "conc",
            "ops/s",
            "p50",
            "p95",
            "p99",
            "wrk p50",
            "wrk p95",
            "wrk p99",
            "errors",
            "SQL/req (Server-Timing)",
            "client CPU",
        ],
        rows,
    )
    lines += [
        "",
        "The asyncio client times whole operations (the board: statuses, then all columns in "
        "parallel), so its board latency is a page load, while wrk's is per request. It is "
        "Python, so it spends CPU the servers would otherwise use (client CPU, in cores) and "
        "reaches lower throughput; compare percentiles at the same concurrency with that in "
        "mind.",
    ]
    return lines


# --- mixed, storm, growth, cost --------------------------------------------------------------


@summary_section("mixed", "Mixed scenario (Locust, steady state)", order=30)
def _mixed_section(records: list[Record], _: dict[str, Any]) -> list[str]:
    rows = [
        [
            BACKEND_NAMES[r["backend"]],
            r["users"],
            ("yes, cheaper hashing" if r.get("variant") else "yes") if r["storm"] else "no",
            r["requests_per_s"],
            _lat(r, "p50"),
            _lat(r, "p95"),
            _lat(r, "p99"),
            r["failures"],
            r.get("statements_per_request"),
            r.get("event_loop_lag_p99_ms"),
            " / ".join(_fmt(m) for m in r.get("rss_mb", [])),
            _cpu(r),
        ]
        for r in records
    ]
    if not rows:
        return []
    think = records[0].get("think_seconds") or ["?", "?"]
    lines = _table(
        [
            "backend",
            "users",
            "login storm",
            "req/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "errors",
            "SQL/req",
            "loop lag p99 ms",
            "peak RSS MB",
            "CPU (cores)",
        ],
        rows,
    )
    lines += [
        "",
        f"Personas: workers (4 in 10: board, open, move, edit, comment), glancers (5 in 10: "
        f"list, filter, search, open) and integration bots (1 in 10: create, update, poll), "
        f"each waiting {think[0]}-{think[1]} s between actions. Statistics reset when ramp-up "
        "ends. Latency excludes the storm's logins; errors include them.",
    ]
    storms = [r for r in records if r["storm"]]
    if storms:
        lines += ["", "Login storm (open loop, logins sent on schedule whatever the answers):", ""]
        lines += _table(
            [
                "backend",
                "password hashing",
                "users",
                "sent",
                "answered",
                "login p50",
                "login p95",
                "login p99",
                "failed",
            ],
            [
                [
                    BACKEND_NAMES[r["backend"]],
                    r.get("password_hash", "server defaults"),
                    r["users"],
                    r["logins"].get("sent"),
                    r["logins"].get("answered"),
                    _lat(r["logins"], "p50"),
                    _lat(r["logins"], "p95"),
                    _lat(r["logins"], "p99"),
                    r["logins"].get("failures"),
                ]
                for r in storms
            ],
        )
    slowest = []
    for r in records:
        names = sorted(r.get("by_name", {}).items(), key=lambda kv: -(_lat(kv[1], "p95") or 0))
        for name, stats in names[:3]:
            slowest.append(
                [
                    BACKEND_NAMES[r["backend"]],
                    f"{r['users']}{' + storm' if r['storm'] else ''}"
                    f"{' (cheaper hashing)' if r.get('variant') else ''}",
                    name,
                    stats["requests"],
                    _lat(stats, "p50"),
                    _lat(stats, "p95"),
                ]
            )
    if slowest:
        lines += ["", "Slowest requests by p95 in each run:", ""]
        lines += _table(["backend", "users", "request", "count", "p50 ms", "p95 ms"], slowest)
    return lines


@summary_section("growth", "Growth (asyncio client)", order=40)
def _growth_section(records: list[Record], _: dict[str, Any]) -> list[str]:
    if not records:
        return []
    sizes = sorted({r["tasks"] for r in records})
    rows = []
    keys = sorted(
        {(r["backend"], r["endpoint"], r["concurrency"]) for r in records},
        key=lambda k: (_backend_rank(k[0]), ENDPOINT_ORDER.index(k[1]), k[2]),
    )
    for backend, endpoint, c in keys:
        by_size = {
            r["tasks"]: r
            for r in records
            if (r["backend"], r["endpoint"], r["concurrency"]) == (backend, endpoint, c)
        }
        p95 = [_lat(by_size.get(s, {}), "p95") for s in sizes]
        ratio = round(p95[-1] / p95[0], 2) if p95[0] and p95[-1] else None
        rows.append([BACKEND_NAMES[backend], endpoint, c, *p95, ratio])
    header = [
        "backend",
        "operation",
        "conc",
        *[f"p95 ms at {s:,}" for s in sizes],
        "largest ÷ smallest",
    ]
    return [
        *_table(header, rows),
        "",
        "One database holds the three projects; the board is a page load (statuses, then "
        "every column in parallel); search is the list's `q` filter (a substring match), as "
        "full-text search does not exist yet.",
    ]


@summary_section("ws_latency", "Live updates: HTTP commit to WebSocket receipt", order=45)
def _ws_latency_section(records: list[Record], _: dict[str, Any]) -> list[str]:
    if not records:
        return []
    rows = [
        [
            BACKEND_NAMES[r["backend"]] + (" + Redis" if r.get("redis") else ""),
            r["clients"],
            f"{r['updates']} at {_fmt(r['rate_per_second'], 0)}/s",
            _fmt(r["p50_ms"]),
            _fmt(r["p95_ms"]),
            _fmt(r["p99_ms"]),
            _fmt(r["max_ms"]),
            _fmt(r["last_client_p95_ms"]),
            _fmt(r["write_p50_ms"]),
            r["missing"],
        ]
        for r in sorted(records, key=lambda r: _backend_rank(r["backend"]))
    ]
    header = [
        "backend",
        "clients",
        "changes",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "last client p95 ms",
        "write p50 ms",
        "missing",
    ]
    return [
        *_table(header, rows),
        "",
        "Every client subscribes to one project; a writer renames one of its tasks, one request "
        "at a time. Latency runs from the writer's HTTP response (the commit is done) to each "
        'client\'s receipt, over every (change, client) pair; "last client" is the time until '
        "the slowest client of each change had it. The clients run on the same two cores.",
    ]


def _with_redis(r: Record) -> str:
    return BACKEND_NAMES[r["backend"]] + (" + Redis" if r.get("redis") else "")


def _pace(r: Record, count: int) -> str:
    """`200 at 10/s`, and the pace reached when the requests could not keep the one asked."""
    text = f"{count} at {_fmt(r['rate_per_second'], 0)}/s"
    got = r.get("achieved_per_second")
    if got is not None and got < 0.95 * r["rate_per_second"]:
        text += f" (got {_fmt(got, 1)}/s)"
    return text


def _phases(r: Record, key: str, digits: int = 1) -> str:
    """`without → with` of a per-phase figure."""
    return f"{_fmt(r.get(f'{key}_without'), digits)} → {_fmt(r.get(f'{key}_with'), digits)}"


def _side_by_side(r: Record, prefix: str) -> str:
    """`without → with (xratio)` of a request's p50 and p95."""
    return " · ".join(
        f"{q} {_fmt(r[f'{prefix}_{q}_ms_without'])} → {_fmt(r[f'{prefix}_{q}_ms_with'])} "
        f"(x{_fmt(r[f'{prefix}_{q}_ratio'], 2)})"
        for q in ("p50", "p95")
    )


@summary_section("webhook_latency", "Webhooks: HTTP commit to the receiver", order=46)
def _webhook_section(records: list[Record], _: dict[str, Any]) -> list[str]:
    if not records:
        return []
    rows = [
        [
            _with_redis(r),
            r["webhooks"],
            _pace(r, r["updates"]),
            _fmt(r["p50_ms"]),
            _fmt(r["p95_ms"]),
            _fmt(r["p99_ms"]),
            _fmt(r["max_ms"]),
            _fmt(r["last_webhook_p95_ms"]),
            f"{_fmt(r['drain_seconds'], 1)} (+{_fmt(r.get('settle_seconds'), 1)})",
            r.get("send_jobs_per_change"),
            r["missing"],
            _side_by_side(r, "write"),
            _phases(r, "loop_lag_p99_ms"),
            _phases(r, "app_cpu_ms_per_op"),
            _phases(r, "other_cores", 2),
        ]
        for r in sorted(records, key=lambda r: _backend_rank(r["backend"]))
    ]
    header = [
        "backend",
        "webhooks",
        "changes",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "last webhook p95 ms",
        "drained s (+ busy)",
        "send jobs per change",
        "missing",
        "write ms without → with webhooks",
        "loop lag p99 ms",
        "app CPU ms per change",
        "other cores",
    ]
    return [
        *_table(header, rows),
        "",
        "A workspace owner registers the webhooks (`task.*`), each to its own path of a "
        "receiver in the bench process on 127.0.0.1 (servers with "
        "TASKLANE_WEBHOOK_ALLOW_PRIVATE=true), and renames one task, one request at a time. "
        "Latency runs from the writer's HTTP response to the receipt, over every (webhook, "
        'change) pair; "last webhook" is until the slowest webhook of each change had it; '
        '"drained" is from the last response to the last receipt, "+ busy" how long the '
        "worker kept working after that; send jobs are the worker's `webhooks.send` jobs run "
        "per change (most find nothing left to send). The same number of renames "
        "runs first with no webhooks: the write request's own p50 and p95 (timed by the "
        "writer) without and with them (the ratio). Per phase, without and with: the app's "
        "event-loop lag p99 (the bound of its histogram bucket), its CPU per change (with "
        "webhooks until its worker was idle again) and the CPU others used on the machine "
        "(noise). A pace the writer could not keep (each request waits for the previous one) "
        "is shown as what it got.",
    ]


@summary_section("notification_fanout", "Notifications: fan-out to watchers", order=47)
def _notification_section(records: list[Record], _: dict[str, Any]) -> list[str]:
    if not records:
        return []
    rows = [
        [
            _with_redis(r),
            r["watchers"],
            _pace(r, r["comments"]),
            _fmt(r["p50_ms"]),
            _fmt(r["p95_ms"]),
            _fmt(r["p99_ms"]),
            _fmt(r["max_ms"]),
            f"{r['messages']} ({r['distinct_ids']} ids, count {r['folded_count']})",
            r["missing"],
            _side_by_side(r, "comment"),
            _phases(r, "loop_lag_p99_ms"),
            _phases(r, "app_cpu_ms_per_op"),
            _phases(r, "other_cores", 2),
        ]
        for r in sorted(records, key=lambda r: _backend_rank(r["backend"]))
    ]
    header = [
        "backend",
        "watchers",
        "comments",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "messages",
        "missing",
        "comment ms without → with watchers",
        "loop lag p99 ms",
        "app CPU ms per comment",
        "other cores",
    ]
    return [
        *_table(header, rows),
        "",
        "Comments on a task of the project with the most users, one request at a time: first "
        "on a task nobody watches, then on one the listed number of people watch. One watcher "
        "follows its user channel on a WebSocket; latency runs from each comment's HTTP "
        "response to its `notification` message. A burst by one person on one task folds "
        "into one notification (the ids), whose message comes again for each comment; "
        "count is what the inbox says it stands for. Loop lag, app CPU and other cores are "
        "per phase, without and with watchers, as for webhooks.",
    ]


@summary_section("cost", "Cost: SQL statements and memory", order=50)
def _cost(_: list[Record], doc: dict[str, Any]) -> list[str]:
    endpoint_rows = [
        [
            BACKEND_NAMES[r["backend"]],
            r["endpoint"],
            r.get("statements_per_request"),
            r.get("db_ms_per_request"),
            " / ".join(_fmt(m) for m in r.get("rss_mb", [])),
        ]
        for r in sorted(
            doc["sections"].get("endpoints", []), key=lambda r: _backend_rank(r["backend"])
        )
        if r["concurrency"] == max(x["concurrency"] for x in doc["sections"]["endpoints"])
    ]
    if not endpoint_rows:
        return []
    lines = _table(
        ["backend", "endpoint", "SQL/req", "DB ms/req", "peak RSS MB per process"], endpoint_rows
    )
    lines += [
        "",
        "At the highest concurrency. SQL statements are counted by the app (SQLite counts "
        "its `BEGIN`; PostgreSQL's is implicit). DB ms is time inside statement execution, "
        "which on SQLite includes waiting for the single writer connection.",
    ]
    return lines


# --- README ----------------------------------------------------------------------------------


def noise(doc: dict[str, Any]) -> str | None:
    """How much CPU other people's work took during the measured runs."""
    others = sorted(
        r["cpu"]["other_cores"]
        for section in ("endpoints", "mixed", "growth")
        for r in doc["sections"].get(section, [])
        if r.get("cpu")
    )
    if not others:
        return None
    median = others[len(others) // 2]
    busy = sum(1 for o in others if o >= 0.5)
    return (
        f"Noise: the machine is shared, and other work used a median of {median:.2f} of its "
        f"{doc['meta'].get('machine', {}).get('cores', '?')} cores during the measured runs "
        f"(at least half a core in {busy} of {len(others)} runs); each run's share is in the "
        "`other` column of the summary's tables."
    )


def headline(doc: dict[str, Any]) -> str:
    """Goals met, and the median share of the ceiling at 16 connections, per backend."""
    found = goals(doc)
    parts = []
    endpoints = doc["sections"].get("endpoints", [])
    for b in _backends(endpoints):
        met = sum(1 for g in found if g.values.get(b, ("", None))[1])
        shares = sorted(
            share
            for r in endpoints
            if r["backend"] == b and r["concurrency"] == 16
            if (share := _share(doc, r)) is not None
        )
        median = shares[len(shares) // 2] if shares else None
        parts.append(
            f"{BACKEND_NAMES[b]}: {met} of {len(found)} goals met, endpoints at a median "
            f"{_fmt(median)}% of the ceiling"
        )
    text = "; ".join(parts) + "."
    timeout = any(
        _lat(r, "p99") is not None and _lat(r, "p99") >= 30_000
        for r in doc["sections"].get("mixed", [])
    )
    if timeout:
        text += " Mixed-scenario latencies of 30,000 ms are Locust's 30 s request timeout."
    return text


def readme_block(doc: dict[str, Any], json_path: Path) -> str:
    m = doc["meta"].get("machine", {})
    rel = json_path.relative_to(ROOT) if json_path.is_relative_to(ROOT) else json_path
    lines = [
        START,
        f"Latest full run: {doc['started'][:10]}, on {m.get('cpu')} ({m.get('cores')} cores, "
        f"{m.get('memory_gb')} GB), PostgreSQL on the same machine, load generators too. "
        f"Raw figures: `{rel}`; every table: `bench/results/SUMMARY.md`. " + (noise(doc) or ""),
        "",
        headline(doc),
        "",
        *goals_table(doc),
        "",
        "Requests per second at 16 connections (wrk), as a share of a bare FastAPI endpoint "
        "returning the same page on the same server settings, measured right before each "
        "endpoint in the same run:",
        "",
    ]
    endpoints = doc["sections"].get("endpoints", [])
    backends = _backends(endpoints)
    header = ["endpoint"] + [f"{BACKEND_NAMES[b]}: req/s (% ceiling), p95 ms" for b in backends]
    rows = []
    for name in ENDPOINT_ORDER:
        row: list[Any] = [name]
        for b in backends:
            r = next(
                (
                    x
                    for x in endpoints
                    if x["backend"] == b and x["endpoint"] == name and x["concurrency"] == 16
                ),
                None,
            )
            row.append(
                f"{r['requests_per_s']:,.0f} ({_share(doc, r)}%), {_lat(r, 'p95')}" if r else "-"
            )
        rows.append(row)
    ceiling = ["ceiling (mean of start and end)"] + [
        f"{ceiling_rps(doc, b, 16) or 0:,.0f} (100%)" for b in backends
    ]
    lines += _table(header, [ceiling, *rows])
    lines += [END]
    return "\n".join(lines)


def update_readme(doc: dict[str, Any], json_path: Path) -> None:
    text = README.read_text()
    if START not in text or END not in text:
        raise RuntimeError(f"README.md has no {START} … {END} block to update")
    block = readme_block(doc, json_path)
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    README.write_text(pattern.sub(lambda _: block, text, count=1))


def main(argv: list[str] | None = None) -> None:
    """Render SUMMARY.md (and with --readme the README block) again from a results file."""
    import argparse  # noqa: PLC0415
    import json  # noqa: PLC0415

    from bench.results import render_summary  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="python -m bench.report", description=main.__doc__)
    parser.add_argument("results", type=Path)
    parser.add_argument("--readme", action="store_true")
    args = parser.parse_args(argv)
    doc = json.loads(args.results.read_text())
    (args.results.parent / "SUMMARY.md").write_text(render_summary(doc))
    if args.readme:
        update_readme(doc, args.results.resolve())


if __name__ == "__main__":
    main()
