"""CSV import: dry runs, real runs through the job, idempotent re-imports, bad files, and runs
that stop part-way."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import func, select, update

from tasklane.config import Settings
from tasklane.db import Database
from tasklane.imports import csvfile
from tasklane.imports.service import IMPORT_JOB
from tasklane.models import Event, ImportRun, Task, TaskTransition
from tasklane.worker.jobs import REGISTRY, JobContext
from tests.factories import expect
from tests.imports.conftest import Team, all_tasks, export, import_file, run_jobs, sample, upload


def by_row(report: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {r["row"]: r for r in report["rows"]}


def problems(row: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(p["column"], p["severity"]) for p in row["problems"]]


async def task_count(database: Database) -> int:
    async with database.transaction(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(Task)) or 0)


class TestDryRun:
    async def test_reports_every_row_and_changes_nothing(
        self, client: httpx.AsyncClient, team: Team, database: Database
    ) -> None:
        body = expect(
            await upload(client, team.board.member, team.pid, sample("planning.csv"), dry_run=True),
            200,
        )
        assert body["dry_run"] is True
        assert body["filename"] == "tasks.csv"
        assert body["total_rows"] == 10
        assert body["counts"] == {"create": 10, "update": 0, "skip": 0, "error": 0}
        rows = by_row(body)
        assert sorted(rows) == list(range(2, 12))
        first = body["rows"][0]
        assert first["row"] == 2
        assert first["external_id"] == "LIN-101"
        assert first["title"] == "Checkout redesign"
        # New labels are announced; a parent later in the file is fine.
        assert ("labels", "warning") in problems(first)
        load_test = next(r for r in body["rows"] if r["external_id"] == "LIN-108")
        assert ("parent", "warning") not in problems(load_test)
        assert await task_count(database) == 0

    async def test_each_problem_names_its_row_and_column(
        self, client: httpx.AsyncClient, team: Team
    ) -> None:
        body = expect(
            await upload(client, team.board.member, team.pid, sample("problems.csv"), dry_run=True),
            200,
        )
        rows = {r["external_id"] + f"@{r['row']}": r for r in body["rows"]}
        assert rows["P-1@2"]["action"] == "create"
        assert rows["P-1@2"]["problems"] == []
        unknown = rows["P-2@3"]
        assert unknown["action"] == "error"
        assert unknown["problems"][0]["column"] == "status"
        assert "Waiting for review" in unknown["problems"][0]["message"]
        assert "Todo" in unknown["problems"][0]["message"]  # the statuses it could be
        assert problems(rows["P-3@4"]) == [("due_date", "error")]
        assert "YYYY-MM-DD" in rows["P-3@4"]["problems"][0]["message"]
        assert problems(rows["P-4@5"]) == [("priority", "error")]
        assert problems(rows["P-5@6"]) == [("title", "error")]
        stranger = rows["P-6@7"]
        assert stranger["action"] == "create"  # imported, unassigned
        assert problems(stranger) == [("assignees", "warning")]
        assert "nobody@elsewhere.example" in stranger["problems"][0]["message"]
        assert problems(rows["P-7@8"]) == [("estimate", "error")]
        repeated = rows["P-1@9"]
        assert repeated["action"] == "error"
        assert "Row 2" in repeated["problems"][0]["message"]
        assert rows["P-8@10"]["action"] == "create"
        assert problems(rows["P-8@10"]) == [("labels", "warning")]
        assert body["counts"] == {"create": 3, "update": 0, "skip": 0, "error": 6}


class TestRealRun:
    async def test_the_job_imports_every_field(
        self, client: httpx.AsyncClient, team: Team, settings: Settings, database: Database
    ) -> None:
        member = team.board.member
        run = await import_file(
            client, settings, database, member, team.pid, sample("planning.csv")
        )
        assert run["status"] == "succeeded", run
        assert (run["rows_done"], run["total_rows"]) == (10, 10)
        assert run["counts"] == {"create": 10, "update": 0, "skip": 0, "error": 0}
        assert run["finished_at"] is not None
        assert [r["key"] for r in run["rows"]] == [f"ENG-{n}" for n in range(1, 11)]

        rows = {r["key"]: r for r in await export(client, member, team.pid)}
        epic = rows["ENG-1"]
        assert epic["title"] == "Checkout redesign"
        assert epic["description"] == (
            "Umbrella task for the new checkout.\n\nScope: cart, payment, confirmation."
        )
        assert (epic["status"], epic["status_category"]) == ("In Progress", "started")
        assert epic["priority"] == "high"
        assert epic["assignees"] == "ada@example.com"
        assert epic["labels"] == "epic, frontend"
        assert (epic["start_date"], epic["due_date"], epic["estimate"]) == (
            "2026-11-02",
            "2026-12-18",
            "13",
        )
        assert epic["created_by"] == member.email
        both = rows["ENG-3"]
        assert both["status"] == "Todo"  # matched without case
        assert both["assignees"] == "ada@example.com, grace@example.com"
        assert rows["ENG-2"]["parent"] == "ENG-1"
        assert rows["ENG-8"]["parent"] == "ENG-9"  # a parent after its child in the file
        assert rows["ENG-5"]["title"] == "'=SUM(A1:A3) budget line"  # guarded on the way out
        assert rows["ENG-6"]["title"] == "'@channel reminder about the freeze"
        assert rows["ENG-6"]["estimate"] == "0.5"
        assert rows["ENG-7"]["title"] == "Café ☕ menu — ünïcödé title"
        assert rows["ENG-7"]["status_category"] == "cancelled"

        # Through the tasks' own writes: events, history and transitions.
        async with database.transaction(write=False) as session:
            created = await session.scalar(
                select(func.count()).select_from(Event).where(Event.type == "task.created")
            )
            moved = await session.scalar(select(func.count()).select_from(TaskTransition))
        assert created == 10
        assert (moved or 0) >= 10
        activity = expect(
            await client.get("/api/v1/tasks/ENG-8/activity", headers=member.headers), 200
        )
        assert len(activity["items"]) >= 2  # created, then given its parent

    async def test_importing_again_duplicates_nothing(
        self, client: httpx.AsyncClient, team: Team, settings: Settings, database: Database
    ) -> None:
        member = team.board.member
        await import_file(client, settings, database, member, team.pid, sample("planning.csv"))
        again = await import_file(
            client, settings, database, member, team.pid, sample("planning.csv")
        )
        assert again["status"] == "succeeded"
        assert again["counts"] == {"create": 0, "update": 0, "skip": 10, "error": 0}
        assert await task_count(database) == 10

        # A changed cell updates that task only.
        changed = sample("planning.csv").replace(b"Performance budget", b"Performance goals")
        third = await import_file(client, settings, database, member, team.pid, changed)
        assert third["counts"] == {"create": 0, "update": 1, "skip": 9, "error": 0}
        [update_row] = [r for r in third["rows"] if r["action"] == "update"]
        assert (update_row["key"], update_row["changes"]) == ("ENG-9", ["title"])
        assert await task_count(database) == 10

    async def test_an_export_imports_back_unchanged(
        self, client: httpx.AsyncClient, team: Team, settings: Settings, database: Database
    ) -> None:
        member = team.board.member
        await import_file(client, settings, database, member, team.pid, sample("planning.csv"))
        r = await client.get(f"/api/v1/projects/{team.pid}/export.csv", headers=member.headers)
        body = expect(await upload(client, member, team.pid, r.content, dry_run=True), 200)
        assert body["counts"] == {"create": 0, "update": 0, "skip": 10, "error": 0}, [
            (row["key"], row["changes"]) for row in body["rows"] if row["action"] != "skip"
        ]

    async def test_rows_without_ids_are_known_by_the_file(
        self, client: httpx.AsyncClient, team: Team, settings: Settings, database: Database
    ) -> None:
        member = team.board.member
        first = await import_file(
            client, settings, database, member, team.pid, sample("titles_only.csv")
        )
        assert first["counts"]["create"] == 3
        assert first["rows"][0]["external_id"].startswith("row:")
        again = await import_file(
            client, settings, database, member, team.pid, sample("titles_only.csv")
        )
        assert again["counts"] == {"create": 0, "update": 0, "skip": 3, "error": 0}
        assert await task_count(database) == 3

    async def test_rows_in_error_are_left_out(
        self, client: httpx.AsyncClient, team: Team, settings: Settings, database: Database
    ) -> None:
        run = await import_file(
            client, settings, database, team.board.member, team.pid, sample("problems.csv")
        )
        assert run["status"] == "succeeded"
        assert run["counts"] == {"create": 3, "update": 0, "skip": 0, "error": 6}
        titles = sorted(t["title"] for t in await all_tasks(client, team.board.member, team.pid))
        assert titles == ["A fine row", "Fresh label", "Stranger assigned"]


class TestBadFiles:
    async def test_unknown_columns_are_named(self, client: httpx.AsyncClient, team: Team) -> None:
        r = await upload(
            client, team.board.member, team.pid, sample("wrong_columns.csv"), dry_run=False
        )
        assert r.status_code == 422, r.text
        assert r.json()["code"] == "validation_failed"
        assert r.json()["errors"][0]["code"] == "unknown_columns"
        assert "Titel, Beschreibung, Zustand" in r.json()["detail"]

    async def test_a_missing_title_column_is_refused(
        self, client: httpx.AsyncClient, team: Team
    ) -> None:
        r = await upload(client, team.board.member, team.pid, sample("no_title.csv"), dry_run=True)
        assert r.status_code == 422
        assert r.json()["errors"][0]["code"] == "missing_columns"

    async def test_a_file_not_in_utf8_is_refused(
        self, client: httpx.AsyncClient, team: Team, database: Database
    ) -> None:
        # What a spreadsheet writes as "CSV" on Windows: cp1252.
        content = "title,description\nRésumé review,Für Zoë\n".encode("cp1252")
        r = await upload(client, team.board.member, team.pid, content, dry_run=False)
        assert r.status_code == 422
        assert r.json()["errors"][0]["code"] == "not_utf8"
        assert "UTF-8" in r.json()["detail"]
        assert await task_count(database) == 0

    async def test_a_byte_order_mark_is_fine(self, client: httpx.AsyncClient, team: Team) -> None:
        content = "\ufefftitle\nFrom Excel\n".encode()
        body = expect(await upload(client, team.board.member, team.pid, content, dry_run=True), 200)
        assert body["columns"] == ["title"]

    async def test_too_many_rows_is_422(self, client: httpx.AsyncClient, team: Team) -> None:
        content = b"title\n" + b"t\n" * (csvfile.MAX_ROWS + 1)
        r = await upload(client, team.board.member, team.pid, content, dry_run=True)
        assert r.status_code == 422
        assert r.json()["errors"][0]["code"] == "too_many_rows"

    async def test_broken_csv_and_empty_files(self, client: httpx.AsyncClient, team: Team) -> None:
        for content, code in (
            (b"", "empty_file"),
            (b"title\n", "empty_file"),
            (b'title,description\n"open quote,never closed\n', "not_csv"),
            (b"title\nok\x00\n", "not_csv"),
        ):
            r = await upload(client, team.board.member, team.pid, content, dry_run=True)
            assert r.status_code == 422, (content, r.text)
            assert r.json()["errors"][0]["code"] == code, (content, r.text)

    async def test_no_file_part_is_422(self, client: httpx.AsyncClient, team: Team) -> None:
        r = await client.post(
            f"/api/v1/projects/{team.pid}/imports",
            files={"other": ("x.csv", b"title\nx\n", "text/csv")},
            headers=team.board.member.headers,
        )
        assert r.status_code == 422


class TestStoppedRuns:
    async def test_a_job_run_twice_makes_each_task_once(
        self, client: httpx.AsyncClient, team: Team, settings: Settings, database: Database
    ) -> None:
        """At least once: a worker that died after committing rows but before the job was
        marked done runs it again from the progress it committed, or from the start. (The file
        is put back in the run's row, as runs queued before files went to the store kept it:
        that path is read too.)"""
        run = await import_file(
            client, settings, database, team.board.member, team.pid, sample("planning.csv")
        )
        async with database.transaction() as session:
            await session.execute(
                update(ImportRun)
                .where(ImportRun.id == uuid.UUID(run["id"]))
                .values(
                    status="running",
                    rows_done=0,
                    report=[],
                    counts={},
                    source=sample("planning.csv").decode(),
                )
            )
        ctx = JobContext(settings, database, uuid.uuid4(), 2, "w")
        await REGISTRY[IMPORT_JOB].handler(ctx, {"import_id": run["id"]})
        again = expect(
            await client.get(f"/api/v1/imports/{run['id']}", headers=team.board.member.headers),
            200,
        )
        assert again["status"] == "succeeded"
        assert again["counts"] == {"create": 0, "update": 0, "skip": 10, "error": 0}
        assert await task_count(database) == 10

    async def test_losing_access_stops_the_run_before_any_row(
        self, client: httpx.AsyncClient, team: Team, settings: Settings, database: Database
    ) -> None:
        board = team.board
        run = expect(
            await upload(client, team.ada, team.pid, sample("planning.csv"), dry_run=False), 202
        )
        expect(
            await client.delete(
                f"/api/v1/workspaces/{board.workspace['id']}/members/{team.ada.id}",
                headers=board.owner.headers,
            ),
            204,
        )
        await run_jobs(settings, database)
        async with database.transaction(write=False) as session:
            stored = await session.get(ImportRun, uuid.UUID(run["id"]))
        assert stored is not None
        assert stored.status == "failed"
        assert stored.error is not None
        assert "No such project" in stored.error
        assert stored.rows_done == 0
        assert stored.source is None
        assert await task_count(database) == 0
