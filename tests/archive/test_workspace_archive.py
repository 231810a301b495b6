"""Workspace archives: a round trip SQLite -> PostgreSQL -> SQLite gives the same data, events
included; an import into a lived-in installation maps accounts, keeps its consumers from
sending history again, and is all or nothing."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path
from uuid import UUID

import pytest
from sqlalchemy import func, select
from tests.archive.canonical import contents
from tests.archive.conftest import (
    ATTACHMENT,
    World,
    drain,
    serving,
    world_settings,
)
from tests.factories import expect

from tasklane.archive.fileformat import ArchiveError, ArchiveReader
from tasklane.archive.workspace import ImportRefused, export_workspace, import_workspace
from tasklane.attachments.storage import storage_for
from tasklane.db import Database
from tasklane.demo import DEMO_SLUG
from tasklane.models import (
    Attachment,
    ConsumerPosition,
    Event,
    Notification,
    Task,
    TaskTransition,
    User,
    Workspace,
    WorkspaceMember,
)

pytestmark = pytest.mark.anyio


async def _export(url: str, data: Path, out: Path, slug: str = DEMO_SLUG) -> dict[str, object]:
    settings = world_settings(url, data)
    db = Database(settings)
    try:
        return await export_workspace(db, storage_for(settings), slug, out)
    finally:
        await db.dispose()


async def _import(url: str, data: Path, archive: Path, slug: str | None = None) -> object:
    settings = world_settings(url, data)
    db = Database(settings)
    try:
        return await import_workspace(db, storage_for(settings), archive, slug=slug)
    finally:
        await db.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["sqlite"])
async def test_round_trip_sqlite_postgres_sqlite(
    world: World,
    lived_in: tuple[str, Path],
    empty_postgres: tuple[str, Path],
    empty_sqlite: tuple[str, Path],
    tmp_path: Path,
) -> None:
    url, data = lived_in
    first, second, third = (tmp_path / f"{n}.tar.gz" for n in ("first", "second", "third"))
    manifest = await _export(url, data, first)
    tables = manifest["tables"]
    assert isinstance(tables, dict)
    for name in (
        "tasks",
        "comments",
        "events",
        "task_transitions",
        "attachments",
        "webhooks",
        "webhook_deliveries",
        "saved_views",
        "notifications",
        "users",
    ):
        assert tables[name]["rows"] > 0, name
    assert list(manifest["files"]) == [f"a/{world.attachment_id}"]  # type: ignore[call-overload]

    pg_url, pg_data = empty_postgres
    await _import(pg_url, pg_data, first)
    await _export(pg_url, pg_data, second)
    lite_url, lite_data = empty_sqlite
    await _import(lite_url, lite_data, second)
    await _export(lite_url, lite_data, third)
    # What was imported is served: the row, and the bytes from the store the app uses.
    async with serving(world_settings(lite_url, lite_data)) as (app, _client):
        db = app.state.runtime.db
        async with db.transaction(write=False) as session:
            assert await session.scalar(select(func.count()).select_from(Attachment)) == 1
        storage = storage_for(app.state.runtime.settings)
        got = b"".join([chunk async for chunk in storage.get(f"a/{world.attachment_id}")])
        assert got == ATTACHMENT

    one, two, three = contents(first), contents(second), contents(third)
    assert one == two
    assert two == three


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_import_into_a_lived_in_installation(
    world: World, lived_in: tuple[str, Path], empty: tuple[str, Path], tmp_path: Path
) -> None:
    """Into a copy of the same installation under another slug is refused (same ids); into
    another installation where one of the people already has an account, that account is
    used, the rest are made without passwords, and no consumer sees the history."""
    archive = tmp_path / "acme.tar.gz"
    url, data = lived_in
    await _export(url, data, archive)
    with pytest.raises(ImportRefused, match="already has that workspace"):
        await _import(url, data, archive, slug="acme-2")

    url, data = empty
    async with serving(world_settings(url, data)) as (app, client):
        grace = expect(
            await client.post(
                "/api/v1/auth/register",
                json={
                    "email": "grace@demo.tasklane.dev",
                    "password": "a long pass phrase 42",
                    "name": "Grace H.",
                },
            ),
            201,
        )
        await drain(app)  # positions at the head, as a running worker keeps them
        db: Database = app.state.runtime.db
        async with db.transaction(write=False) as session:
            head = await session.scalar(select(func.max(Event.seq)))
        result = await import_workspace(db, storage_for(app.state.runtime.settings), archive)
        assert result.accounts_matched == 1
        assert result.accounts_created == 5
        async with db.transaction(write=False) as session:
            members = set(
                await session.scalars(
                    select(WorkspaceMember.user_id).where(
                        WorkspaceMember.workspace_id == UUID(world.workspace_id)
                    )
                )
            )
            assert UUID(grace["id"]) in members
            rows = await session.execute(select(User.email, User.password_hash))
            hashes = {row.email: row.password_hash for row in rows}
            positions = set(await session.scalars(select(ConsumerPosition.position)))
            new_head = await session.scalar(select(func.max(Event.seq)))
        assert hashes["ada@demo.tasklane.dev"] == ""
        assert hashes["grace@demo.tasklane.dev"] != ""  # her own account, untouched
        assert new_head == (head or 0) + result.rows["events"]
        assert positions == {new_head}
        # The consumers find nothing to send: no notification made from the history.
        async with db.transaction(write=False) as session:
            before = await session.scalar(select(func.count()).select_from(Notification))
        assert await drain(app) == 0
        async with db.transaction(write=False) as session:
            assert await session.scalar(select(func.count()).select_from(Notification)) == before
        # Grace, signed in with her own password, sees the imported workspace's tasks.
        token = expect(
            await client.post(
                "/api/v1/auth/login",
                json={"email": "grace@demo.tasklane.dev", "password": "a long pass phrase 42"},
            ),
            200,
        )["access_token"]
        listed = expect(
            await client.get(
                f"/api/v1/workspaces/{world.workspace_id}/tasks?limit=5",
                headers={"Authorization": f"Bearer {token}"},
            ),
            200,
        )
        assert listed["items"]
        # A second import of the same archive is refused, and changes nothing.
        with pytest.raises(ImportRefused, match="already has that workspace"):
            await import_workspace(db, storage_for(app.state.runtime.settings), archive)


def _damaged(archive: Path, out: Path, member: str) -> None:
    """The archive with one byte of `member` changed (the gzip and tar stay readable)."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(out, "w:gz") as target:
        for info in source.getmembers():
            data = source.extractfile(info).read()  # type: ignore[union-attr]
            if info.name == member:
                data = data[:10] + bytes([data[10] ^ 1]) + data[11:]
            target.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_damaged_or_cut_archives_import_nothing(
    world: World, lived_in: tuple[str, Path], empty: tuple[str, Path], tmp_path: Path
) -> None:
    archive = tmp_path / "acme.tar.gz"
    await _export(*lived_in, archive)
    damaged = {
        "a file": f"files/a/{world.attachment_id}",
        "the events": "tables/events.jsonl",
        "the tasks": "tables/tasks.jsonl",
    }
    cut = tmp_path / "cut.tar.gz"
    raw = gzip.decompress(archive.read_bytes())
    cut.write_bytes(gzip.compress(raw[: len(raw) * 2 // 3]))
    not_gzip = tmp_path / "plain.tar.gz"
    not_gzip.write_bytes(b"id,title\n1,hello\n")
    url, data = empty
    for what, member in damaged.items():
        bad = tmp_path / f"{member.replace('/', '_')}.tar.gz"
        _damaged(archive, bad, member)
        with pytest.raises(ArchiveError, match=r"damaged|not JSON|row \d+"):
            await _import(url, data, bad)
        assert what
    with pytest.raises(ArchiveError):
        await _import(url, data, cut)
    with pytest.raises(ArchiveError, match="not a Tasklane archive"):
        await _import(url, data, not_gzip)
    settings = world_settings(url, data)
    db = Database(settings)
    try:
        async with db.transaction(write=False) as session:
            for model in (Workspace, User, Task, Event, TaskTransition):
                assert await session.scalar(select(func.count()).select_from(model)) == 0
    finally:
        await db.dispose()
    assert (
        not list((data / "attachments").rglob("*-*")) if (data / "attachments").exists() else True
    )
    # The good archive still imports, under another slug if asked.
    result = await _import(url, data, archive, slug="acme-copy")
    assert result.slug == "acme-copy"  # type: ignore[attr-defined]


def test_the_manifest_comes_first_and_describes_each_member(tmp_path: Path) -> None:
    """A file that is a tar but not ours, or from a newer format, is refused by name."""
    other = tmp_path / "other.tar.gz"
    with tarfile.open(other, "w:gz") as tar:
        info = tarfile.TarInfo("readme.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    with pytest.raises(ArchiveError, match="no manifest first"):
        ArchiveReader(other)
    newer = tmp_path / "newer.tar.gz"
    with tarfile.open(newer, "w:gz") as tar:
        body = b'{"format": "tasklane-archive", "version": 99}'
        info = tarfile.TarInfo("manifest.json")
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    with pytest.raises(ArchiveError, match="upgrade Tasklane"):
        ArchiveReader(newer)
