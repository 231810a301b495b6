"""A database that cannot store (a read-only file, a full disk) gives clear 503 problem answers,
keeps serving reads, is not corrupted (after the fault every acknowledged write is there), and
/readyz says so with a 503 naming the reason. Once the file is writable again, the same server
is ready and writes again.

How the faults are made, without privileges: the full disk is a file-size limit (RLIMIT_FSIZE)
on the server process, so SQLite's writes past it fail as on a full disk (EFBIG; SQLite reports
an I/O error); the read-only file is `chmod 0444` (when the tests run as root, the server runs
without the capabilities that override file modes). On PostgreSQL the database is made
read-only with `default_transaction_read_only`; its disk-full error (SQLSTATE 53100) is mapped
like SQLite's but not provoked here.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import _pg_admin
from tests.factories import PASSWORD, Board, make_task
from tests.faults.live import DROP_FILE_OVERRIDES, SETPRIV, LiveServer, Team, make_team, server_env


def integrity(db: Path) -> str:
    with sqlite3.connect(db) as con:
        return str(con.execute("PRAGMA integrity_check").fetchone()[0])


def tasks(c: httpx.Client, team: Team) -> dict[str, str]:
    r = c.get(f"/api/v1/projects/{team.project_id}/tasks?limit=200")
    assert r.status_code == 200, r.text
    return {t["id"]: t["description"] for t in r.json()["items"]}


def assert_storage_problem(r: httpx.Response, code: str) -> None:
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == code
    assert "nothing was saved" in r.json()["detail"]


def chmod_database(db: Path, mode: int) -> None:
    """The database file and the journal files next to it (SQLite creates those with the
    database file's mode, so they turn read-only with it)."""
    for name in (db, db.with_name(f"{db.name}-wal"), db.with_name(f"{db.name}-shm")):
        if name.exists():
            name.chmod(mode)


def readiness(r: httpx.Response) -> tuple[int, str, str]:
    """/readyz's answer: (HTTP status, status, the database check)."""
    body = r.json()
    return r.status_code, body["status"], body["checks"]["database"]


def ready(server: LiveServer) -> tuple[int, str, str]:
    return readiness(httpx.get(f"{server.url}/readyz", timeout=10))


def seed(server: LiveServer) -> Team:
    team = make_team(server.url)
    with httpx.Client(base_url=server.url, headers=team.headers, timeout=10) as c:
        for i in range(3):
            r = c.post(
                f"/api/v1/projects/{team.project_id}/tasks",
                json={"title": f"seed {i}", "description": f"seed {i}"},
            )
            assert r.status_code == 201
    return team


def fill_the_disk(server: LiveServer, team: Team) -> dict[str, str]:
    """Writes big tasks until the disk is "full"; returns all tasks acknowledged so far."""
    refused = 0
    with httpx.Client(base_url=server.url, headers=team.headers, timeout=10) as c:
        acknowledged = tasks(c, team)
        for i in range(60):
            description = f"{i:03d} " + "x" * 60_000
            r = c.post(
                f"/api/v1/projects/{team.project_id}/tasks",
                json={"title": f"big {i}", "description": description},
            )
            if r.status_code == 201:
                acknowledged[r.json()["id"]] = description
                continue
            assert_storage_problem(r, "database_storage_failed")
            refused += 1
            if refused >= 3:
                break
        assert refused >= 3, "the limit was never reached: the test proved nothing"
        assert len(acknowledged) > 3, "nothing big fitted before the limit: it proved little"
        # Reads keep working on a full disk; /readyz says the last write found no room.
        assert tasks(c, team) == acknowledged
        assert readiness(c.get("/readyz")) == (503, "unavailable", "storage-failed")
    return acknowledged


def refuse_writes_read_only(server: LiveServer, team: Team, before: dict[str, str]) -> None:
    with httpx.Client(base_url=server.url, headers=team.headers, timeout=10) as c:
        assert tasks(c, team) == before
        # Known before any write is tried: the file cannot be written.
        assert readiness(c.get("/readyz")) == (503, "unavailable", "read-only")
        task_id = next(iter(before))
        for method, url, body in (
            ("POST", f"/api/v1/projects/{team.project_id}/tasks", {"title": "refused"}),
            ("PATCH", f"/api/v1/tasks/{task_id}", {"title": "refused"}),
            ("POST", f"/api/v1/tasks/{task_id}/comments", {"body": "refused"}),
            ("POST", "/api/v1/auth/login", {"email": team.email, "password": team.password}),
        ):
            assert_storage_problem(c.request(method, url, json=body), "database_read_only")
        assert tasks(c, team) == before
        assert readiness(c.get("/readyz")) == (503, "unavailable", "read-only")


def test_full_disk_then_read_only_file(tmp_path: Path, sqlite_template: Path) -> None:
    if os.geteuid() == 0 and SETPRIV is None:
        pytest.skip("Running as root without `setpriv`: a read-only file would still be written.")
    data = tmp_path / "data"
    data.mkdir()
    db = data / "tasklane.db"
    shutil.copyfile(sqlite_template, db)  # migrated already
    server = LiveServer(
        env=server_env(data, "", rate_limit_enabled="false"),
        cwd=tmp_path,
        # Room for the team and a few big tasks, then the "disk" is full.
        file_size_limit=db.stat().st_size + 700 * 1024,
    )
    mode = None
    try:
        # 1. The disk fills up while the server writes.
        server.start()
        assert ready(server) == (200, "ok", "ok")
        team = seed(server)
        acknowledged = fill_the_disk(server, team)
        server.stop()
        assert "database_storage_failed" in server.log_text
        assert integrity(db) == "ok"

        # 2. Restarted on the same file, now read-only: every acknowledged write is there,
        # reads work, and writes are refused clearly.
        mode = db.stat().st_mode
        db.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        server.file_size_limit = None
        server.honour_file_modes = True
        server.start(wait=False)
        server.wait_ready(statuses={503})  # up, and not ready: it cannot write
        refuse_writes_read_only(server, team, acknowledged)

        # 3. Made writable again: ready again, and writes work, without a restart.
        chmod_database(db, mode)
        mode = None
        assert ready(server) == (200, "ok", "ok")
        with httpx.Client(base_url=server.url, headers=team.headers, timeout=10) as c:
            r = c.post(f"/api/v1/projects/{team.project_id}/tasks", json={"title": "writable"})
            assert r.status_code == 201, r.text
            acknowledged[r.json()["id"]] = ""
        server.stop()
        assert "database_read_only" in server.log_text
    finally:
        server.stop()
        if mode is not None:
            chmod_database(db, mode)
    assert integrity(db) == "ok"
    with sqlite3.connect(db) as con:
        stored = dict(con.execute("SELECT title, description FROM tasks").fetchall())
    assert len(stored) == len(acknowledged)
    assert "refused" not in stored
    assert "writable" in stored


@pytest.mark.parametrize("backend", ["postgres"])
async def test_read_only_postgres_database(
    client: httpx.AsyncClient, app: FastAPI, board: Board, database_url: str
) -> None:
    """PostgreSQL made read-only for real (`default_transaction_read_only`, as on a standby or
    a database an operator froze): writes get the same clear 503, reads keep working."""
    name = database_url.rsplit("/", 1)[1]
    tasks_url = f"/api/v1/projects/{board.pid}/tasks"
    await make_task(client, board.member, board.pid, title="before")
    assert readiness(await client.get("/readyz")) == (200, "ok", "ok")
    await _pg_admin(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    await app.state.runtime.db.dispose()  # new connections pick the setting up
    try:
        assert readiness(await client.get("/readyz")) == (503, "unavailable", "read-only")
        r = await client.post(tasks_url, json={"title": "refused"}, headers=board.member.headers)
        assert_storage_problem(r, "database_read_only")
        login = {"email": board.member.email, "password": PASSWORD}
        assert_storage_problem(
            await client.post("/api/v1/auth/login", json=login), "database_read_only"
        )
        listed = await client.get(tasks_url, headers=board.member.headers)
        assert [t["title"] for t in listed.json()["items"]] == ["before"]
    finally:
        await _pg_admin(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
        await app.state.runtime.db.dispose()
    assert readiness(await client.get("/readyz")) == (200, "ok", "ok")
    r = await client.post(tasks_url, json={"title": "after"}, headers=board.member.headers)
    assert r.status_code == 201, r.text


# A background write (no request: nothing calls Database.write_refused) while the file is
# read-only, then one after it is writable again, in a process that obeys file modes.
_BACKGROUND_WRITER = """
import asyncio, sys
from pathlib import Path
from sqlalchemy import text
from tests.conftest import make_settings
from tasklane.db import Database

async def main(path: Path, writable: str) -> None:
    db = Database(make_settings(f"sqlite+aiosqlite:///{path}", path.parent))
    try:
        async with db.transaction() as session:
            await session.execute(text("INSERT INTO marks VALUES ('while read-only')"))
    except Exception as exc:
        print("refused:", type(exc).__name__, flush=True)
    while not Path(writable).exists():
        await asyncio.sleep(0.01)
    async with db.transaction() as session:
        await session.execute(text("INSERT INTO marks VALUES ('writable again')"))
    print("stored", flush=True)
    await db.dispose()

asyncio.run(main(Path(sys.argv[1]), sys.argv[2]))
"""


def test_writer_opened_read_only_is_replaced_once_writable(tmp_path: Path) -> None:
    """A writer connection SQLite opened while the file was read-only stays read-only; the pool
    replaces it once the file is writable, whoever used it last (the fault test above found a
    background write leaving one behind, so the first request write after recovery failed)."""
    if os.geteuid() == 0 and SETPRIV is None:
        pytest.skip("Running as root without `setpriv`: a read-only file would still be written.")
    db = tmp_path / "tasklane.db"
    with sqlite3.connect(db) as con:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("CREATE TABLE marks (note TEXT)")
    mode = db.stat().st_mode
    chmod_database(db, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    writable = tmp_path / "writable"
    command = [sys.executable, "-c", _BACKGROUND_WRITER, str(db), str(writable)]
    if os.geteuid() == 0:
        command = [*DROP_FILE_OVERRIDES, "--", *command]
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=Path.cwd(), text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("refused: OperationalError")
        chmod_database(db, mode)
        writable.touch()
        out, _ = proc.communicate(timeout=30)
    finally:
        chmod_database(db, mode)
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert out.strip() == "stored"
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT note FROM marks").fetchall() == [("writable again",)]
