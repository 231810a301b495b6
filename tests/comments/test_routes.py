"""The comments API, through HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tasklane.models import Event, TaskWatcher
from tests.factories import (
    Board,
    User,
    add_member,
    expect,
    make_project,
    make_task,
    make_user,
    make_workspace,
)

JSON = dict[str, Any]
HTML = "<script>alert(1)</script> <img src=x onerror=alert(2)> **bold**"


# --- helpers -------------------------------------------------------------------------------


@pytest.fixture
async def task(client: httpx.AsyncClient, board: Board) -> JSON:
    return await make_task(client, board.owner, board.pid, title="Discuss me")


async def _comment(client: httpx.AsyncClient, user: User, ref: str, body: str = "Hello") -> JSON:
    response = await client.post(
        f"/api/v1/tasks/{ref}/comments", json={"body": body}, headers=user.headers
    )
    return dict(expect(response, 201))


async def _member(client: httpx.AsyncClient, board: Board, role: str = "member") -> User:
    """A new user with this workspace role in the board's workspace."""
    user = await make_user(client)
    await add_member(client, board.owner, board.workspace["id"], user, role=role)
    return user


async def _viewer(client: httpx.AsyncClient, board: Board) -> User:
    """A workspace member who is only a viewer of the board's project."""
    user = await _member(client, board)
    expect(
        await client.post(
            f"/api/v1/projects/{board.pid}/members",
            json={"user_id": user.id, "role": "viewer"},
            headers=board.owner.headers,
        ),
        201,
    )
    return user


async def _outsider(client: httpx.AsyncClient) -> User:
    """A user with a workspace, project and task of their own, none of them the board's."""
    user = await make_user(client)
    workspace = await make_workspace(client, user, name="Elsewhere")
    project = await make_project(client, user, workspace["id"], key="ENG")
    await make_task(client, user, project["id"])
    return user


async def _archive(client: httpx.AsyncClient, board: Board) -> None:
    expect(
        await client.patch(
            f"/api/v1/projects/{board.pid}",
            json={"archived": True},
            headers=board.owner.headers,
        ),
        200,
    )


async def _events(app: FastAPI, entity_id: str) -> list[Event]:
    async with app.state.runtime.db.transaction(write=False) as s:
        stmt = select(Event).where(Event.entity_id == UUID(entity_id)).order_by(Event.seq)
        return list((await s.scalars(stmt)).all())


async def _watchers(app: FastAPI, task_id: str) -> list[UUID]:
    async with app.state.runtime.db.transaction(write=False) as s:
        stmt = select(TaskWatcher.user_id).where(TaskWatcher.task_id == UUID(task_id))
        return list((await s.scalars(stmt)).all())


def _assert_event(
    event: Event, type: str, *, board: Board, task: JSON, comment_id: str, actor: User
) -> None:
    assert event.type == type
    assert event.workspace_id == UUID(board.workspace["id"])
    assert event.project_id == UUID(board.pid)
    assert event.task_id == UUID(task["id"])
    assert event.entity_id == UUID(comment_id)
    assert event.actor_id == UUID(actor.id)


def _statements(response: httpx.Response) -> int:
    match = re.search(r'desc="(\d+) statements"', response.headers["Server-Timing"])
    assert match is not None, response.headers["Server-Timing"]
    return int(match.group(1))


async def _list(client: httpx.AsyncClient, user: User, ref: str, **params: Any) -> JSON:
    url = f"/api/v1/tasks/{ref}/comments"
    response = await client.get(url, params=params, headers=user.headers)
    return dict(expect(response, 200))


# --- POST /tasks/{task_ref}/comments -------------------------------------------------------


