"""Finding and attaching: full-text search over a whole workspace, and file transfer.

Search (run in the growth stage, on the big-project dataset: one workspace of 111,000 tasks in
three projects). Five tasks with a rare word are added first; then the asyncio client times
`GET /search` for a rare word (5 hits), a common one (in most descriptions), a prefix being
typed (`tim` -> timeout, time...) and two words, at the growth stage's concurrencies (1: a
request's own cost; 16: under load). Recorded in the `search` section.

Attachments (their own stage, on the standard dataset). Files of the profile's `transfer_mb`
(50 MB in the full run) go up through the app's multipart upload, then come down (the
access-checked redirect, then the signed link), at concurrency 1 and 4, for the profile's
seconds each (the transfers started by then finish): MB/s over each phase, and latency.
Then one upload of `big_upload_mb` (200 MB in the full run), streamed from this process, while
the app's memory is sampled: its peak against its resident size before shows that an upload is
not held in memory. Recorded in the `attachments` section.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx

from bench.probe import percentile, probe
from bench.servers import measured, rss_mb
from bench.workloads import Op, Req, Workload

if TYPE_CHECKING:
    from bench.run import Context

RARE = "quokka"
RARE_TASKS = 5
QUERIES = (
    ("rare", RARE),
    ("common", "timeout"),
    ("prefix", "tim"),
    ("two_words", "login redirect"),
)
CHUNK = 1024 * 1024


def _workspace_of(ctx: Context) -> tuple[str, list[int]]:
    """The workspace holding the fixed-size projects, and users who see all of them."""
    projects = [ctx.manifest.projects[i] for i in ctx.manifest.fixed]
    workspace = ctx.manifest.workspaces[projects[0].workspace]["id"]
    everywhere = set(projects[0].users)
    for project in projects[1:]:
        everywhere &= set(project.users)
    users = [u for u in sorted(everywhere) if u in ctx.tokens]
    return workspace, users


def run_search(ctx: Context) -> None:
    workspace, users = _workspace_of(ctx)
    if not users:
        raise RuntimeError("no signed-in user sees every fixed project")
    biggest = ctx.manifest.projects[ctx.manifest.fixed[-1]]
    headers = {"Authorization": f"Bearer {ctx.tokens[users[0]]}"}
    with httpx.Client(base_url=ctx.app.base, headers=headers, timeout=60) as client:
        for n in range(RARE_TASKS):
            client.post(
                f"/api/v1/projects/{biggest.id}/tasks",
                json={"title": f"Investigate the {RARE} crash {ctx.next_run()}-{n}"},
            ).raise_for_status()
        hits = {
            name: len(
                client.get(
                    "/api/v1/search", params={"q": q, "workspace_id": workspace, "limit": 50}
                ).json()["items"]
            )
            for name, q in QUERIES
        }
    total = sum(ctx.manifest.projects[i].size for i in ctx.manifest.fixed)
    for name, query in QUERIES:
        path = f"/api/v1/search?q={query.replace(' ', '+')}&workspace_id={workspace}&limit=20"
        workload = Workload(
            f"search_{name}",
            f"full-text search ({name})",
            [Op.one(Req("GET", path, ctx.tokens[u])) for u in users[:8]],
        )
        if ctx.profile.warmup_seconds:
            probe(ctx.app.base, workload.ops, concurrency=2, seconds=0.5, run=ctx.next_run())
        for c in ctx.profile.growth_concurrencies:
            ctx.record(
                "search",
                tasks=total,
                query=name,
                q=query,
                first_page_hits=hits[name],
                concurrency=c,
                tool="asyncio client",
                **closed_loop(ctx, workload.ops, c),
            )


def closed_loop(ctx: Context, ops: list[Op], concurrency: int) -> dict[str, Any]:
    """The asyncio client's closed loop over `ops` for the growth stage's seconds: its
    summary, and the app's CPU and peak memory meanwhile."""
    with measured(ctx.app, postgres=ctx.backend.database == "postgres") as (cpu, memory):
        result = probe(
            ctx.app.base,
            ops,
            concurrency=concurrency,
            seconds=ctx.profile.growth_seconds,
            run=ctx.next_run(),
        )
    cpu.end()
    return {**result.summary(), "cpu": cpu.as_dict(), "rss_mb": memory.peak_mb()}


# --- attachments ------------------------------------------------------------------------------


async def _body(size: int, boundary: str) -> AsyncIterator[bytes]:
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="data.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    block = os.urandom(CHUNK)
    sent = 0
    while sent < size:
        piece = block[: min(CHUNK, size - sent)]
        sent += len(piece)
        yield piece
    yield f"\r\n--{boundary}--\r\n".encode()


