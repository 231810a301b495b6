"""Idempotency-Key on creating POSTs: a retry replays the first response instead of acting again."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from tasklane.kit.clock import frozen, utcnow
from tasklane.models import Event, IdempotencyRecord, Workspace
from tests.factories import (
    PASSWORD,
    Board,
    User,
    add_member,
    expect,
    make_board,
    make_task,
    make_user,
    make_workspace,
)

WORKSPACES = "/api/v1/workspaces"


def keyed(user: User, key: str) -> dict[str, str]:
    return {**user.headers, "Idempotency-Key": key}


async def count(app: FastAPI, model: Any) -> int:
    async with app.state.runtime.db.transaction(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def my_workspaces(client: httpx.AsyncClient, user: User) -> list[dict[str, Any]]:
    body = expect(await client.get(WORKSPACES, headers=user.headers), 200)
    return list(body["items"])


class TestReplay:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient) -> None:
        r = await client.post(WORKSPACES, json={"name": "Acme"}, headers={"Idempotency-Key": "k"})
        assert r.status_code == 401
        assert "idempotent-replayed" not in r.headers

    async def test_first_response_is_not_marked(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        r = await client.post(WORKSPACES, json={"name": "Acme"}, headers=keyed(user, "k1"))
        assert r.status_code == 201
        assert "idempotent-replayed" not in r.headers

    async def test_retry_returns_the_same_status_and_body(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        first = await client.post(WORKSPACES, json={"name": "Acme"}, headers=keyed(user, "k1"))
        again = await client.post(WORKSPACES, json={"name": "Acme"}, headers=keyed(user, "k1"))
        assert again.status_code == first.status_code == 201
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert again.headers["content-type"] == "application/json"

    async def test_retry_creates_nothing(self, client: httpx.AsyncClient, app: FastAPI) -> None:
        user = await make_user(client)
        await client.post(WORKSPACES, json={"name": "Acme"}, headers=keyed(user, "k1"))
        events_before = await count(app, Event)
        for _ in range(3):
            await client.post(WORKSPACES, json={"name": "Acme"}, headers=keyed(user, "k1"))
        assert len(await my_workspaces(client, user)) == 1
        assert await count(app, Workspace) == 1
        assert await count(app, Event) == events_before

    async def test_replays_across_sessions_of_one_user(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        first = await client.post(WORKSPACES, json={"name": "Acme"}, headers=keyed(user, "k1"))
        tokens = expect(
            await client.post(
                "/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}
            ),
            200,
        )
        again = await client.post(
            WORKSPACES,
            json={"name": "Acme"},
            headers={"Authorization": f"Bearer {tokens['access_token']}", "Idempotency-Key": "k1"},
        )
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()

    async def test_replays_even_when_a_new_request_would_fail(
        self, client: httpx.AsyncClient
    ) -> None:
        user = await make_user(client)
        body = {"name": "Acme", "slug": "acme"}
        first = await client.post(WORKSPACES, json=body, headers=keyed(user, "k1"))
        again = await client.post(WORKSPACES, json=body, headers=keyed(user, "k1"))
        assert again.status_code == 201
        assert again.json() == first.json()

    async def test_works_for_adding_members(self, client: httpx.AsyncClient) -> None:
        owner, newbie = await make_user(client), await make_user(client)
        ws = await make_workspace(client, owner)
        url = f"{WORKSPACES}/{ws['id']}/members"
        first = await client.post(url, json={"email": newbie.email}, headers=keyed(owner, "m1"))
        again = await client.post(url, json={"email": newbie.email}, headers=keyed(owner, "m1"))
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"

    async def test_without_a_key_each_request_acts(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        for _ in range(2):
            expect(await client.post(WORKSPACES, json={"name": "Acme"}, headers=user.headers), 201)
        assert len(await my_workspaces(client, user)) == 2


class TestKeyReuse:
    async def test_different_body_is_422(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        await client.post(WORKSPACES, json={"name": "Acme"}, headers=keyed(user, "k1"))
        r = await client.post(WORKSPACES, json={"name": "Other"}, headers=keyed(user, "k1"))
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        error = r.json()["errors"][0]
        assert error["field"] == "Idempotency-Key"
        assert error["code"] == "idempotency_key_reused"
        assert len(await my_workspaces(client, user)) == 1

    async def test_different_route_is_422(self, client: httpx.AsyncClient) -> None:
        user, newbie = await make_user(client), await make_user(client)
        ws = await client.post(WORKSPACES, json={"name": "Acme"}, headers=keyed(user, "k1"))
        r = await client.post(
            f"{WORKSPACES}/{ws.json()['id']}/members",
            json={"email": newbie.email},
            headers=keyed(user, "k1"),
        )
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "Idempotency-Key"

    async def test_other_users_use_the_same_key_independently(
        self, client: httpx.AsyncClient
    ) -> None:
        alice, bob = await make_user(client), await make_user(client)
        mine = await client.post(WORKSPACES, json={"name": "Acme"}, headers=keyed(alice, "k1"))
        theirs = await client.post(WORKSPACES, json={"name": "Acme"}, headers=keyed(bob, "k1"))
        assert mine.status_code == theirs.status_code == 201
        assert "idempotent-replayed" not in theirs.headers
        assert theirs.json()["id"] != mine.json()["id"]
        assert [w["id"] for w in await my_workspaces(client, bob)] == [theirs.json()["id"]]

    async def test_other_users_may_send_a_different_body(self, client: httpx.AsyncClient) -> None:
        alice, bob = await make_user(client), await make_user(client)
        await client.post(WORKSPACES, json={"name": "Acme"}, headers=keyed(alice, "k1"))
        r = await client.post(WORKSPACES, json={"name": "Other"}, headers=keyed(bob, "k1"))
        assert r.status_code == 201

    async def test_each_key_acts_once(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        a = await client.post(WORKSPACES, json={"name": "Acme"}, headers=keyed(user, "k1"))
        b = await client.post(WORKSPACES, json={"name": "Acme"}, headers=keyed(user, "k2"))
        assert a.status_code == b.status_code == 201
        assert a.json()["id"] != b.json()["id"]


class TestFailures:
    async def test_a_failed_request_is_not_stored(
        self, client: httpx.AsyncClient, app: FastAPI
    ) -> None:
        user = await make_user(client)
        await make_workspace(client, user, "Acme")
        body = {"name": "Acme", "slug": "acme"}
        failed = await client.post(WORKSPACES, json=body, headers=keyed(user, "k1"))
        assert failed.status_code == 409
        assert await count(app, IdempotencyRecord) == 0
        again = await client.post(WORKSPACES, json=body, headers=keyed(user, "k1"))
        assert again.status_code == 409
        assert "idempotent-replayed" not in again.headers

    async def test_the_key_is_free_after_a_failure(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        await make_workspace(client, user, "Acme")
        failed = await client.post(
            WORKSPACES, json={"name": "Acme", "slug": "acme"}, headers=keyed(user, "k1")
        )
        assert failed.status_code == 409
        fixed = await client.post(
            WORKSPACES, json={"name": "Acme", "slug": "acme-hq"}, headers=keyed(user, "k1")
        )
        assert fixed.status_code == 201
        assert "idempotent-replayed" not in fixed.headers

    async def test_an_invalid_request_is_not_stored(
        self, client: httpx.AsyncClient, app: FastAPI
    ) -> None:
        user = await make_user(client)
        r = await client.post(WORKSPACES, json={"name": ""}, headers=keyed(user, "k1"))
        assert r.status_code == 422
        assert await count(app, IdempotencyRecord) == 0

    async def test_empty_key_is_422(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        r = await client.post(WORKSPACES, json={"name": "Acme"}, headers=keyed(user, ""))
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "Idempotency-Key"

    async def test_too_long_key_is_422(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        r = await client.post(WORKSPACES, json={"name": "Acme"}, headers=keyed(user, "k" * 256))
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "Idempotency-Key"
        assert await my_workspaces(client, user) == []


class TestConcurrency:
    async def test_simultaneous_retries_act_once(
        self, client: httpx.AsyncClient, app: FastAPI
    ) -> None:
        user = await make_user(client)
        results = await asyncio.gather(
            *[
                client.post(WORKSPACES, json={"name": "Acme"}, headers=keyed(user, "k1"))
                for _ in range(4)
            ]
        )
        assert all(r.status_code in {201, 409} for r in results), [r.text for r in results]
        created = {r.json()["id"] for r in results if r.status_code == 201}
        assert len(created) == 1
        assert await count(app, Workspace) == 1
        for r in results:
            if r.status_code == 409:
                assert r.json()["code"] == "idempotency_in_progress"


class TestRetention:
    async def test_a_key_is_forgotten_after_the_retention_period(
        self, client: httpx.AsyncClient
    ) -> None:
        user = await make_user(client)
        with frozen(utcnow() - timedelta(hours=25)):
            first = await client.post(WORKSPACES, json={"name": "Acme"}, headers=keyed(user, "k1"))
        assert first.status_code == 201
        later = await client.post(WORKSPACES, json={"name": "Acme"}, headers=keyed(user, "k1"))
        assert later.status_code == 201
        assert "idempotent-replayed" not in later.headers
        assert later.json()["id"] != first.json()["id"]
        again = await client.post(WORKSPACES, json={"name": "Acme"}, headers=keyed(user, "k1"))
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == later.json()

    async def test_a_key_is_kept_within_the_retention_period(
        self, client: httpx.AsyncClient
    ) -> None:
        user = await make_user(client)
        with frozen(utcnow() - timedelta(hours=23)):
            first = await client.post(WORKSPACES, json={"name": "Acme"}, headers=keyed(user, "k1"))
        again = await client.post(WORKSPACES, json={"name": "Acme"}, headers=keyed(user, "k1"))
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()


class TestReplayIsReauthorised:
    """A replay answers only what the caller may still read: the stored answer is theirs, but
    access to what it describes can have ended since."""

    @staticmethod
    async def _keyed_task(client: httpx.AsyncClient, board: Board, user: User) -> httpx.Response:
        return await client.post(
            f"/api/v1/projects/{board.pid}/tasks",
            json={"title": "Secret plan"},
            headers=keyed(user, "task-1"),
        )

    async def test_removed_from_the_workspace_gets_404(self, client: httpx.AsyncClient) -> None:
        board = await make_board(client)
        first = await self._keyed_task(client, board, board.member)
        assert first.status_code == 201
        again = await self._keyed_task(client, board, board.member)
        assert again.headers["idempotent-replayed"] == "true"  # still a member: replayed
        expect(
            await client.delete(
                f"{WORKSPACES}/{board.workspace['id']}/members/{board.member.id}",
                headers=board.owner.headers,
            ),
            204,
        )
        replay = await self._keyed_task(client, board, board.member)
        assert replay.status_code == 404
        assert "idempotent-replayed" not in replay.headers
        assert "Secret plan" not in replay.text
        assert first.json()["id"] not in replay.text

    async def test_removed_from_the_project_gets_404(self, client: httpx.AsyncClient) -> None:
        board = await make_board(client)
        guest = await make_user(client)
        await add_member(client, board.owner, board.workspace["id"], guest, role="guest")
        project_member = f"/api/v1/projects/{board.pid}/members"
        expect(
            await client.post(
                project_member,
                json={"user_id": guest.id, "role": "member"},
                headers=board.owner.headers,
            ),
            201,
        )
        assert (await self._keyed_task(client, board, guest)).status_code == 201
        expect(
            await client.delete(f"{project_member}/{guest.id}", headers=board.owner.headers), 204
        )
        replay = await self._keyed_task(client, board, guest)
        assert replay.status_code == 404
        assert "Secret plan" not in replay.text

    async def test_a_deleted_resource_is_not_replayed(self, client: httpx.AsyncClient) -> None:
        board = await make_board(client)
        task = await make_task(client, board.owner, board.pid, "Talk")

        async def comment() -> httpx.Response:
            return await client.post(
                f"/api/v1/tasks/{task['key']}/comments",
                json={"body": "regrettable words"},
                headers=keyed(board.member, "c-1"),
            )

        created = expect(await comment(), 201)
        expect(
            await client.delete(f"/api/v1/comments/{created['id']}", headers=board.member.headers),
            204,
        )
        replay = await comment()
        assert replay.status_code == 404
        assert "regrettable words" not in replay.text

    async def test_another_user_with_the_same_key_never_sees_the_first_answer(
        self, client: httpx.AsyncClient
    ) -> None:
        board = await make_board(client)
        mine = expect(await self._keyed_task(client, board, board.owner), 201)
        theirs = await self._keyed_task(client, board, board.member)
        assert theirs.status_code == 201
        assert "idempotent-replayed" not in theirs.headers
        assert theirs.json()["id"] != mine["id"]


def test_every_idempotent_route_says_how_its_replay_is_authorised() -> None:
    from tasklane.api import IDEMPOTENCY_HEADER, replay_check
    from tasklane.openapi import document

    keyed_paths = [
        path
        for path, item in document()["paths"].items()
        for operation in item.values()
        if any(p["name"] == IDEMPOTENCY_HEADER for p in operation.get("parameters", []))
    ]
    assert len(keyed_paths) >= 9
    for path in keyed_paths:
        assert replay_check(path) is not None, path