class TestCreate:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient, task: JSON) -> None:
        r = await client.post(f"/api/v1/tasks/{task['id']}/comments", json={"body": "x"})
        assert r.status_code == 401

    async def test_outsider_is_404(self, client: httpx.AsyncClient, task: JSON) -> None:
        outsider = await _outsider(client)
        r = await client.post(
            f"/api/v1/tasks/{task['id']}/comments", json={"body": "x"}, headers=outsider.headers
        )
        assert r.status_code == 404

    async def test_outsider_with_own_eng_1_comments_on_their_own_task(
        self, client: httpx.AsyncClient, task: JSON
    ) -> None:
        outsider = await _outsider(client)
        comment = await _comment(client, outsider, "ENG-1")
        assert comment["task_id"] != task["id"]

    async def test_guest_without_project_role_is_404(
        self, client: httpx.AsyncClient, board: Board, task: JSON
    ) -> None:
        guest = await _member(client, board, role="guest")
        r = await client.post(
            f"/api/v1/tasks/{task['id']}/comments", json={"body": "x"}, headers=guest.headers
        )
        assert r.status_code == 404

    async def test_unknown_task_is_404(self, client: httpx.AsyncClient, board: Board) -> None:
        for ref in ("ENG-999", "00000000-0000-7000-8000-000000000000", "not-a-key"):
            r = await client.post(
                f"/api/v1/tasks/{ref}/comments", json={"body": "x"}, headers=board.member.headers
            )
            assert r.status_code == 404, ref

    async def test_viewer_is_403(self, client: httpx.AsyncClient, board: Board, task: JSON) -> None:
        viewer = await _viewer(client, board)
        r = await client.post(
            f"/api/v1/tasks/{task['id']}/comments", json={"body": "x"}, headers=viewer.headers
        )
        assert r.status_code == 403
        assert r.json()["code"] == "permission_denied"

    async def test_member_comments_by_key(
        self, client: httpx.AsyncClient, board: Board, task: JSON
    ) -> None:
        assert task["key"] == "ENG-1"
        comment = await _comment(client, board.member, "ENG-1", "Hello")
        assert comment["task_id"] == task["id"]
        assert comment["author_id"] == board.member.id
        assert comment["author"] == {"id": board.member.id, "name": board.member.name}
        assert comment["body"] == "Hello"
        assert comment["edited_at"] is None
        assert comment["created_at"] == comment["updated_at"]

    async def test_member_comments_by_id(
        self, client: httpx.AsyncClient, board: Board, task: JSON
    ) -> None:
        comment = await _comment(client, board.member, task["id"])
        assert comment["task_id"] == task["id"]

    async def test_key_is_case_insensitive(
        self, client: httpx.AsyncClient, board: Board, task: JSON
    ) -> None:
        comment = await _comment(client, board.member, "eng-1")
        assert comment["task_id"] == task["id"]

    @pytest.mark.parametrize(
        "payload",
        [
            pytest.param({}, id="missing"),
            pytest.param({"body": ""}, id="empty"),
            pytest.param({"body": " \n\t "}, id="whitespace"),
            pytest.param({"body": "x" * 20_001}, id="too-long"),
            pytest.param({"body": None}, id="null"),
            pytest.param({"body": 42}, id="not-text"),
        ],
    )
    async def test_invalid_body_is_422(
        self, client: httpx.AsyncClient, board: Board, task: JSON, payload: JSON
    ) -> None:
        r = await client.post(
            f"/api/v1/tasks/{task['id']}/comments", json=payload, headers=board.member.headers
        )
        assert r.status_code == 422
        assert r.json()["code"] == "validation_failed"
        assert [e["field"] for e in r.json()["errors"]] == ["body"]

    async def test_unknown_field_is_422(
        self, client: httpx.AsyncClient, board: Board, task: JSON
    ) -> None:
        r = await client.post(
            f"/api/v1/tasks/{task['id']}/comments",
            json={"body": "x", "author_id": board.owner.id},
            headers=board.member.headers,
        )
        assert r.status_code == 422

    async def test_longest_body_is_accepted(
        self, client: httpx.AsyncClient, board: Board, task: JSON
    ) -> None:
        comment = await _comment(client, board.member, task["id"], "x" * 20_000)
        assert len(comment["body"]) == 20_000

    async def test_html_is_stored_and_returned_verbatim(
        self, client: httpx.AsyncClient, board: Board, task: JSON
    ) -> None:
        comment = await _comment(client, board.member, task["id"], HTML)
        assert comment["body"] == HTML
        fetched = expect(
            await client.get(f"/api/v1/comments/{comment['id']}", headers=board.owner.headers),
            200,
        )
        assert fetched["body"] == HTML
        assert (await _list(client, board.owner, task["id"]))["items"][0]["body"] == HTML

    async def test_author_watches_the_task(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board, task: JSON
    ) -> None:
        assert UUID(board.member.id) not in await _watchers(app, task["id"])
        await _comment(client, board.member, task["id"])
        assert UUID(board.member.id) in await _watchers(app, task["id"])

    async def test_commenting_again_keeps_one_watch(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board, task: JSON
    ) -> None:
        await _comment(client, board.member, task["id"], "one")
        await _comment(client, board.member, task["key"], "two")
        watchers = await _watchers(app, task["id"])
        assert watchers.count(UUID(board.member.id)) == 1

    async def test_records_comment_created(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board, task: JSON
    ) -> None:
        comment = await _comment(client, board.member, task["id"], "Hello")
        [event] = await _events(app, comment["id"])
        _assert_event(
            event,
            "comment.created",
            board=board,
            task=task,
            comment_id=comment["id"],
            actor=board.member,
        )
        assert event.data["changes"] == {"body": {"from": None, "to": "Hello"}}

    async def test_archived_project_is_409(
        self, client: httpx.AsyncClient, board: Board, task: JSON
    ) -> None:
        await _archive(client, board)
        r = await client.post(
            f"/api/v1/tasks/{task['id']}/comments", json={"body": "x"}, headers=board.member.headers
        )
        assert r.status_code == 409
        assert r.json()["code"] == "project_archived"

    async def test_trashed_task_is_404(
        self, client: httpx.AsyncClient, board: Board, task: JSON
    ) -> None:
        expect(
            await client.delete(
                f"/api/v1/tasks/{task['id']}",
                headers={**board.owner.headers, "If-Match": f'"{task["version"]}"'},
            ),
            204,
        )
        r = await client.post(
            f"/api/v1/tasks/{task['id']}/comments", json={"body": "x"}, headers=board.member.headers
        )
        assert r.status_code == 404

    async def test_idempotency_key_replays_the_first_comment(
        self, client: httpx.AsyncClient, board: Board, task: JSON
    ) -> None:
        headers = {**board.member.headers, "Idempotency-Key": "comment-1"}
        url = f"/api/v1/tasks/{task['id']}/comments"
        first = expect(await client.post(url, json={"body": "once"}, headers=headers), 201)
        again = await client.post(url, json={"body": "once"}, headers=headers)
        assert again.status_code == 201
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["id"] == first["id"]
        assert len((await _list(client, board.member, task["id"]))["items"]) == 1


