"""Backups while Tasklane serves, restores into a new installation, the copy to another
database, and the worker's scheduled backups."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import httpx
import orjson
import pytest
from sqlalchemy import func, select
from tests.archive.canonical import contents
from tests.archive.conftest import ATTACHMENT, World, add_task, login, serving, world_settings
from tests.factories import expect

from tasklane.archive.backup import MANIFEST, BackupError, backup, folder_for, restore
from tasklane.archive.installation import dump_installation
from tasklane.archive.jobs import BACKUP_JOB, backup_root
from tasklane.attachments.storage import storage_for
from tasklane.db import Database
from tasklane.kit.clock import utcnow
from tasklane.models import Event, Job, Task
from tasklane.worker.housekeeping import schedule_periodic
from tasklane.worker.jobs import REGISTRY, JobContext

pytestmark = pytest.mark.anyio
WRITERS = 16
BIN = Path(sys.executable).parent / "tasklane"


PER_WRITER = 100
"""Writes per writer at most: the test is bounded even if the backup never returns."""


async def _writer(
    client: httpx.AsyncClient,
    project: str,
    headers: dict[str, str],
    stop: asyncio.Event,
    acknowledged: list[tuple[float, str]],
    goal: list[int],
    enough: asyncio.Event,
) -> None:
    loop = asyncio.get_running_loop()
    for n in range(PER_WRITER):
        if stop.is_set():
            return
        created = await client.post(
            f"/api/v1/projects/{project}/tasks",
            json={"title": f"written during a backup {n}"},
            headers=headers,
        )
        assert created.status_code == 201, created.text
        acknowledged.append((loop.time(), created.json()["id"]))
        if len(acknowledged) >= goal[0]:
            enough.set()
        # In-process requests on SQLite may never suspend: let the others (and the backup) in.
        await asyncio.sleep(0)


async def _task_ids(url: str, data: Path) -> set[UUID]:
    db = Database(world_settings(url, data))
    try:
        async with db.transaction(write=False) as session:
            return set(await session.scalars(select(Task.id)))
    finally:
        await db.dispose()


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_backup_while_16_writers_run_then_restore(
    world: World,
    lived_in: tuple[str, Path],
    empty: tuple[str, Path],
    backend: str,
    tmp_path: Path,
) -> None:
    """Every write acknowledged before the backup started is in the restored installation,
    which passes its checks (SQLite: integrity and foreign keys), files included."""
    url, data = lived_in
    folder = tmp_path / "backup"
    acknowledged: list[tuple[float, str]] = []
    async with serving(world_settings(url, data, rate_limit_enabled=False)) as (app, client):
        ada = await login(client, "ada")
        projects = expect(
            await client.get(f"/api/v1/workspaces/{world.workspace_id}/projects", headers=ada),
            200,
        )
        project = (projects["items"] if isinstance(projects, dict) else projects)[0]["id"]
        stop, enough, goal = asyncio.Event(), asyncio.Event(), [40]
        writers = [
            asyncio.create_task(_writer(client, project, ada, stop, acknowledged, goal, enough))
            for _ in range(WRITERS)
        ]
        loop = asyncio.get_running_loop()
        await asyncio.wait_for(enough.wait(), timeout=60)
        started = loop.time()
        manifest = await backup(app.state.runtime.settings, folder)
        stop.set()
        await asyncio.gather(*writers)
        # The writers went on while the backup ran (in its thread): nothing waited for it.
        during = sum(1 for at, _ in acknowledged if at > started)
    before = {UUID(i) for at, i in acknowledged if at <= started}
    assert len(before) >= 40
    assert during > 0, "no write went on while the backup ran, so it proves nothing"
    assert manifest["database"]["method"] == ("sqlite-backup" if backend == "sqlite" else "pg_dump")
    assert f"files/a/{world.attachment_id}" in manifest["files"]

    target_url, target_data = empty
    restored = await restore(world_settings(target_url, target_data), folder)
    assert restored.files == 1
    ids = await _task_ids(target_url, target_data)
    assert before <= ids
    assert ids <= await _task_ids(url, data)
    storage = storage_for(world_settings(target_url, target_data))
    got = b"".join([c async for c in storage.get(f"a/{world.attachment_id}")])
    assert got == ATTACHMENT
    if backend == "sqlite":
        file = Path(target_url.split("///", 1)[1])
        with sqlite3.connect(file) as check:
            assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert check.execute("PRAGMA foreign_key_check").fetchall() == []


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_restore_checks_before_it_changes_anything(
    world: World, lived_in: tuple[str, Path], tmp_path: Path
) -> None:
    url, data = lived_in
    settings = world_settings(url, data)
    folder = tmp_path / "backup"
    await backup(settings, folder)
    with pytest.raises(BackupError, match="not empty"):
        await backup(settings, folder)
    # Into the installation it came from: it holds data, so only with --force.
    with pytest.raises(BackupError, match="holds data"):
        await restore(settings, folder)
    # A damaged file is refused before anything changes, even with --force.
    damaged = tmp_path / "damaged"
    shutil.copytree(folder, damaged)
    database = damaged / "tasklane.db"
    content = bytearray(database.read_bytes())
    content[5000] ^= 0xFF
    database.write_bytes(bytes(content))
    with pytest.raises(BackupError, match="damaged"):
        await restore(settings, damaged, force=True)
    (damaged / "tasklane.db").unlink()
    with pytest.raises(BackupError, match="missing"):
        await restore(settings, damaged, force=True)
    newer = tmp_path / "newer"
    shutil.copytree(folder, newer)
    manifest = orjson.loads((newer / MANIFEST).read_bytes())
    (newer / MANIFEST).write_bytes(orjson.dumps({**manifest, "schema": "ffffffffffff"}))
    with pytest.raises(BackupError, match="newer"):
        await restore(settings, newer, force=True)
    # Forced, the installation is put back as it was at the backup.
    before = await _task_ids(url, data)
    await add_task(settings, world.workspace_id, "after")
    assert len(await _task_ids(url, data)) == len(before) + 1
    await restore(settings, folder, force=True)
    assert await _task_ids(url, data) == before


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"])
async def test_postgres_without_pg_dump_backs_up_as_an_archive(
    world: World,
    lived_in: tuple[str, Path],
    empty: tuple[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where pg_dump is not installed (no program on PATH), the backup is an installation
    archive, and restores to the same rows."""
    url, data = lived_in
    bare = tmp_path / "bin"
    bare.mkdir()
    monkeypatch.setenv("PATH", str(bare))
    manifest = await backup(world_settings(url, data), tmp_path / "backup")
    monkeypatch.undo()
    assert manifest["database"]["method"] == "archive"
    target_url, target_data = empty
    await restore(world_settings(target_url, target_data), tmp_path / "backup")
    assert await _task_ids(target_url, target_data) == await _task_ids(url, data)
    db = Database(world_settings(target_url, target_data))
    try:
        async with db.transaction(write=False) as session:
            head = await session.scalar(select(func.max(Event.seq)))
        # The restored installation goes on numbering where the source stopped.
        await add_task(world_settings(target_url, target_data), world.workspace_id, "next")
        async with db.transaction(write=False) as session:
            assert (
                await session.scalar(select(func.min(Event.seq)).where(Event.seq > head))
                == (head or 0) + 1
            )
    finally:
        await db.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["sqlite"])
