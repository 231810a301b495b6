"""The backstop of docs/architecture.md, "Locking": a write whose transaction loses a race
(PostgreSQL 40001/40P01) runs again from the start, and answers 409 `conflict` when every
attempt lost; SQLite still locked after its busy timeout answers 503. Never a 500.

The lost races are real: a trigger makes PostgreSQL itself fail the first N updates of a task
with serialization_failure (a sequence counts them, outside the transactions)."""

from __future__ import annotations

import fcntl
import os
import sqlite3

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text

from tasklane.db import TRANSACTION_ATTEMPTS
from tasklane.models import Event
from tests.factories import Board, expect, make_task

POSTGRES = [pytest.param("postgres", marks=pytest.mark.postgres)]


async def _fail_task_writes(app: FastAPI, times: int, *, on: str = "UPDATE") -> None:
    async with app.state.runtime.db.transaction() as s:
        await s.execute(text("CREATE SEQUENCE lost_races"))
        await s.execute(
            text(
                "CREATE FUNCTION lose_race() RETURNS trigger AS $$ BEGIN "
                f"IF nextval('lost_races') <= {int(times)} THEN "
                "RAISE EXCEPTION 'lost a race' USING ERRCODE = '40001'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
        )
        await s.execute(
            text(
                f"CREATE TRIGGER lose_race BEFORE {on} ON tasks "
                "FOR EACH ROW EXECUTE FUNCTION lose_race()"
            )
        )


async def _events(app: FastAPI, type: str) -> int:
    async with app.state.runtime.db.transaction(write=False) as s:
        return int(await s.scalar(select(func.count()).where(Event.type == type)) or 0)


@pytest.mark.parametrize("backend", POSTGRES)
async def test_a_write_that_loses_races_is_run_again_and_succeeds(
    client: httpx.AsyncClient, app: FastAPI, board: Board
) -> None:
    await _fail_task_writes(app, TRANSACTION_ATTEMPTS - 1, on="INSERT")
    url = f"/api/v1/projects/{board.pid}/tasks"
    headers = {**board.member.headers, "Idempotency-Key": "retry-1"}
    done = expect(await client.post(url, json={"title": "again"}, headers=headers), 201)
    # The lost attempts left nothing: no number used up, one event, one task.
    assert done["number"] == 1
    assert await _events(app, "task.created") == 1
    # The idempotency record of the winning attempt is there: the same request replays.
    replay = await client.post(url, json={"title": "again"}, headers=headers)
    assert replay.status_code == 201
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json()["id"] == done["id"]
    listed = expect(await client.get(url, headers=board.member.headers), 200)
    assert [t["id"] for t in listed["items"]] == [done["id"]]


@pytest.mark.parametrize("backend", POSTGRES)
async def test_a_write_that_keeps_losing_races_answers_409_and_changes_nothing(
    client: httpx.AsyncClient, app: FastAPI, board: Board
) -> None:
    task = await make_task(client, board.member, board.pid)
    await _fail_task_writes(app, TRANSACTION_ATTEMPTS)
    lost = await client.patch(
        f"/api/v1/tasks/{task['id']}", json={"title": "never"}, headers=board.member.headers
    )
    assert lost.status_code == 409
    assert lost.headers["content-type"].startswith("application/problem+json")
    assert lost.json()["code"] == "conflict"
    now = expect(await client.get(f"/api/v1/tasks/{task['id']}", headers=board.member.headers), 200)
    assert (now["title"], now["version"]) == (task["title"], 1)
    assert await _events(app, "task.updated") == 0


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"sqlite_busy_timeout_ms": 200, "database_pool_timeout_seconds": 1}


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_sqlite_still_locked_after_the_busy_timeout_answers_503(
    client: httpx.AsyncClient, app: FastAPI, board: Board
) -> None:
    task = await make_task(client, board.member, board.pid)
    path = app.state.runtime.db.sqlite_file
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        busy = await client.patch(
            f"/api/v1/tasks/{task['id']}", json={"title": "busy"}, headers=board.member.headers
        )
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert busy.status_code == 503, busy.text
    assert busy.json()["code"] == "database_busy"
    now = expect(await client.get(f"/api/v1/tasks/{task['id']}", headers=board.member.headers), 200)
    assert now["title"] == task["title"]


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_another_tasklane_process_holding_the_write_turn_past_the_busy_timeout_answers_503(
    client: httpx.AsyncClient, app: FastAPI, board: Board
) -> None:
    """Processes on one SQLite file take turns through a lock file (kit.writeturns); one that
    keeps its turn past the busy timeout makes the others' writes fail as a busy write does."""
    task = await make_task(client, board.member, board.pid)
    path = app.state.runtime.db.sqlite_file
    other = os.open(f"{path}-writers.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(other, fcntl.LOCK_EX)  # as another process taking its turn
        busy = await client.patch(
            f"/api/v1/tasks/{task['id']}", json={"title": "busy"}, headers=board.member.headers
        )
    finally:
        os.close(other)
    assert busy.status_code == 503, busy.text
    assert busy.json()["code"] == "database_busy"
    done = await client.patch(
        f"/api/v1/tasks/{task['id']}", json={"title": "later"}, headers=board.member.headers
    )
    assert done.status_code == 200, done.text
    now = expect(await client.get(f"/api/v1/tasks/{task['id']}", headers=board.member.headers), 200)
    assert (now["title"], now["version"]) == ("later", 2)


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_write_that_waits_too_long_for_the_writer_connection_answers_503(
    client: httpx.AsyncClient, app: FastAPI, board: Board
) -> None:
    """SQLite has one writer connection per process; a write that cannot have it within the
    pool timeout gets 503 `database_busy` (it was a 500)."""
    task = await make_task(client, board.member, board.pid)
    async with app.state.runtime.db.transaction() as session:
        await session.execute(text("SELECT 1"))  # holds the writer connection
        busy = await client.patch(
            f"/api/v1/tasks/{task['id']}", json={"title": "busy"}, headers=board.member.headers
        )
    assert busy.status_code == 503, busy.text
    assert busy.headers["content-type"].startswith("application/problem+json")
    assert busy.json()["code"] == "database_busy"
    now = expect(await client.get(f"/api/v1/tasks/{task['id']}", headers=board.member.headers), 200)
    assert now["title"] == task["title"]