# --- GET /tasks/{task_ref}/comments --------------------------------------------------------


class TestList:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient, task: JSON) -> None:
        r = await client.get(f"/api/v1/tasks/{task['id']}/comments")
        assert r.status_code == 401

    async def test_outsider_is_404(self, client: httpx.AsyncClient, task: JSON) -> None:
        outsider = await _outsider(client)
        r = await client.get(f"/api/v1/tasks/{task['id']}/comments", headers=outsider.headers)
        assert r.status_code == 404

    async def test_empty(self, client: httpx.AsyncClient, board: Board, task: JSON) -> None:
        assert await _list(client, board.member, task["id"]) == {"items": [], "next_cursor": None}

    async def test_oldest_first(self, client: httpx.AsyncClient, board: Board, task: JSON) -> None:
        bodies = ["first", "second", "third"]
        for i, body in enumerate(bodies):
            await _comment(client, board.member if i % 2 else board.owner, task["id"], body)
        page = await _list(client, board.member, task["id"])
        assert [c["body"] for c in page["items"]] == bodies
        assert page["next_cursor"] is None

    async def test_pages_follow_the_cursor(
        self, client: httpx.AsyncClient, board: Board, task: JSON
    ) -> None:
        bodies = [f"c{i}" for i in range(5)]
        for body in bodies:
            await _comment(client, board.member, task["id"], body)
        pages: list[list[str]] = []
        cursor = None
        while True:
            params: JSON = {"limit": 2} if cursor is None else {"limit": 2, "cursor": cursor}
            page = await _list(client, board.owner, task["id"], **params)
            pages.append([c["body"] for c in page["items"]])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages == [["c0", "c1"], ["c2", "c3"], ["c4"]]

    async def test_by_key_and_by_id_agree(
        self, client: httpx.AsyncClient, board: Board, task: JSON
    ) -> None:
        await _comment(client, board.member, task["id"])
        assert await _list(client, board.member, "ENG-1") == await _list(
            client, board.member, task["id"]
        )

    async def test_other_tasks_comments_are_left_out(
        self, client: httpx.AsyncClient, board: Board, task: JSON
    ) -> None:
        other = await make_task(client, board.owner, board.pid, title="Other")
        await _comment(client, board.member, task["id"], "here")
        await _comment(client, board.member, other["id"], "there")
        assert [c["body"] for c in (await _list(client, board.member, task["id"]))["items"]] == [
            "here"
        ]

    async def test_viewer_reads(self, client: httpx.AsyncClient, board: Board, task: JSON) -> None:
        await _comment(client, board.member, task["id"])
        viewer = await _viewer(client, board)
        assert len((await _list(client, viewer, task["id"]))["items"]) == 1

    async def test_invalid_cursor_is_422(
        self, client: httpx.AsyncClient, board: Board, task: JSON
    ) -> None:
        for cursor in ("garbage!", "WyJ4Il0", "WyJ4IiwieSJd"):  # junk, ["x"], ["x","y"]
            r = await client.get(
                f"/api/v1/tasks/{task['id']}/comments",
                params={"cursor": cursor},
                headers=board.member.headers,
            )
            assert r.status_code == 422, cursor
            assert r.json()["errors"][0]["field"] == "cursor"

    async def test_authors_load_in_one_query(
        self, client: httpx.AsyncClient, board: Board, task: JSON
    ) -> None:
        await _comment(client, board.member, task["id"])
        url = f"/api/v1/tasks/{task['id']}/comments"
        one_author = _statements(await client.get(url, headers=board.owner.headers))
        for _ in range(3):
            await _comment(client, await _member(client, board), task["id"])
        response = await client.get(url, headers=board.owner.headers)
        authors = {c["author"]["id"] for c in response.json()["items"]}
        assert len(authors) == 4
        assert _statements(response) == one_author


