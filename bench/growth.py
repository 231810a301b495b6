"""Growth: list, board and search latency as a project grows from 1,000 to 100,000 tasks;
then full-text search over the whole workspace (bench/find.py).

All three projects live in one database served by the same processes, so only the project's
size differs. The asyncio client times each operation (the board as statuses plus every
column in parallel) at concurrency 1 (a request's own cost) and 16 (under load), and reads the
SQL statement count of each response from its Server-Timing header.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bench.find import closed_loop, run_search
from bench.probe import probe
from bench.workloads import growth_workloads

if TYPE_CHECKING:
    from bench.run import Context


def run(ctx: Context) -> None:
    plan = growth_workloads(ctx.manifest, ctx.tokens)
    if ctx.profile.warmup_seconds:
        for _, workload in plan:
            probe(ctx.app.base, workload.ops, concurrency=2, seconds=0.5, run=ctx.next_run())
    for size, workload in plan:
        for c in ctx.profile.growth_concurrencies:
            ctx.record(
                "growth",
                tasks=size,
                endpoint=workload.name,
                concurrency=c,
                tool="asyncio client",
                **closed_loop(ctx, workload.ops, c),
            )
    run_search(ctx)
