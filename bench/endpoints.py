"""Endpoint runs: each endpoint at each concurrency with wrk, the ceiling before and after in
the same run, then a cross-check of every endpoint with the asyncio client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from bench.ceiling import BODY_ENV
from bench.loadgen import delta, run_wrk, scrape, settle
from bench.probe import probe
from bench.servers import ServerGroup, measured, start_group
from bench.workloads import Op, Req, Workload, standard_workloads

if TYPE_CHECKING:
    from bench.run import Context


def _page_body(ctx: Context) -> bytes:
    """A real first page of 50 tasks from the flagship project: the ceiling returns it."""
    flag = ctx.manifest.projects[ctx.manifest.fixed[0]]
    token = ctx.tokens[flag.users[0]]
    r = httpx.get(
        f"{ctx.app.base}/api/v1/projects/{flag.id}/tasks?limit=50",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    r.raise_for_status()
    return r.content


def _wrk_record(
    ctx: Context,
    group: ServerGroup,
    name: str,
    ops: list[Op],
    concurrency: int,
    seconds: float | None = None,
) -> dict[str, Any]:
    """One wrk run against `group`; for the app, also the SQL it ran (from /metrics)."""
    seconds = seconds or ctx.profile.seconds
    app = group is ctx.app
    before = scrape(ctx.app.base) if app else None
    with measured(group, postgres=ctx.backend.database == "postgres" and app) as (cpu, memory):
        result = run_wrk(
            group.base,
            ops,
            connections=concurrency,
            seconds=seconds,
            work_dir=ctx.raw / "wrk",
            name=f"{name}-c{concurrency}",
            run=ctx.next_run(),
        )
    cpu.end(loadgen_seconds=result.cpu_seconds)
    settle(group.base)
    record: dict[str, Any] = {
        "concurrency": concurrency,
        "tool": "wrk",
        **result.summary(),
        "cpu": cpu.as_dict(),
        "rss_mb": memory.peak_mb(),
    }
    if app:
        counted = delta(before, scrape(ctx.app.base))
        record["statements_per_request"] = counted["statements_per_request"]
        record["db_ms_per_request"] = counted["db_ms_per_request"]
        record["server_errors"] = counted["server_errors"]
        record["routes"] = counted["routes"]
    return record


CEILING_OPS = [Op.one(Req("GET", "/ceiling"))]


def _ceiling(ctx: Context, ceiling: ServerGroup, phase: str) -> None:
    for c in ctx.profile.concurrencies:
        record = _wrk_record(ctx, ceiling, "ceiling", CEILING_OPS, c)
        ctx.record("ceiling", phase=phase, **record)


def run(ctx: Context) -> None:
    body = _page_body(ctx)
    page = ctx.raw / "page50.json"
    page.write_bytes(body)
    ceiling = start_group(
        "ceiling",
        processes=ctx.backend.processes,
        port=_free_port(),
        env={BODY_ENV: str(page)},
        log_dir=ctx.raw,
    )
    try:
        workloads = standard_workloads(ctx.manifest, ctx.tokens)
        if ctx.profile.warmup_seconds:
            warm = ctx.profile.warmup_seconds
            run_wrk(
                ctx.app.base,
                workloads[0].ops,
                connections=16,
                seconds=warm,
                work_dir=ctx.raw / "wrk",
                name="warmup",
                run=ctx.next_run(),
            )
            run_wrk(
                ceiling.base,
                CEILING_OPS,
                connections=16,
                seconds=warm,
                work_dir=ctx.raw / "wrk",
                name="warmup-ceiling",
                run=ctx.next_run(),
            )
        ctx.record("ceiling_body", bytes=len(body))
        _ceiling(ctx, ceiling, "before")
        for workload in workloads:
            for c in ctx.profile.concurrencies:
                # The ceiling right before each run: on a shared machine the noise changes
                # from minute to minute, so each ratio compares runs made under the same.
                paired = _wrk_record(
                    ctx, ceiling, "ceiling", CEILING_OPS, c, ctx.profile.paired_ceiling_seconds
                )
                ctx.record("ceiling", phase=f"paired:{workload.name}", **paired)
                record = _wrk_record(ctx, ctx.app, workload.name, workload.ops, c)
                ctx.record(
                    "endpoints",
                    endpoint=workload.name,
                    title=workload.title,
                    requests_per_op=len(workload.ops[0].requests()),
                    paired_ceiling_rps=paired["requests_per_s"],
                    **record,
                )
        _ceiling(ctx, ceiling, "after")
        _crosscheck(ctx, ceiling, workloads)
    finally:
        ceiling.stop()


def _crosscheck(ctx: Context, ceiling: ServerGroup, workloads: list[Workload]) -> None:
    """Every endpoint again with the asyncio client, which times each operation itself."""
    c = ctx.profile.crosscheck_concurrency
    seconds = ctx.profile.crosscheck_seconds
    targets = [("ceiling", CEILING_OPS, ceiling), *[(w.name, w.ops, ctx.app) for w in workloads]]
    for name, ops, group in targets:
        with measured(group, postgres=ctx.backend.database == "postgres") as (cpu, memory):
            result = probe(group.base, ops, concurrency=c, seconds=seconds, run=ctx.next_run())
        cpu.end()
        ctx.record(
            "crosscheck",
            endpoint=name,
            concurrency=c,
            tool="asyncio client",
            **result.summary(),
            cpu=cpu.as_dict(),
            rss_mb=memory.peak_mb(),
        )


def _free_port() -> int:
    from bench.run import free_port  # noqa: PLC0415 - bench.run imports this module

    return free_port()