async def test_migrate_to_postgresql_copies_everything(
    world: World, lived_in: tuple[str, Path], empty_postgres: tuple[str, Path], tmp_path: Path
) -> None:
    url, data = lived_in
    target_url, target_data = empty_postgres
    env = {
        **os.environ,
        "TASKLANE_DATABASE_URL": url,
        "TASKLANE_DATA_DIR": str(data),
        "TASKLANE_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
    }
    done = await asyncio.to_thread(
        subprocess.run,
        [str(BIN), "migrate-to", target_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "row counts and event head" in done.stdout
    # Every table the same, row for row (the counters are each database's own).
    dumps = []
    for source_url, folder in ((url, data), (target_url, target_data)):
        db = Database(world_settings(source_url, folder))
        try:
            out = tmp_path / f"{len(dumps)}.tar.gz"
            await dump_installation(db, out)
            dumps.append({k: v for k, v in contents(out).items() if k != "counters"})
        finally:
            await db.dispose()
    assert dumps[0] == dumps[1]
    assert len(dumps[0]["events"]) > 50
    # The target now holds data: a second copy is refused and changes nothing.
    again = await asyncio.to_thread(
        subprocess.run,
        [str(BIN), "migrate-to", target_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert again.returncode == 1
    assert "not empty" in again.stderr


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_scheduled_backups_run_once_per_time_and_keep_the_newest(
    world: World, lived_in: tuple[str, Path], tmp_path: Path
) -> None:
    url, data = lived_in
    settings = world_settings(
        url, data, backup_cron="*/5 * * * *", backup_keep=2, backup_dir=tmp_path / "backups"
    )
    db = Database(settings)
    try:
        await schedule_periodic(db)
        await schedule_periodic(db)  # a second worker, or the next tick: no second job
        async with db.transaction(write=False) as session:
            queued = (await session.scalars(select(Job).where(Job.kind == BACKUP_JOB))).all()
        assert len(queued) == 1
        due = datetime.fromisoformat(queued[0].payload["at"])
        assert due > utcnow() - timedelta(seconds=1)
        assert due.minute % 5 == 0
        assert due.second == 0
        assert queued[0].run_at == due

        root = backup_root(settings)
        root.mkdir(parents=True)
        for hours in (30, 20, 10):  # three earlier whole backups, one cut short
            old = folder_for(root, datetime(2026, 12, 1, tzinfo=UTC) + timedelta(hours=hours))
            old.mkdir()
            (old / MANIFEST).write_text("{}")
        (root / "tasklane-20261101T000000Z").mkdir()  # no manifest: being written, or broken
        (root / "keep-me").mkdir()
        handler = REGISTRY[BACKUP_JOB].handler
        context = JobContext(settings, db, queued[0].id, 1, "test")
        await handler(context, queued[0].payload)
        await handler(context, queued[0].payload)  # a retried job: already there
    finally:
        await db.dispose()
    made = folder_for(root, due)
    assert (made / MANIFEST).is_file()
    assert (made / "tasklane.db").is_file()
    left = sorted(p.name for p in root.iterdir())
    assert left == sorted(
        [made.name, "tasklane-20261202T060000Z", "tasklane-20261101T000000Z", "keep-me"]
    )


def test_a_bad_cron_expression_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="not a cron expression"):
        world_settings("sqlite+aiosqlite:///unused.db", Path("unused"), backup_cron="every night")
