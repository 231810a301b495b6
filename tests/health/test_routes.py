"""/healthz and /readyz in process. Real read-only and full databases are provoked in
tests/faults/ (test_storage.py, test_postgres_restart.py); here, what can be made cheaply."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from tasklane import db as db_module
from tasklane.db import STORAGE_FAILURE_MEMORY
from tasklane.kit.clock import frozen, utcnow
from tests.factories import Board, make_task


async def ready(client: httpx.AsyncClient) -> tuple[int, str, str]:
    r = await client.get("/readyz")
    body = r.json()
    return r.status_code, body["status"], body["checks"]["database"]


async def test_healthz(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz")
    assert (r.status_code, r.json()) == (200, {"status": "ok"})


class TestReadyz:
    async def test_ready_when_the_database_takes_writes(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/readyz")
        assert (r.status_code, r.json()) == (200, {"status": "ok", "checks": {"database": "ok"}})

    async def test_a_write_that_failed_for_storage_is_reported_until_one_succeeds(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        # What the 503 handler tells the database when a write fails with a full disk or an
        # I/O error (tests/faults/test_storage.py provokes one).
        await app.state.runtime.db.write_refused("database_storage_failed")
        assert await ready(client) == (503, "unavailable", "storage-failed")
        await client.get(f"/api/v1/projects/{board.pid}/tasks", headers=board.member.headers)
        assert await ready(client) == (503, "unavailable", "storage-failed"), "a read is no proof"
        await make_task(client, board.member, board.pid)
        assert await ready(client) == (200, "ok", "ok")

    async def test_a_storage_failure_is_forgotten_after_a_while(
        self, client: httpx.AsyncClient, app: FastAPI
    ) -> None:
        await app.state.runtime.db.write_refused("database_storage_failed")
        with frozen(utcnow() + STORAGE_FAILURE_MEMORY - timedelta(seconds=1)):
            assert await ready(client) == (503, "unavailable", "storage-failed")
        with frozen(utcnow() + STORAGE_FAILURE_MEMORY + timedelta(seconds=1)):
            assert await ready(client) == (200, "ok", "ok")

    @pytest.mark.parametrize("backend", ["sqlite"])
    async def test_an_almost_full_disk_under_sqlite_is_reported(
        self, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A real full disk needs a file system of its own; asking for more free space than
        any disk has is the same answer to the check."""
        monkeypatch.setattr(db_module, "MIN_FREE_BYTES", 2**62)
        assert await ready(client) == (503, "unavailable", "disk-full")
