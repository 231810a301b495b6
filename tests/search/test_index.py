"""The full-text index against the text it comes from: `drift` finds every difference,
`reindex` rebuilds it to what the triggers would have made, and the CLI runs both."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from tasklane.runtime import Runtime
from tasklane.search.index import drift, reindex
from tests.conftest import make_settings
from tests.factories import Board, expect, make_task
from tests.faults.live import BIN


async def _hits(client: httpx.AsyncClient, board: Board, q: str) -> list[tuple[str, str]]:
    body = expect(
        await client.get(
            "/api/v1/search",
            params={"q": q, "workspace_id": board.workspace["id"]},
            headers=board.member.headers,
        ),
        200,
    )
    return [(h["task_key"], h["kind"]) for h in body["items"]]


async def _corpus(client: httpx.AsyncClient, board: Board) -> None:
    for n in range(3):
        task = await make_task(
            client, board.member, board.pid, title=f"Heron {n}", description=f"egret {n}"
        )
        expect(
            await client.post(
                f"/api/v1/tasks/{task['id']}/comments",
                json={"body": f"stork {n}"},
                headers=board.member.headers,
            ),
            201,
        )
        expect(
            await client.post(
                f"/api/v1/tasks/{task['id']}/attachments",
                files={"file": (f"plover-{n}.pdf", b"%PDF-1.4\n")},
                headers=board.member.headers,
            ),
            201,
        )


async def test_drift_finds_damage_and_reindex_repairs_it(
    app: FastAPI, client: httpx.AsyncClient, board: Board
) -> None:
    await _corpus(client, board)
    questions = ("heron", "egret", "stork", "heron 1", "stork OR egret", "plover", "plover 2")
    before = {q: await _hits(client, board, q) for q in questions}
    assert len(before["stork OR egret"]) == 6
    assert before["plover 2"] == [("ENG-3", "task")]
    db = app.state.runtime.db
    async with db.transaction(write=False) as s:
        assert await drift(s) == []

    if db.is_sqlite:
        # Damage of every kind drift knows: a task's entry gone, a comment's text changed
        # behind the triggers' back, and an entry for nothing.
        async with db.transaction() as s:
            first = await s.scalar(text("SELECT min(id) FROM search_documents"))
            await s.execute(text("DELETE FROM search_fts WHERE rowid = :id"), {"id": first})
            await s.execute(
                text(
                    "UPDATE search_fts SET body = 'ibis' WHERE rowid = "
                    "(SELECT max(id) FROM search_documents WHERE comment_id != '')"
                )
            )
            await s.execute(
                text("INSERT INTO search_documents (task_id) VALUES ('nothing-at-all')")
            )
        async with db.transaction(write=False) as s:
            found = await drift(s)
        kinds = {line.split(":")[0] for line in found}
        assert kinds == {
            "entry without text",
            "indexed text differs from the comment",
            "entry for nothing",
        }, found
        assert await _hits(client, board, "ibis") == [("ENG-3", "comment")]

    progress: list[tuple[int, int]] = []
    async with db.transaction() as s:
        count = await reindex(s, lambda done, total: progress.append((done, total)))
    assert count == 6
    assert progress[-1] == (6, 6)
    async with db.transaction(write=False) as s:
        assert await drift(s) == []
    assert {q: await _hits(client, board, q) for q in questions} == before
    assert await _hits(client, board, "ibis") == []


def test_cli_check_and_reindex(tmp_path: Path) -> None:
    env = {**os.environ, "TASKLANE_DATA_DIR": str(tmp_path / "data"), "TASKLANE_DATABASE_URL": ""}
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'tasklane.db'}"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN), *args], env=env, cwd=tmp_path, capture_output=True, text=True, check=False
        )

    assert cli("migrate").returncode == 0

    async def seed_and_damage() -> None:
        from tasklane.demo import fill_demo

        runtime = Runtime.build(make_settings(db_url, tmp_path / "data"))
        try:
            await fill_demo(runtime, tasks_per_project=3)
            async with runtime.db.transaction() as s:
                await s.execute(text("DELETE FROM search_fts WHERE rowid = 1"))
        finally:
            await runtime.close()

    checked = cli("search", "check")
    assert (checked.returncode, checked.stdout.strip()) == (0, "search index exact")
    asyncio.run(seed_and_damage())
    checked = cli("search", "check")
    assert checked.returncode == 1
    assert "entry without text" in checked.stderr
    rebuilt = cli("search", "reindex")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "search index rebuilt:" in rebuilt.stdout
    assert cli("search", "check").returncode == 0
