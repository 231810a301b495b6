"""The attachments' jobs, against both stores (the local folder and a bucket): thumbnails,
removing a deleted file's objects, and the sweep that keeps the store holding only what the
database names.

The sweep leaves alone an object younger than ORPHAN_AGE (an upload in flight has no row
yet). A file's time can be set back (os.utime, once below) but a bucket's LastModified cannot,
so the tests run the sweep with the clock (tasklane.kit.clock) set that much later instead.
"""

from __future__ import annotations

import functools
import io
import os
import resource
import struct
import uuid
import zlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import select

from tasklane.attachments.jobs import ORPHAN_AGE, SWEEP_JOB, THUMBNAIL_BOX
from tasklane.attachments.service import THUMBNAIL_JOB
from tasklane.config import Settings
from tasklane.db import Database
from tasklane.kit.clock import frozen, utcnow
from tasklane.models import Attachment, Job, JobStatus
from tasklane.tasks.service import purge_trash
from tasklane.worker.jobs import enqueue
from tasklane.worker.runner import JobRunner
from tests.attachments.conftest import ObjectStore, fetch, image, post_form, upload
from tests.factories import Board, expect, make_project, make_task


@pytest.fixture
async def task(client: httpx.AsyncClient, board: Board) -> dict[str, Any]:
    return await make_task(client, board.owner, board.pid)


async def run_jobs(settings: Settings, database: Database) -> int:
    return await JobRunner(settings, database, name="w").run_due()


async def jobs_of(database: Database, kind: str) -> list[Job]:
    async with database.transaction(write=False) as session:
        return list(await session.scalars(select(Job).where(Job.kind == kind)))


async def attachment_row(database: Database, attachment_id: str) -> Attachment | None:
    async with database.transaction(write=False) as session:
        return await session.get(Attachment, uuid.UUID(attachment_id))


async def sweep(settings: Settings, database: Database, *, at: datetime) -> None:
    """Run the sweep job as the worker would, with the clock at `at`."""
    with frozen(at):
        async with database.transaction() as session:
            await enqueue(session, SWEEP_JOB, {})
        await run_jobs(settings, database)
    [job] = [j for j in await jobs_of(database, SWEEP_JOB) if j.status != JobStatus.QUEUED]
    assert job.status == JobStatus.SUCCEEDED, job.last_error
    async with database.transaction() as session:
        await session.delete(job)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@functools.cache
def bomb(width: int, height: int, *, colour: bool) -> bytes:
    """A valid PNG of width x height black pixels (1-bit grey, or 8-bit RGB), a few hundred
    kilobytes at most: its rows are compressed as they are made, never held."""
    bit_depth, colour_type, row_bytes = (8, 2, width * 3) if colour else (1, 0, (width + 7) // 8)
    row = bytes(1 + row_bytes)  # filter "none", then the row
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", data)
        + _png_chunk(b"IEND", b"")
    )


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


# --- thumbnails --------------------------------------------------------------------------------


