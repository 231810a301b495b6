"""Hot reads on SQLite run on the event loop; a statement that may scan (`slow=True`, as the
workspace search's title scan is sent) runs in a thread. So a slow read beside fast ones does
not hold them: the fast reads go on while it runs. The control runs the same scan on the
loop, where nothing else can run until it ends, so the test can tell the two apart.

No speed is asserted: only whether other reads ran while the scan did, and that none of them
waited for a large part of it."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import time
from pathlib import Path

import pytest

from tasklane.kit.rawsql import RawReader, RawSQL

_ROWS = 4500
_SCAN = RawSQL(
    # Every pair of rows (20 million): half a second or more of SQLite's own work.
    text="SELECT count(*) FROM item AS a, item AS b WHERE a.n + b.n = :sum",
    dialect="sqlite",
    order=None,
    defaults={},
    converters=(),
)
_GET = RawSQL(
    text="SELECT title FROM item WHERE n = :n",
    dialect="sqlite",
    order=None,
    defaults={},
    converters=(),
)


@pytest.fixture
def database(tmp_path: Path) -> str:
    path = tmp_path / "items.db"
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE item (n INTEGER PRIMARY KEY, title TEXT NOT NULL)")
        connection.executemany(
            "INSERT INTO item VALUES (?, ?)", [(n, f"Item {n}") for n in range(_ROWS)]
        )
    return f"sqlite:///{path}"


async def _fast_reads_during_scan(url: str, *, slow: bool) -> tuple[list[float], float, float]:
    """Fast reads on one connection while another runs the scan: the reads' completion
    times, and when the scan began and ended."""
    reader = RawReader(url, pool_size=4, busy_timeout_ms=5000, on_statement=lambda _: None)
    finished: list[float] = []
    stop, read = asyncio.Event(), asyncio.Event()

    async def fast_reads() -> None:
        async with reader.connection() as raw:
            n = 0
            while not stop.is_set():
                rows = await raw.fetch(_GET, {"n": n % _ROWS})
                assert rows == [[f"Item {n % _ROWS}"]]
                finished.append(time.perf_counter())
                read.set()
                n += 1
                await asyncio.sleep(0.001)

    try:
        async with reader.connection() as raw:
            reads = asyncio.create_task(fast_reads())
            await read.wait()  # the reads are under way before the scan begins
            began = time.perf_counter()
            rows = await raw.fetch(_SCAN, {"sum": -1}, slow=slow)
            ended = time.perf_counter()
            assert rows == [[0]]
            read.clear()
            async with asyncio.timeout(5):
                await read.wait()  # and go on after it
            stop.set()
            await reads
    finally:
        await reader.close()
    return finished, began, ended


async def test_a_slow_read_in_a_thread_lets_fast_reads_go_on(database: str) -> None:
    finished, began, ended = await _fast_reads_during_scan(database, slow=True)
    during = [t for t in finished if began < t < ended]
    assert len(during) >= 3, (len(during), ended - began)
    # No fast read waited for a large part of the scan.
    marks = [began, *during, ended]
    longest_wait = max(b - a for a, b in itertools.pairwise(marks))
    assert longest_wait < (ended - began) / 3, (longest_wait, ended - began)


async def test_the_same_read_on_the_loop_holds_every_other(database: str) -> None:
    """The control: run on the loop, the scan lets nothing else run until it ends."""
    finished, began, ended = await _fast_reads_during_scan(database, slow=False)
    assert [t for t in finished if began < t < ended] == []