# --- GET /comments/{comment_id} ------------------------------------------------------------


class TestGet:
    async def test_anonymous_is_401(
        self, client: httpx.AsyncClient, board: Board, task: JSON
    ) -> None:
        comment = await _comment(client, board.member, task["id"])
        r = await client.get(f"/api/v1/comments/{comment['id']}")
        assert r.status_code == 401

    async def test_outsider_is_404(
        self, client: httpx.AsyncClient, board: Board, task: JSON
    ) -> None:
        comment = await _comment(client, board.member, task["id"])
        outsider = await _outsider(client)
        r = await client.get(f"/api/v1/comments/{comment['id']}", headers=outsider.headers)
        assert r.status_code == 404

    async def test_member_reads(self, client: httpx.AsyncClient, board: Board, task: JSON) -> None:
        comment = await _comment(client, board.member, task["id"])
        fetched = expect(
            await client.get(f"/api/v1/comments/{comment['id']}", headers=board.owner.headers),
            200,
        )
        assert fetched == comment

    async def test_viewer_reads(self, client: httpx.AsyncClient, board: Board, task: JSON) -> None:
        comment = await _comment(client, board.member, task["id"])
        viewer = await _viewer(client, board)
        r = await client.get(f"/api/v1/comments/{comment['id']}", headers=viewer.headers)
        assert r.status_code == 200

    async def test_unknown_is_404(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.get(
            "/api/v1/comments/00000000-0000-7000-8000-000000000000", headers=board.member.headers
        )
        assert r.status_code == 404

    async def test_not_a_uuid_is_422(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.get("/api/v1/comments/ENG-1", headers=board.member.headers)
        assert r.status_code == 422


# --- PATCH /comments/{comment_id} ----------------------------------------------------------


class TestUpdate:
    @staticmethod
    async def _patch(
        client: httpx.AsyncClient, user: User | None, comment: JSON, body: Any = "Better"
    ) -> httpx.Response:
        return await client.patch(
            f"/api/v1/comments/{comment['id']}",
            json={"body": body},
            headers=user.headers if user else {},
        )

    async def test_anonymous_is_401(
        self, client: httpx.AsyncClient, board: Board, task: JSON
    ) -> None:
        comment = await _comment(client, board.member, task["id"])
        assert (await self._patch(client, None, comment)).status_code == 401

    async def test_outsider_is_404(
        self, client: httpx.AsyncClient, board: Board, task: JSON
    ) -> None:
        comment = await _comment(client, board.member, task["id"])
        assert (await self._patch(client, await _outsider(client), comment)).status_code == 404

    async def test_author_edits(self, client: httpx.AsyncClient, board: Board, task: JSON) -> None:
        comment = await _comment(client, board.member, task["id"], "Hello")
        edited = expect(await self._patch(client, board.member, comment, "Better"), 200)
        assert edited["body"] == "Better"
        assert edited["edited_at"] is not None
        assert edited["edited_at"] >= comment["created_at"]
        assert edited["created_at"] == comment["created_at"]
        assert edited["author_id"] == board.member.id
        fetched = expect(
            await client.get(f"/api/v1/comments/{comment['id']}", headers=board.owner.headers),
            200,
        )
        assert fetched == edited

    async def test_records_comment_updated(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board, task: JSON
    ) -> None:
        comment = await _comment(client, board.member, task["id"], "Hello")
        expect(await self._patch(client, board.member, comment, "Better"), 200)
        created, updated = await _events(app, comment["id"])
        assert created.type == "comment.created"
        _assert_event(
            updated,
            "comment.updated",
            board=board,
            task=task,
            comment_id=comment["id"],
            actor=board.member,
        )
        assert updated.data["changes"] == {"body": {"from": "Hello", "to": "Better"}}

    async def test_same_body_changes_nothing(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board, task: JSON
    ) -> None:
        comment = await _comment(client, board.member, task["id"], "Hello")
        same = expect(await self._patch(client, board.member, comment, "Hello"), 200)
        assert same == comment
        assert [e.type for e in await _events(app, comment["id"])] == ["comment.created"]

    async def test_other_member_is_403(
        self, client: httpx.AsyncClient, board: Board, task: JSON
    ) -> None:
        comment = await _comment(client, board.member, task["id"], "Hello")
        other = await _member(client, board)
        r = await self._patch(client, other, comment, "mine now")
        assert r.status_code == 403
        fetched = expect(
            await client.get(f"/api/v1/comments/{comment['id']}", headers=other.headers), 200
        )
        assert fetched["body"] == "Hello"

    async def test_viewer_is_403(self, client: httpx.AsyncClient, board: Board, task: JSON) -> None:
        comment = await _comment(client, board.member, task["id"])
        r = await self._patch(client, await _viewer(client, board), comment)
        assert r.status_code == 403

    async def test_workspace_admin_edits_as_project_admin(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board, task: JSON
    ) -> None:
        comment = await _comment(client, board.member, task["id"], "Hello")
        admin = await _member(client, board, role="admin")
        edited = expect(await self._patch(client, admin, comment, "Moderated"), 200)
        assert edited["body"] == "Moderated"
        assert edited["author_id"] == board.member.id
        assert (await _events(app, comment["id"]))[-1].actor_id == UUID(admin.id)

    async def test_author_demoted_to_viewer_is_403(
        self, client: httpx.AsyncClient, board: Board, task: JSON
    ) -> None:
        comment = await _comment(client, board.member, task["id"])
        expect(
            await client.post(
                f"/api/v1/projects/{board.pid}/members",
                json={"user_id": board.member.id, "role": "viewer"},
                headers=board.owner.headers,
            ),
            201,
        )
        assert (await self._patch(client, board.member, comment)).status_code == 403

    async def test_blank_body_is_422(
        self, client: httpx.AsyncClient, board: Board, task: JSON
    ) -> None:
        comment = await _comment(client, board.member, task["id"])
        for body in ("", "   ", "x" * 20_001):
            r = await self._patch(client, board.member, comment, body)
            assert r.status_code == 422
            assert [e["field"] for e in r.json()["errors"]] == ["body"]

    async def test_archived_project_is_409(
        self, client: httpx.AsyncClient, board: Board, task: JSON
    ) -> None:
        comment = await _comment(client, board.member, task["id"])
        await _archive(client, board)
        r = await self._patch(client, board.member, comment)
        assert r.status_code == 409
        assert r.json()["code"] == "project_archived"


# --- DELETE /comments/{comment_id} ---------------------------------------------------------


class TestDelete:
    @staticmethod
    async def _delete(client: httpx.AsyncClient, user: User | None, comment: JSON) -> int:
        r = await client.delete(
            f"/api/v1/comments/{comment['id']}", headers=user.headers if user else {}
        )
        return r.status_code

    async def test_anonymous_is_401(
        self, client: httpx.AsyncClient, board: Board, task: JSON
    ) -> None:
        comment = await _comment(client, board.member, task["id"])
        assert await self._delete(client, None, comment) == 401

    async def test_outsider_is_404(
        self, client: httpx.AsyncClient, board: Board, task: JSON
    ) -> None:
        comment = await _comment(client, board.member, task["id"])
        assert await self._delete(client, await _outsider(client), comment) == 404

    async def test_author_deletes_then_get_is_404(
        self, client: httpx.AsyncClient, board: Board, task: JSON
    ) -> None:
        comment = await _comment(client, board.member, task["id"])
        assert await self._delete(client, board.member, comment) == 204
        r = await client.get(f"/api/v1/comments/{comment['id']}", headers=board.member.headers)
        assert r.status_code == 404
        assert (await _list(client, board.member, task["id"]))["items"] == []

    async def test_twice_is_404(self, client: httpx.AsyncClient, board: Board, task: JSON) -> None:
        comment = await _comment(client, board.member, task["id"])
        assert await self._delete(client, board.member, comment) == 204
        assert await self._delete(client, board.member, comment) == 404

    async def test_other_member_is_403(
        self, client: httpx.AsyncClient, board: Board, task: JSON
    ) -> None:
        comment = await _comment(client, board.member, task["id"])
        assert await self._delete(client, await _member(client, board), comment) == 403
        assert len((await _list(client, board.member, task["id"]))["items"]) == 1

    async def test_workspace_admin_deletes_as_project_admin(
        self, client: httpx.AsyncClient, board: Board, task: JSON
    ) -> None:
        comment = await _comment(client, board.member, task["id"])
        admin = await _member(client, board, role="admin")
        assert await self._delete(client, admin, comment) == 204
        r = await client.get(f"/api/v1/comments/{comment['id']}", headers=board.member.headers)
        assert r.status_code == 404

    async def test_records_comment_deleted(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board, task: JSON
    ) -> None:
        comment = await _comment(client, board.member, task["id"], "Bye")
        assert await self._delete(client, board.owner, comment) == 204
        created, deleted = await _events(app, comment["id"])
        assert created.type == "comment.created"
        _assert_event(
            deleted,
            "comment.deleted",
            board=board,
            task=task,
            comment_id=comment["id"],
            actor=board.owner,
        )
        # That it was deleted, by whom and when; not what it said (nor does the creation).
        assert deleted.data["changes"] == {"body": {"from": None, "to": None}}
        assert created.data["changes"] == {"body": {"from": None, "to": None}}

    async def test_archived_project_is_409(
        self, client: httpx.AsyncClient, board: Board, task: JSON
    ) -> None:
        comment = await _comment(client, board.member, task["id"])
        await _archive(client, board)
        assert await self._delete(client, board.member, comment) == 409


# --- concurrency ---------------------------------------------------------------------------


async def test_concurrent_first_comments_by_one_person_all_succeed(
    client: httpx.AsyncClient, app: FastAPI, board: Board, task: JSON
) -> None:
    url = f"/api/v1/tasks/{task['id']}/comments"
    results = await asyncio.gather(
        *[client.post(url, json={"body": f"c{i}"}, headers=board.member.headers) for i in range(8)]
    )
    assert [r.status_code for r in results] == [201] * 8
    assert (await _watchers(app, task["id"])).count(UUID(board.member.id)) == 1
