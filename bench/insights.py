"""Insights: each metric of `GET /projects/{id}/insights/{metric}` on the largest project of
the big-project dataset (100,000 tasks), with the default period (the 12 weeks to today).

The asyncio client times each metric at concurrency 1 (a request's own cost: the goal is
< 300 ms p95) for the growth stage's seconds. Recorded in the `insights` section (p50 and
p95 in `latency_ms`, as every closed-loop record).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bench.find import closed_loop
from bench.probe import probe
from bench.workloads import Op, Req, Workload
from tasklane.insights.schemas import InsightMetric

if TYPE_CHECKING:
    from bench.run import Context


def run(ctx: Context) -> None:
    biggest = ctx.manifest.projects[ctx.manifest.fixed[-1]]
    users = [u for u in biggest.users if u in ctx.tokens][:8]
    if not users:
        raise RuntimeError("no signed-in user sees the largest project")
    for metric in InsightMetric:
        path = f"/api/v1/projects/{biggest.id}/insights/{metric.value}"
        workload = Workload(
            f"insights_{metric.value}",
            f"insights: {metric.value}",
            [Op.one(Req("GET", path, ctx.tokens[u])) for u in users],
        )
        if ctx.profile.warmup_seconds:
            probe(ctx.app.base, workload.ops, concurrency=1, seconds=0.5, run=ctx.next_run())
        ctx.record(
            "insights",
            tasks=biggest.size,
            metric=metric.value,
            concurrency=1,
            tool="asyncio client",
            **closed_loop(ctx, workload.ops, 1),
        )