class TestThumbnail:
    @pytest.mark.parametrize(("kind", "name"), [("PNG", "a.png"), ("JPEG", "a.jpg")])
    async def test_an_image_gets_a_small_webp(
        self,
        client: httpx.AsyncClient,
        board: Board,
        task: dict[str, Any],
        settings: Settings,
        database: Database,
        objects: ObjectStore,
        kind: str,
        name: str,
    ) -> None:
        added = await upload(client, board.owner, task["id"], image(kind, (1200, 800)), name)
        assert added["thumbnail_url"] is None
        path = f"/api/v1/attachments/{added['id']}/thumbnail"
        assert (await client.get(path, headers=board.owner.headers)).status_code == 404

        assert await run_jobs(settings, database) == 1
        [job] = await jobs_of(database, THUMBNAIL_JOB)
        assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 1)
        got = expect(
            await client.get(f"/api/v1/attachments/{added['id']}", headers=board.owner.headers),
            200,
        )
        assert (got["width"], got["height"]) == (1200, 800)
        assert got["thumbnail_url"] == path
        assert objects.keys() == {f"a/{added['id']}", f"t/{added['id']}"}

        answer = await client.get(path, headers=board.member.headers)
        assert answer.status_code == 302
        served = await fetch(client, answer.headers["location"])
        assert served.status_code == 200
        assert served.headers["content-type"] == "image/webp"
        assert served.headers["content-disposition"].startswith("inline;")
        assert served.content == objects.read(f"t/{added['id']}")
        with Image.open(io.BytesIO(served.content)) as thumbnail:
            assert thumbnail.format == "WEBP"
            assert thumbnail.size == (480, 320)  # the shape kept, within THUMBNAIL_BOX
        assert THUMBNAIL_BOX == (480, 480)

    @pytest.mark.parametrize(
        ("width", "height", "colour"),
        [
            pytest.param(30_000, 30_000, False, id="past-pillows-own-limit"),
            pytest.param(9_000, 9_000, True, id="past-thumbnail_max_pixels-only"),
        ],
    )
    async def test_a_decompression_bomb_gets_none_and_is_never_decoded(
        self,
        client: httpx.AsyncClient,
        board: Board,
        task: dict[str, Any],
        settings: Settings,
        database: Database,
        objects: ObjectStore,
        width: int,
        height: int,
        colour: bool,
    ) -> None:
        data = bomb(width, height, colour=colour)
        assert len(data) < 300_000
        assert width * height > settings.thumbnail_max_pixels
        if colour:  # under Pillow's own limit: only the app's check keeps it from decoding
            assert Image.MAX_IMAGE_PIXELS is not None
            assert width * height < Image.MAX_IMAGE_PIXELS  # 324 MB as RGB
        added = await upload(client, board.owner, task["id"], data, "huge.png")
        assert added["content_type"] == "image/png"

        before = peak_memory_mb()
        assert await run_jobs(settings, database) == 1
        assert peak_memory_mb() - before < 100
        [job] = await jobs_of(database, THUMBNAIL_JOB)
        assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 1)
        got = expect(
            await client.get(f"/api/v1/attachments/{added['id']}", headers=board.owner.headers),
            200,
        )
        assert (got["thumbnail_url"], got["width"], got["height"]) == (None, None, None)
        assert objects.keys() == {f"a/{added['id']}"}

    async def test_a_file_that_is_no_image_gets_no_thumbnail_job(
        self,
        client: httpx.AsyncClient,
        board: Board,
        task: dict[str, Any],
        settings: Settings,
        database: Database,
        objects: ObjectStore,
    ) -> None:
        added = await upload(client, board.owner, task["id"], b"plain words\n", "a.png")
        assert added["content_type"] == "text/plain"
        assert await run_jobs(settings, database) == 0
        path = f"/api/v1/attachments/{added['id']}/thumbnail"
        assert (await client.get(path, headers=board.owner.headers)).status_code == 404
        assert objects.keys() == {f"a/{added['id']}"}

    @pytest.mark.parametrize(
        "damage",
        [
            pytest.param(lambda png: png[: len(png) // 3], id="truncated"),
            pytest.param(lambda png: png[:16] + bytes(range(256)) * 8, id="garbled"),
        ],
    )
    async def test_a_corrupt_png_gets_none_and_the_job_succeeds(
        self,
        client: httpx.AsyncClient,
        board: Board,
        task: dict[str, Any],
        settings: Settings,
        database: Database,
        objects: ObjectStore,
        damage: Callable[[bytes], bytes],
    ) -> None:
        data = damage(image("PNG", (1200, 800)))
        added = await upload(client, board.owner, task["id"], data, "broken.png")
        assert added["content_type"] == "image/png"
        assert await run_jobs(settings, database) == 1
        [job] = await jobs_of(database, THUMBNAIL_JOB)
        assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 1)
        got = expect(
            await client.get(f"/api/v1/attachments/{added['id']}", headers=board.owner.headers),
            200,
        )
        assert got["thumbnail_url"] is None
        assert objects.keys() == {f"a/{added['id']}"}
        answer = await client.get(got["url"], headers=board.owner.headers)
        assert (await fetch(client, answer.headers["location"])).content == data


# --- removing a deleted file ---------------------------------------------------------------


class TestRemove:
    async def test_the_file_and_its_thumbnail_go(
        self,
        client: httpx.AsyncClient,
        board: Board,
        task: dict[str, Any],
        settings: Settings,
        database: Database,
        objects: ObjectStore,
    ) -> None:
        kept = await upload(client, board.owner, task["id"], image("PNG", (50, 50)), "k.png")
        gone = await upload(client, board.owner, task["id"], image("PNG", (50, 50)), "g.png")
        await run_jobs(settings, database)
        assert len(objects.keys()) == 4
        expect(
            await client.delete(f"/api/v1/attachments/{gone['id']}", headers=board.owner.headers),
            204,
        )
        assert await run_jobs(settings, database) == 1
        assert objects.keys() == {f"a/{kept['id']}", f"t/{kept['id']}"}


# --- the sweep ---------------------------------------------------------------------------------


class TestSweep:
    async def test_an_object_no_row_names_goes_once_it_is_old(
        self, settings: Settings, database: Database, objects: ObjectStore
    ) -> None:
        strays = {f"a/{uuid.uuid4()}", f"t/{uuid.uuid4()}"}
        for key in strays:
            objects.write(key, b"no row names me")
        await sweep(settings, database, at=utcnow())
        assert objects.keys() == strays  # young: it may be an upload whose row is coming
        await sweep(settings, database, at=utcnow() + ORPHAN_AGE - timedelta(minutes=2))
        assert objects.keys() == strays
        await sweep(settings, database, at=utcnow() + ORPHAN_AGE + timedelta(minutes=2))
        assert objects.keys() == set()

    async def test_a_temporary_left_by_a_crash_goes_once_it_is_old(
        self, settings: Settings, database: Database
    ) -> None:
        """Local storage writes to `.<id>.<random>.part` and renames; a crash leaves the
        temporary (here made old by its mtime, with the clock as it is)."""
        folder = settings.data_dir / "attachments" / "a"
        folder.mkdir(parents=True)
        old, young = (folder / f".{uuid.uuid4()}.{n:08x}.part" for n in (1, 2))
        for path in (old, young):
            path.write_bytes(b"half a file")
        then = (utcnow() - ORPHAN_AGE - timedelta(minutes=2)).timestamp()
        os.utime(old, (then, then))
        await sweep(settings, database, at=utcnow())
        assert sorted(folder.iterdir()) == [young]

    async def test_the_objects_of_live_attachments_stay(
        self,
        client: httpx.AsyncClient,
        board: Board,
        task: dict[str, Any],
        settings: Settings,
        database: Database,
        objects: ObjectStore,
    ) -> None:
        data = image("PNG", (64, 64))
        added = await upload(client, board.owner, task["id"], data, "live.png")
        await run_jobs(settings, database)
        stray = f"a/{uuid.uuid4()}"
        objects.write(stray, b"no row names me")
        await sweep(settings, database, at=utcnow() + timedelta(days=1))
        assert objects.keys() == {f"a/{added['id']}", f"t/{added['id']}"}
        answer = await client.get(added["url"], headers=board.owner.headers)
        assert (await fetch(client, answer.headers["location"])).content == data

    async def test_an_expired_direct_upload_goes_with_its_object(
        self,
        client: httpx.AsyncClient,
        board: Board,
        task: dict[str, Any],
        settings: Settings,
        database: Database,
        objects: ObjectStore,
    ) -> None:
        async def start(size: int) -> httpx.Response:
            return await client.post(
                f"/api/v1/tasks/{task['id']}/attachments/uploads",
                json={"filename": "later.txt", "size": size},
                headers=board.owner.headers,
            )

        uploaded = expect(await start(11), 201)
        answer = await post_form(client, uploaded, b"hello there", "later.txt")
        assert answer.status_code == 204, answer.text
        never = expect(await start(5), 201)
        storage = f"/api/v1/workspaces/{board.workspace['id']}/storage"
        assert expect(await client.get(storage, headers=board.owner.headers), 200)[
            "used_bytes"
        ] == (11 + 5)
        expires = datetime.fromisoformat(uploaded["expires_at"])
        assert objects.keys() == {f"a/{uploaded['upload_id']}"}

        await sweep(settings, database, at=expires + ORPHAN_AGE - timedelta(minutes=2))
        for link in (uploaded, never):
            assert await attachment_row(database, link["upload_id"]) is not None
        assert objects.keys() == {f"a/{uploaded['upload_id']}"}

        await sweep(settings, database, at=expires + ORPHAN_AGE + timedelta(minutes=2))
        for link in (uploaded, never):
            assert await attachment_row(database, link["upload_id"]) is None
        assert objects.keys() == set()
        assert expect(await client.get(storage, headers=board.owner.headers), 200) == {
            "used_bytes": 0,
            "quota_bytes": settings.storage_quota_bytes,
            "attachments": 0,
            "max_upload_bytes": settings.max_upload_bytes,
        }

    async def test_a_task_purged_from_the_trash_loses_its_files(
        self,
        client: httpx.AsyncClient,
        board: Board,
        task: dict[str, Any],
        settings: Settings,
        database: Database,
        objects: ObjectStore,
    ) -> None:
        added = await upload(client, board.owner, task["id"], image("PNG", (64, 64)), "t.png")
        other = await make_task(client, board.owner, board.pid, "Stays")
        kept = await upload(client, board.owner, other["id"], b"kept\n", "kept.txt")
        await run_jobs(settings, database)
        expect(await client.delete(f"/api/v1/tasks/{task['id']}", headers=board.owner.headers), 204)
        everything = {f"a/{added['id']}", f"t/{added['id']}", f"a/{kept['id']}"}

        # In the trash the task can come back, its files with it.
        await sweep(settings, database, at=utcnow() + timedelta(days=1))
        assert objects.keys() == everything

        later = utcnow() + timedelta(days=settings.trash_retention_days + 1)
        with frozen(later):
            async with database.transaction() as session:
                purged = await purge_trash(session, retention_days=settings.trash_retention_days)
        assert purged == 1
        assert await attachment_row(database, added["id"]) is None
        await sweep(settings, database, at=later)
        assert objects.keys() == {f"a/{kept['id']}"}

    async def test_a_deleted_project_loses_its_files(
        self,
        client: httpx.AsyncClient,
        board: Board,
        task: dict[str, Any],
        settings: Settings,
        database: Database,
        objects: ObjectStore,
    ) -> None:
        added = await upload(client, board.owner, task["id"], image("PNG", (64, 64)), "p.png")
        project = await make_project(client, board.owner, board.workspace["id"], "OPS", "Ops")
        other = await make_task(client, board.owner, project["id"], "Elsewhere")
        kept = await upload(client, board.owner, other["id"], b"kept\n", "kept.txt")
        await run_jobs(settings, database)
        expect(
            await client.delete(f"/api/v1/projects/{board.pid}", headers=board.owner.headers), 204
        )
        assert await attachment_row(database, added["id"]) is None
        assert objects.keys() == {f"a/{added['id']}", f"t/{added['id']}", f"a/{kept['id']}"}

        await sweep(settings, database, at=utcnow() + ORPHAN_AGE + timedelta(minutes=2))
        assert objects.keys() == {f"a/{kept['id']}"}
