from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tasklane.models import Event, TaskWatcher
from tests.factories import Board, expect, make_task, make_user


@pytest.fixture
async def task(client: httpx.AsyncClient, board: Board) -> dict[str, Any]:
    return await make_task(client, board.owner, board.pid, title="Discuss me")


async def _comment(
    client: httpx.AsyncClient, board: Board, task: dict[str, Any], body: str = "Hello"
) -> dict[str, Any]:
    return expect(
        await client.post(
            f"/api/v1/tasks/{task['key']}/comments",
            json={"body": body},
            headers=board.member.headers,
        ),
        201,
    )


class TestCreate:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient, task: dict[str, Any]) -> None:
        r = await client.post(f"/api/v1/tasks/{task['id']}/comments", json={"body": "x"})
        assert r.status_code == 401

    async def test_outsider_is_404(self, client: httpx.AsyncClient, task: dict[str, Any]) -> None:
        outsider = await make_user(client)
        r = await client.post(
            f"/api/v1/tasks/{task['id']}/comments", json={"body": "x"}, headers=outsider.headers
        )
        assert r.status_code == 404

    async def test_member_comments_by_key_and_watches(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board, task: dict[str, Any]
    ) -> None:
        comment = await _comment(client, board, task, body="<script>alert(1)</script> **hi**")
        assert comment["body"] == "<script>alert(1)</script> **hi**"
        assert comment["author"] == {"id": board.member.id, "name": board.member.name}
        assert comment["edited_at"] is None
        async with app.state.runtime.db.transaction(write=False) as s:
            watchers = set(
                (
                    await s.scalars(
                        select(TaskWatcher.user_id).where(TaskWatcher.task_id == UUID(task["id"]))
                    )
                ).all()
            )
            types = list(
                (
                    await s.scalars(
                        select(Event.type).where(Event.entity_id == UUID(comment["id"]))
                    )
                ).all()
            )
        assert UUID(board.member.id) in watchers
        assert types == ["comment.created"]

    async def test_blank_body_is_422(
        self, client: httpx.AsyncClient, board: Board, task: dict[str, Any]
    ) -> None:
        for body in ({"body": "   "}, {"body": ""}, {}, {"body": "x" * 20_001}):
            r = await client.post(
                f"/api/v1/tasks/{task['id']}/comments", json=body, headers=board.member.headers
            )
            assert r.status_code == 422, body
            assert r.json()["errors"][0]["field"] == "body"


class TestList:
    async def test_oldest_first_and_paginated(
        self, client: httpx.AsyncClient, board: Board, task: dict[str, Any]
    ) -> None:
        bodies = [f"c{i}" for i in range(5)]
        for body in bodies:
            await _comment(client, board, task, body)
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 2}
            if cursor:
                params["cursor"] = cursor
            page = expect(
                await client.get(
                    f"/api/v1/tasks/{task['id']}/comments",
                    params=params,
                    headers=board.owner.headers,
                ),
                200,
            )
            seen += [c["body"] for c in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert seen == bodies


class TestEditAndDelete:
    async def test_author_edits(
        self, client: httpx.AsyncClient, board: Board, task: dict[str, Any]
    ) -> None:
        comment = await _comment(client, board, task)
        edited = expect(
            await client.patch(
                f"/api/v1/comments/{comment['id']}",
                json={"body": "Better"},
                headers=board.member.headers,
            ),
            200,
        )
        assert edited["body"] == "Better"
        assert edited["edited_at"] is not None
        history = expect(
            await client.get(f"/api/v1/tasks/{task['id']}/activity", headers=board.owner.headers),
            200,
        )
        assert history["items"][-1]["type"] == "comment.updated"
        assert history["items"][-1]["changes"]["body"] == {"from": "Hello", "to": "Better"}

    async def test_other_member_is_403(
        self, client: httpx.AsyncClient, board: Board, task: dict[str, Any]
    ) -> None:
        comment = await _comment(client, board, task)
        other = await make_user(client)
        expect(
            await client.post(
                f"/api/v1/workspaces/{board.workspace['id']}/members",
                json={"email": other.email, "role": "member"},
                headers=board.owner.headers,
            ),
            201,
        )
        for method in ("PATCH", "DELETE"):
            r = await client.request(
                method,
                f"/api/v1/comments/{comment['id']}",
                json={"body": "mine now"},
                headers=other.headers,
            )
            assert r.status_code == 403, method
        unchanged = expect(
            await client.get(f"/api/v1/comments/{comment['id']}", headers=other.headers), 200
        )
        assert unchanged["body"] == "Hello"

    async def test_admin_deletes_then_404(
        self, client: httpx.AsyncClient, board: Board, task: dict[str, Any]
    ) -> None:
        comment = await _comment(client, board, task)
        r = await client.delete(f"/api/v1/comments/{comment['id']}", headers=board.owner.headers)
        assert r.status_code == 204
        r = await client.get(f"/api/v1/comments/{comment['id']}", headers=board.member.headers)
        assert r.status_code == 404
