"""Shared pieces of the race tests: a clock that bounds the rounds, and database checks."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from uuid import UUID

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from tasklane.models import Task

ROUNDS = 10
SECONDS = 40.0


async def rounds(body: Callable[[int], Awaitable[None]], *, n: int = ROUNDS) -> int:
    """Run `body(round)` n times, stopping early (after the first round) past SECONDS."""
    started = time.monotonic()
    for i in range(n):
        await body(i)
        if time.monotonic() - started > SECONDS:
            return i + 1
    return n


def no_server_errors(responses: Iterable[httpx.Response]) -> list[int]:
    codes = [r.status_code for r in responses]
    assert all(code < 500 for code in codes), [
        (r.request.method, r.request.url.path, r.status_code, r.text)
        for r in responses
        if r.status_code >= 500
    ]
    return codes


async def column_keys(app: FastAPI, status_id: str | UUID) -> list[tuple[str, UUID]]:
    """(position, id) of the live tasks in a column, in board order."""
    async with app.state.runtime.db.transaction(write=False) as s:
        rows = await s.execute(
            select(Task.position, Task.id)
            .where(Task.status_id == UUID(str(status_id)), Task.deleted_at.is_(None))
            .order_by(Task.position, Task.id)
        )
        return [(str(p), i) for p, i in rows.all()]


async def duplicate_keys(app: FastAPI, project_id: str | UUID) -> list[Any]:
    """(status, position, count) for every ordering key used twice in one column."""
    async with app.state.runtime.db.transaction(write=False) as s:
        rows = await s.execute(
            select(Task.status_id, Task.position, func.count())
            .where(Task.project_id == UUID(str(project_id)), Task.deleted_at.is_(None))
            .group_by(Task.status_id, Task.position)
            .having(func.count() > 1)
        )
        return [tuple(r) for r in rows.all()]
