"""SQLite's writer runs its statements on the event loop (kit.loopsqlite), with the two waits
that could hold the loop kept off it: another program's write lock, waited for with the loop
free, and checkpoints, run in a thread every CHECKPOINT_EVERY commits.

No speed is asserted: only what ran while the write waited, what the write saw at the end,
and whether the database file itself (which in WAL mode only a checkpoint writes) changed."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from tasklane.db import Database
from tasklane.kit.loopsqlite import CHECKPOINT_EVERY
from tests.factories import Board, expect, make_task

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"sqlite_busy_timeout_ms": 20_000}


def _size(path: Path) -> int:
    return path.stat().st_size


async def test_a_write_waiting_for_another_programs_lock_leaves_the_loop_serving(
    client: httpx.AsyncClient, app: FastAPI, board: Board
) -> None:
    task = await make_task(client, board.member, board.pid)
    path = app.state.runtime.db.sqlite_file
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # a program that does not take Tasklane's turns
        other.execute("UPDATE tasks SET title = 'from the shell' WHERE number = 1")
        write = asyncio.create_task(
            client.patch(
                f"/api/v1/tasks/{task['id']}",
                json={"priority": "high"},
                headers=board.member.headers,
            )
        )
        served = 0
        for _ in range(5):  # reads go on while the write waits for the lock
            got = expect(
                await client.get(f"/api/v1/tasks/{task['id']}", headers=board.member.headers), 200
            )
            assert got["priority"] == task["priority"]
            served += 1
        await asyncio.sleep(0.2)
        assert not write.done()
        other.execute("COMMIT")
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()
    done = await asyncio.wait_for(write, timeout=20)
    assert served == 5
    assert done.status_code == 200, done.text
    assert (done.json()["title"], done.json()["priority"]) == ("from the shell", "high")


async def test_the_writer_leaves_checkpoints_to_a_thread_every_so_many_commits(
    database: Database,
) -> None:
    assert database.sqlite_file is not None
    async with database.transaction() as session:
        assert (await session.execute(text("PRAGMA wal_autocheckpoint"))).scalar_one() == 0
        await session.execute(text("CREATE TABLE filler (n INTEGER PRIMARY KEY, body BLOB)"))
    main_file = Path(database.sqlite_file)
    before = _size(main_file)
    page = 4096
    for n in range(CHECKPOINT_EVERY - 2):  # with the one above, one commit short
        async with database.transaction() as session:
            await session.execute(
                text("INSERT INTO filler VALUES (:n, zeroblob(:size))"), {"n": n, "size": page}
            )
    await asyncio.sleep(0.3)
    # Only a checkpoint writes the database file itself: none has run yet.
    assert _size(main_file) == before
    async with database.transaction() as session:
        await session.execute(text("INSERT INTO filler VALUES (-1, zeroblob(1))"))
    # The checkpoint copies the pages one by one: the file grows while it runs.
    expected = before + (CHECKPOINT_EVERY - 2) * page
    for _ in range(200):
        if _size(main_file) >= expected:
            break
        await asyncio.sleep(0.05)
    assert _size(main_file) >= expected
