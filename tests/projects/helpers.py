"""Helpers for the project tests: more users on a board, reading rows the API does not show
(events, tasks in the trash) straight from the database, and storing many rows at once."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from tasklane.models import Event, Label, Project, Status, Task
from tasklane.models.base import Base
from tests.factories import Board, User, add_member, expect, make_user

_STATEMENTS = re.compile(r'desc="(\d+) statements"')


async def join(
    client: httpx.AsyncClient,
    board: Board,
    workspace_role: str = "member",
    project_role: str | None = None,
) -> User:
    """A new user in the board's workspace, with an explicit role in its project if given."""
    user = await make_user(client)
    await add_member(client, board.owner, board.workspace["id"], user, workspace_role)
    if project_role is not None:
        expect(
            await client.post(
                f"/api/v1/projects/{board.pid}/members",
                json={"user_id": user.id, "role": project_role},
                headers=board.owner.headers,
            ),
            201,
        )
    return user


async def recorded(app: FastAPI, type: str, entity_id: str | None = None) -> list[Event]:
    """Events of one type, oldest first, optionally about one entity."""
    stmt = select(Event).where(Event.type == type).order_by(Event.seq)
    if entity_id is not None:
        stmt = stmt.where(Event.entity_id == UUID(entity_id))
    async with app.state.runtime.db.transaction(write=False) as session:
        return list((await session.scalars(stmt)).all())


async def event_count(app: FastAPI) -> int:
    async with app.state.runtime.db.transaction(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(Event)) or 0)


def assert_scoped(event: Event, board: Board, entity_id: str) -> None:
    """The event names the workspace, the project and the entity it is about."""
    assert str(event.workspace_id) == board.workspace["id"]
    assert str(event.project_id) == board.pid
    assert str(event.entity_id) == entity_id


async def task_row(app: FastAPI, task_id: str) -> Task | None:
    """A task as stored, trashed or not."""
    async with app.state.runtime.db.transaction(write=False) as session:
        return await session.get(Task, UUID(task_id))


async def project_row(app: FastAPI, project_id: str) -> Project | None:
    async with app.state.runtime.db.transaction(write=False) as session:
        return await session.get(Project, UUID(project_id))


async def status_count(app: FastAPI, project_id: str) -> int:
    async with app.state.runtime.db.transaction(write=False) as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(Status)
                .where(Status.project_id == UUID(project_id))
            )
            or 0
        )


async def store(app: FastAPI, rows: list[Base]) -> None:
    """Insert rows in one transaction: for volumes (limits) the API would take long to build."""
    async with app.state.runtime.db.transaction() as session:
        session.add_all(rows)


async def fill_workflow(app: FastAPI, project_id: str, total: int) -> None:
    """Add statuses after the default five until the project has `total`."""
    have = await status_count(app, project_id)
    await store(
        app,
        [
            Status(project_id=UUID(project_id), name=f"Step {i}", category="started", position=i)
            for i in range(have, total)
        ],
    )


async def fill_labels(app: FastAPI, project_id: str, total: int) -> None:
    """Add labels until the project has `total` (it has none to start with)."""
    await store(
        app,
        [
            Label(project_id=UUID(project_id), name=f"seed {i}", color="#000000")
            for i in range(total)
        ],
    )


async def label_count(app: FastAPI, project_id: str) -> int:
    async with app.state.runtime.db.transaction(write=False) as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(Label).where(Label.project_id == UUID(project_id))
            )
            or 0
        )


def statements(response: httpx.Response) -> int:
    """SQL statements the request ran, from the Server-Timing header."""
    match = _STATEMENTS.search(response.headers["server-timing"])
    assert match is not None, response.headers["server-timing"]
    return int(match.group(1))


def problem(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert a problem response with `status` (and `code`), and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    if code is not None:
        assert body["code"] == code, body
    return body


def fields(response: httpx.Response) -> list[str]:
    """The fields a 422 names."""
    body = problem(response, 422)
    return [e["field"] for e in body["errors"]]
