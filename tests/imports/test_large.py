"""Real Trello and Jira exports are larger than a request body may be elsewhere: a board with
its history of actions, a few thousand issues. They import whole, as a stream, with the file
kept in the store for the job; past TASKLANE_IMPORT_MAX_FILE_BYTES a file is a 413 naming the
limit and nothing is kept."""

from __future__ import annotations

import dataclasses
import io
import os
import time
import uuid

import httpx
import pytest
from sqlalchemy import func, select

from tasklane.attachments.storage import IMPORT, storage_for
from tasklane.config import Settings
from tasklane.db import Database
from tasklane.imports import service
from tasklane.imports import source as files
from tasklane.imports.jobs import MAX_ATTEMPTS, SWEEP_JOB
from tasklane.models import Comment, ImportRun, Task
from tasklane.worker.jobs import REGISTRY, JobContext
from tests.factories import expect
from tests.imports.conftest import Team, import_file, run_jobs, sample, upload
from tests.imports.generate import jira_export, trello_export

TWO_MIB = 2 * 1024 * 1024


async def count(database: Database, model: type[object]) -> int:
    async with database.transaction(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def job_context(settings: Settings, database: Database) -> JobContext:
    return JobContext(settings, database, job_id=uuid.uuid4(), attempt=1, worker="test")


async def stored_sources(settings: Settings) -> list[str]:
    return [o.key async for o in storage_for(settings).listing((IMPORT,))]


class TestLargeTrello:
    async def test_a_board_with_its_history_imports_whole(
        self, client: httpx.AsyncClient, team: Team, settings: Settings, database: Database
    ) -> None:
        board = trello_export(cards=200, items_per_card=1, comments_per_card=2)
        assert len(board.content) > TWO_MIB
        alive = board.cards - board.archived
        member = team.board.member

        preview = expect(
            await upload(
                client,
                member,
                team.pid,
                board.content,
                dry_run=True,
                format="trello",
                filename="board.json",
            ),
            200,
        )
        assert preview["total_rows"] == board.cards * 2
        assert preview["counts"] == {
            "create": alive * 2,
            "update": 0,
            "skip": board.archived * 2,
            "error": 0,
        }
        notes = {n["source"]: n["target"] for n in preview["mapping"] if n["kind"] == "content"}
        assert (
            notes["comments"]
            == f"{board.comments + board.archived * 2} comments on the tasks created"
        )
        assert await count(database, Task) == 0

        run = await import_file(
            client, settings, database, member, team.pid, board.content, "trello"
        )
        assert run["status"] == "succeeded", run["error"]
        assert run["rows_done"] == run["total_rows"] == board.cards * 2
        assert run["counts"] == preview["counts"]
        assert await count(database, Task) == alive * 2
        assert await count(database, Comment) == board.comments
        # The file waited in the store for the job, and is gone once the run ended.
        assert await stored_sources(settings) == []
        async with database.transaction(write=False) as session:
            stored = await session.get(ImportRun, uuid.UUID(run["id"]))
        assert stored is not None
        assert stored.source is None


class TestLargeJira:
    async def test_thousands_of_issues_import_whole(
        self, client: httpx.AsyncClient, team: Team, settings: Settings, database: Database
    ) -> None:
        export = jira_export(issues=600, comments_per_issue=3)
        assert len(export.content) > TWO_MIB
        member = team.board.member

        preview = expect(
            await upload(client, member, team.pid, export.content, dry_run=True, format="jira"),
            200,
        )
        assert preview["total_rows"] == export.issues
        assert preview["counts"]["create"] == export.issues
        assert preview["counts"]["error"] == 0

        run = await import_file(
            client, settings, database, member, team.pid, export.content, "jira"
        )
        assert run["status"] == "succeeded", run["error"]
        assert run["counts"]["create"] == export.issues
        assert await count(database, Task) == export.issues
        assert await count(database, Comment) == export.comments
        async with database.transaction(write=False) as session:
            subtasks = await session.scalar(
                select(func.count()).select_from(Task).where(Task.parent_id.is_not(None))
            )
        assert subtasks == export.issues // 10
        assert await stored_sources(settings) == []


class TestTheStoredFile:
    async def test_the_file_waits_in_the_store_not_the_database(
        self, client: httpx.AsyncClient, team: Team, settings: Settings, database: Database
    ) -> None:
        run = expect(
            await upload(
                client, team.board.member, team.pid, sample("planning.csv"), dry_run=False
            ),
            202,
        )
        assert await stored_sources(settings) == [files.source_key(uuid.UUID(run["id"]))]
        async with database.transaction(write=False) as session:
            stored = await session.get(ImportRun, uuid.UUID(run["id"]))
        assert stored is not None
        assert stored.source is None
        await run_jobs(settings, database)
        done = expect(
            await client.get(f"/api/v1/imports/{run['id']}", headers=team.board.member.headers),
            200,
        )
        assert done["status"] == "succeeded"
        assert done["counts"]["create"] == 10
        assert await stored_sources(settings) == []

    async def test_a_run_whose_file_is_gone_fails_saying_so(
        self, client: httpx.AsyncClient, team: Team, settings: Settings, database: Database
    ) -> None:
        run = expect(
            await upload(
                client, team.board.member, team.pid, sample("planning.csv"), dry_run=False
            ),
            202,
        )
        await files.discard(storage_for(settings), uuid.UUID(run["id"]))
        await run_jobs(settings, database)
        done = expect(
            await client.get(f"/api/v1/imports/{run['id']}", headers=team.board.member.headers),
            200,
        )
        assert done["status"] == "failed"
        assert "upload it again" in done["error"]
        assert await count(database, Task) == 0

    async def test_a_file_the_store_cannot_give_back_fails_the_run_on_its_last_attempt(
        self, client: httpx.AsyncClient, team: Team, settings: Settings, database: Database
    ) -> None:
        """The store answers that the file is there but cannot read it (here: a folder where
        the file was): each attempt fails and is retried; the last one ends the run, saying
        so, instead of leaving it running for ever."""
        run = expect(
            await upload(
                client, team.board.member, team.pid, sample("planning.csv"), dry_run=False
            ),
            202,
        )
        stored = settings.data_dir / "attachments" / files.source_key(uuid.UUID(run["id"]))
        stored.unlink()
        stored.mkdir()
        handler = REGISTRY[service.IMPORT_JOB].handler
        for attempt in (1, MAX_ATTEMPTS):
            context = dataclasses.replace(job_context(settings, database), attempt=attempt)
            with pytest.raises(IsADirectoryError):
                await handler(context, {"import_id": run["id"]})
            state = expect(
                await client.get(f"/api/v1/imports/{run['id']}", headers=team.board.member.headers),
                200,
            )
            assert state["status"] == ("running" if attempt < MAX_ATTEMPTS else "failed")
        assert "The import failed" in state["error"]
        assert await count(database, Task) == 0

    async def test_the_hourly_sweep_removes_files_no_waiting_run_needs(
        self, client: httpx.AsyncClient, team: Team, settings: Settings, database: Database
    ) -> None:
        """A queued run's file stays; a file no run names (its process died before the run
        was queued), or of a run that ended without removing it, goes once an hour old."""
        run = expect(
            await upload(
                client, team.board.member, team.pid, sample("planning.csv"), dry_run=False
            ),
            202,
        )
        waiting = files.source_key(uuid.UUID(run["id"]))
        storage = storage_for(settings)
        orphan, young = uuid.uuid4(), uuid.uuid4()
        with io.BytesIO(b"title\nLost\n") as lost:
            await files.store(storage, orphan, lost)  # type: ignore[arg-type]
        with io.BytesIO(b"title\nBeing queued\n") as fresh:
            await files.store(storage, young, fresh)  # type: ignore[arg-type]
        hour_ago = time.time() - 2 * 3600
        root = settings.data_dir / "attachments"
        for key in (waiting, files.source_key(orphan)):
            os.utime(root / key, (hour_ago, hour_ago))

        await REGISTRY[SWEEP_JOB].handler(job_context(settings, database), {})
        assert sorted(await stored_sources(settings)) == sorted([waiting, files.source_key(young)])
        # The run ends: were its file left behind, the next sweep takes it.
        async with database.transaction() as session:
            stored = await session.get(ImportRun, uuid.UUID(run["id"]))
            assert stored is not None
            stored.status = "failed"
        await REGISTRY[SWEEP_JOB].handler(job_context(settings, database), {})
        assert await stored_sources(settings) == [files.source_key(young)]


LIMIT = 3 * 1024 * 1024


class TestTheLimit:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"import_max_file_bytes": LIMIT}

    async def test_a_file_just_over_the_limit_is_413_naming_it(
        self, client: httpx.AsyncClient, team: Team, settings: Settings, database: Database
    ) -> None:
        content = b"title\n" + b"x" * (LIMIT - 6) + b"\n"
        assert len(content) == LIMIT + 1
        for dry_run in (True, False):
            r = await upload(client, team.board.member, team.pid, content, dry_run=dry_run)
            assert r.status_code == 413, r.text
            problem = r.json()
            assert problem["code"] == "payload_too_large"
            assert problem["limit_bytes"] == LIMIT
            assert f"{LIMIT} bytes" in problem["detail"]
            assert "3 MiB" in problem["detail"]
        assert await count(database, Task) == 0
        assert await count(database, ImportRun) == 0
        assert await stored_sources(settings) == []

    async def test_a_body_far_over_the_limit_is_refused_before_it_is_read(
        self, client: httpx.AsyncClient, team: Team, settings: Settings, database: Database
    ) -> None:
        content = b"title\n" + b"x" * (2 * LIMIT) + b"\n"
        r = await upload(client, team.board.member, team.pid, content, dry_run=False)
        assert r.status_code == 413, r.text
        assert r.json()["code"] == "payload_too_large"
        assert await count(database, ImportRun) == 0
        assert await stored_sources(settings) == []

    async def test_a_file_at_the_limit_is_taken(
        self, client: httpx.AsyncClient, team: Team
    ) -> None:
        lines = [b"title,description\n"] + [b"Row %d,%s\n" % (i, b"d" * 770) for i in range(4000)]
        size = sum(map(len, lines))
        lines.append(b"Last," + b"d" * (LIMIT - size - len(b"Last,\n")) + b"\n")
        content = b"".join(lines)
        assert len(content) == LIMIT
        r = await upload(client, team.board.member, team.pid, content, dry_run=True)
        assert r.status_code == 200, r.text
        assert r.json()["counts"]["create"] == 4001

    async def test_other_routes_keep_the_small_body_limit(
        self, client: httpx.AsyncClient, team: Team, settings: Settings
    ) -> None:
        body = b'{"title": "' + b"x" * settings.max_body_bytes + b'"}'
        r = await client.post(
            f"/api/v1/projects/{team.pid}/tasks",
            content=body,
            headers={**team.board.member.headers, "Content-Type": "application/json"},
        )
        assert r.status_code == 413, r.text


class TestTheSourceFile:
    def test_the_digest_is_the_texts_with_or_without_a_byte_order_mark(
        self, tmp_path: object
    ) -> None:
        import tempfile

        from tasklane.imports.csvfile import digest_of

        text = "title\nRésumé\n"
        for raw in (text.encode(), b"\xef\xbb\xbf" + text.encode()):
            with tempfile.TemporaryFile() as f:
                f.write(raw)
                assert files.check(f) == digest_of(text)

    def test_a_bad_byte_is_named_where_it_is(self) -> None:
        import tempfile

        from tasklane.errors import ValidationFailed

        raw = b"title\n" + "é".encode() * 200_000 + b"\xff\n"
        with tempfile.TemporaryFile() as f:
            f.write(raw)
            with pytest.raises(ValidationFailed) as caught:
                files.check(f)
        assert f"byte {len(raw) - 1} cannot" in str(caught.value.detail)
