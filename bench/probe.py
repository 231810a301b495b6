"""A small asyncio HTTP/1.1 client that times each operation itself.

It cross-checks wrk's percentiles (a second client, a second latency method), times composite
operations (the board: statuses, then every column in parallel), and reads each response's
`Server-Timing` header, so SQL statements per request come from the app's own count.

Closed loop: `concurrency` simulated clients, each with its own keep-alive connections, send
their next operation as soon as the previous one finished, until the time is up. Latency is
`perf_counter` around each operation, from before the first byte is written to the last byte
of the last response read.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import uvloop

from bench.workloads import Op, Req

_STATEMENTS = re.compile(rb'desc="(\d+) statements"')
_DB_MS = re.compile(rb"db;dur=([0-9.]+)")


@dataclass
class Response:
    status: int
    statements: int | None
    db_ms: float | None
    size: int


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.reader is None or self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(
                self.host, self.port, limit=2**22
            )
        return self.reader, self.writer

    async def send(self, raw: bytes) -> Response:
        reader, writer = await self._open()
        writer.write(raw)
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = 0
        chunked = close = False
        statements = db_ms = None
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                close = True
            elif name == b"server-timing":
                if match := _STATEMENTS.search(value):
                    statements = int(match.group(1))
                if match := _DB_MS.search(value):
                    db_ms = float(match.group(1))
        if chunked:
            size = 0
            while True:
                chunk_size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                await reader.readexactly(chunk_size + 2)
                size += chunk_size
                if chunk_size == 0:
                    break
        else:
            size = len(await reader.readexactly(length))
        if close:
            self.close()
        return Response(status, statements, db_ms, size)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def encode(req: Req, host: str, n: int) -> bytes:
    body = req.body_text()
    if body is not None and req.unique:
        body = body.replace("{n}", str(n))
    payload = body.encode() if body is not None else b""
    headers = req.headers()
    lines = [f"{req.method} {req.path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if req.body is not None or req.method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(payload)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


@dataclass
class ProbeResult:
    ops: int = 0
    requests: int = 0
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    db_ms: list[float] = field(default_factory=list)
    wall: float = 0.0
    cpu: float = 0.0
    failures: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies)
        return {
            "ops": self.ops,
            "ops_per_s": round(self.ops / self.wall, 1) if self.wall else 0.0,
            "requests_per_s": round(self.requests / self.wall, 1) if self.wall else 0.0,
            "errors": self.errors,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "latency_ms": {
                "p50": percentile(lat, 50),
                "p90": percentile(lat, 90),
                "p95": percentile(lat, 95),
                "p99": percentile(lat, 99),
                "max": round(lat[-1] * 1000, 2) if lat else None,
            },
            "statements_per_request": (
                round(sum(self.statements) / len(self.statements), 2) if self.statements else None
            ),
            "db_ms_per_request": (
                round(sum(self.db_ms) / len(self.db_ms), 2) if self.db_ms else None
            ),
            "client_cores": round(self.cpu / self.wall, 2) if self.wall else 0.0,
            "failures": self.failures[:5],
        }


def percentile(sorted_seconds: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile, in milliseconds."""
    if not sorted_seconds:
        return None
    rank = max(1, min(len(sorted_seconds), round(p / 100 * len(sorted_seconds) + 0.5)))
    return round(sorted_seconds[rank - 1] * 1000, 2)


async def _client(
    host: str,
    port: int,
    ops: Sequence[Op],
    start: int,
    deadline: float,
    numbers: itertools.count[int],
    result: ProbeResult,
) -> None:
    width = max(len(step) for op in ops for step in op.steps)
    conns = [Connection(host, port) for _ in range(width)]
    index = start
    try:
        while time.perf_counter() < deadline:
            op = ops[index % len(ops)]
            index += 1
            began = time.perf_counter()
            ok = True
            try:
                for step in op.steps:
                    sends = [
                        conns[i].send(encode(req, host, next(numbers)))
                        for i, req in enumerate(step)
                    ]
                    for response in await asyncio.gather(*sends):
                        result.requests += 1
                        result.statuses[response.status] = (
                            result.statuses.get(response.status, 0) + 1
                        )
                        if response.status >= 400:
                            ok = False
                        if response.statements is not None:
                            result.statements.append(response.statements)
                        if response.db_ms is not None:
                            result.db_ms.append(response.db_ms)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                ok = False
                result.failures.append(f"{type(exc).__name__}: {exc}")
                for conn in conns:
                    conn.close()
            elapsed = time.perf_counter() - began
            result.ops += 1
            result.latencies.append(elapsed)
            if not ok:
                result.errors += 1
    finally:
        for conn in conns:
            conn.close()


async def _run(
    host: str, port: int, ops: Sequence[Op], concurrency: int, seconds: float, run: int
) -> ProbeResult:
    result = ProbeResult()
    numbers = itertools.count(run * 1_000_000_000 + 900_000_000)
    began = time.perf_counter()
    cpu = os.times()
    deadline = began + seconds
    await asyncio.gather(
        *[
            _client(host, port, ops, (i * 7919) % len(ops), deadline, numbers, result)
            for i in range(concurrency)
        ]
    )
    after = os.times()
    result.wall = time.perf_counter() - began
    result.cpu = (after.user - cpu.user) + (after.system - cpu.system)
    return result


def probe(
    base: str, ops: Sequence[Op], *, concurrency: int, seconds: float, run: int = 0
) -> ProbeResult:
    """Run the closed loop against `base` (http://127.0.0.1:PORT) and return the samples."""
    hostport = base.removeprefix("http://")
    host, _, port = hostport.partition(":")
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(_run(host, int(port), ops, concurrency, seconds, run))
