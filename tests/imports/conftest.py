"""Project CSV export and import: the board (copied), two more people with the addresses the
sample files name, and helpers to upload a file and run the import job."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tasklane.config import Settings
from tasklane.db import Database
from tasklane.worker.runner import JobRunner
from tests.factories import Board, User, add_member, expect, make_user

SAMPLES = Path(__file__).parent / "samples"


@pytest.fixture
def board_is_copied() -> bool:
    return True


@dataclass
class Team:
    board: Board
    ada: User
    grace: User

    @property
    def pid(self) -> str:
        return self.board.pid


@pytest.fixture
async def team(client: httpx.AsyncClient, board: Board) -> Team:
    """The board's workspace with ada@ and grace@example.com as members (the samples' people)."""
    ada = await make_user(client, email="ada@example.com", name="Ada Lovelace")
    grace = await make_user(client, email="grace@example.com", name="Grace Hopper")
    for user in (ada, grace):
        await add_member(client, board.owner, board.workspace["id"], user)
    return Team(board, ada, grace)


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


async def upload(
    client: httpx.AsyncClient,
    user: User,
    project_id: str,
    content: bytes,
    *,
    dry_run: bool,
    filename: str = "tasks.csv",
    format: str = "csv",
) -> httpx.Response:
    return await client.post(
        f"/api/v1/projects/{project_id}/imports",
        params={"dry_run": "true" if dry_run else "false", "format": format},
        files={"file": (filename, content, "text/csv")},
        headers=user.headers,
    )


async def run_jobs(settings: Settings, database: Database) -> int:
    return await JobRunner(settings, database, name="w").run_due()


async def import_file(
    client: httpx.AsyncClient,
    settings: Settings,
    database: Database,
    user: User,
    project_id: str,
    content: bytes,
    format: str = "csv",
) -> dict[str, Any]:
    """A real run, carried out by the job: the finished run."""
    run = expect(await upload(client, user, project_id, content, dry_run=False, format=format), 202)
    assert run["status"] == "queued"
    await run_jobs(settings, database)
    return expect(await client.get(f"/api/v1/imports/{run['id']}", headers=user.headers), 200)


async def export(
    client: httpx.AsyncClient, user: User, project_id: str, **params: str
) -> list[dict[str, str]]:
    r = await client.get(
        f"/api/v1/projects/{project_id}/export.csv", params=params, headers=user.headers
    )
    assert r.status_code == 200, r.text
    return list(csv.DictReader(io.StringIO(r.text)))


async def all_tasks(client: httpx.AsyncClient, user: User, project_id: str) -> list[dict[str, Any]]:
    body = expect(
        await client.get(
            f"/api/v1/projects/{project_id}/tasks", params={"limit": 200}, headers=user.headers
        ),
        200,
    )
    return list(body["items"])