async def _transfer(
    base: str,
    tokens: list[str],
    task_keys: list[str],
    concurrency: int,
    seconds: float,
    megabytes: int,
) -> dict[str, Any]:
    """Upload then download files of `megabytes` for `seconds` each, `concurrency` at a
    time (each phase finishes the transfers it started)."""
    size = megabytes * 1024 * 1024
    ups: list[float] = []
    downs: list[float] = []
    uploaded: list[tuple[str, str]] = []  # (token, url)
    errors = 0
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:

        async def upload_loop(worker: int, until: float) -> None:
            nonlocal errors
            n = worker
            while time.monotonic() < until:
                token = tokens[n % len(tokens)]
                key = task_keys[n % len(task_keys)]
                n += concurrency
                started = time.monotonic()
                r = await client.post(
                    f"/api/v1/tasks/{key}/attachments",
                    content=_body(size, "benchboundary"),
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "multipart/form-data; boundary=benchboundary",
                    },
                )
                if r.status_code != 201:
                    errors += 1
                    continue
                ups.append(time.monotonic() - started)
                uploaded.append((token, r.json()["url"]))

        async def download_loop(worker: int, until: float) -> None:
            nonlocal errors
            n = worker
            while time.monotonic() < until and uploaded:
                token, url = uploaded[n % len(uploaded)]
                n += concurrency
                started = time.monotonic()
                first = await client.get(url, headers={"Authorization": f"Bearer {token}"})
                if first.status_code != 302:
                    errors += 1
                    continue
                got = 0
                async with client.stream("GET", first.headers["location"]) as r:
                    async for chunk in r.aiter_bytes():
                        got += len(chunk)
                if got != size:
                    errors += 1
                    continue
                downs.append(time.monotonic() - started)

        started = time.monotonic()
        await asyncio.gather(*(upload_loop(w, started + seconds) for w in range(concurrency)))
        up_wall = time.monotonic() - started
        started = time.monotonic()
        await asyncio.gather(*(download_loop(w, started + seconds) for w in range(concurrency)))
        down_wall = time.monotonic() - started

    def figures(samples: list[float], wall: float) -> dict[str, Any]:
        ordered = sorted(samples)
        return {
            "files": len(samples),
            "mb_per_s": round(len(samples) * megabytes / wall, 1),
            "p50_ms": percentile(ordered, 50),
            "p95_ms": percentile(ordered, 95),
        }

    return {
        "upload": figures(ups, up_wall),
        "download": figures(downs, down_wall),
        "errors": errors,
    }


async def _big_upload(base: str, token: str, key: str, megabytes: int) -> tuple[int, float]:
    async with httpx.AsyncClient(base_url=base, timeout=600) as client:
        started = time.monotonic()
        r = await client.post(
            f"/api/v1/tasks/{key}/attachments",
            content=_body(megabytes * 1024 * 1024, "bigboundary"),
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "multipart/form-data; boundary=bigboundary",
            },
        )
        return r.status_code, time.monotonic() - started


def run_attachments(ctx: Context) -> None:
    project = ctx.manifest.projects[ctx.manifest.fixed[0]]
    users = [u for u in project.users if u in ctx.tokens][:8]
    tokens = [ctx.tokens[u] for u in users]
    keys = project.sample_tasks[:16]
    megabytes = ctx.profile.transfer_mb
    for c in (1, 4):
        with measured(ctx.app, postgres=ctx.backend.database == "postgres") as (cpu, memory):
            figures = asyncio.run(
                _transfer(ctx.app.base, tokens, keys, c, ctx.profile.seconds, megabytes)
            )
        cpu.end()
        ctx.record(
            "attachments",
            kind="transfer",
            file_mb=megabytes,
            concurrency=c,
            **figures,
            cpu=cpu.as_dict(),
            rss_mb=memory.peak_mb(),
        )
    big = ctx.profile.big_upload_mb
    before = [rss_mb(pid) for pid in ctx.app.pids]
    with measured(ctx.app, postgres=False) as (cpu, memory):
        status, seconds = asyncio.run(_big_upload(ctx.app.base, tokens[0], keys[0], big))
    cpu.end()
    ctx.record(
        "attachments",
        kind="big_upload",
        file_mb=big,
        status=status,
        seconds=round(seconds, 2),
        mb_per_s=round(big / seconds, 1) if seconds else None,
        rss_before_mb=before,
        rss_peak_mb=memory.peak_mb(),
    )
