"""Notification preferences (notifications.service, delivery) through HTTP: the defaults,
partial changes, validation, and what they do to what arrives: a kind turned off in the app,
a project muted entirely or for what comes from watching."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI

from tasklane.kit.clock import utcnow
from tests.factories import (
    Board,
    User,
    expect,
    make_project,
    make_task,
    make_user,
    make_workspace,
)
from tests.notifications.conftest import Notify
from tests.notifications.helpers import (
    API,
    JSON,
    comment,
    deliver,
    due_soon,
    handle_of,
    inbox,
    join,
    move_task,
    remove_from_project,
    remove_from_workspace,
    stored,
    unread,
    watch,
)

URL = f"{API}/users/me/notification-settings"
DEFAULT_TYPES = {
    "assigned": {"in_app": "immediate", "email": "immediate"},
    "mentioned": {"in_app": "immediate", "email": "immediate"},
    "commented": {"in_app": "immediate", "email": "digest"},
    "status_changed": {"in_app": "immediate", "email": "digest"},
    "due_soon": {"in_app": "immediate", "email": "immediate"},
    "added": {"in_app": "immediate", "email": "immediate"},
    "webhook_disabled": {"in_app": "immediate", "email": "immediate"},
}
OFF = {"in_app": "off", "email": "off"}


async def _get(client: httpx.AsyncClient, user: User) -> JSON:
    return dict(expect(await client.get(URL, headers=user.headers), 200))


async def _put(client: httpx.AsyncClient, user: User, **body: Any) -> httpx.Response:
    return await client.put(URL, json=body, headers=user.headers)


async def _set(client: httpx.AsyncClient, user: User, **body: Any) -> JSON:
    return dict(expect(await _put(client, user, **body), 200))


async def _join_project(
    client: httpx.AsyncClient, board: Board, project_id: str, user: User
) -> None:
    expect(
        await client.post(
            f"{API}/projects/{project_id}/members",
            json={"user_id": user.id, "role": "member"},
            headers=board.owner.headers,
        ),
        201,
    )


def _mute(project_id: str, level: str) -> JSON:
    return {"project_id": project_id, "level": level}


INVALID_BODIES: dict[str, JSON] = {
    "unknown-zone": {"time_zone": "Mars/Olympus_Mons"},
    "hour-24": {"digest_hour": 24},
    "hour-negative": {"digest_hour": -1},
    "unknown-kind": {"types": {"everything": OFF}},
    "in-app-digest": {"types": {"commented": {"in_app": "digest", "email": "off"}}},
    "half-a-channel": {"types": {"commented": {"in_app": "off"}}},
    "unknown-level": {"projects": [{"project_id": str(uuid4()), "level": "some"}]},
    "unknown-field": {"colour": "blue"},
}
"""PUT bodies that are refused whole, by case name."""


class TestGet:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient) -> None:
        assert (await client.get(URL)).status_code == 401

    async def test_the_defaults(self, client: httpx.AsyncClient, board: Board) -> None:
        assert await _get(client, board.member) == {
            "types": DEFAULT_TYPES,
            "digest_hour": 8,
            "time_zone": None,
            "projects": [],
            "email_enabled": False,
        }


class TestPut:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient) -> None:
        assert (await client.put(URL, json={"digest_hour": 9})).status_code == 401

    async def test_only_what_is_sent_changes(self, client: httpx.AsyncClient, board: Board) -> None:
        user = board.member
        first = await _set(client, user, types={"commented": OFF})
        assert first["types"] == {**DEFAULT_TYPES, "commented": OFF}
        assert first["digest_hour"] == 8
        second = await _set(
            client, user, types={"added": {"in_app": "immediate", "email": "digest"}}
        )
        assert second["types"]["commented"] == OFF
        assert second["types"]["added"] == {"in_app": "immediate", "email": "digest"}
        third = await _set(client, user, digest_hour=18)
        assert (third["digest_hour"], third["types"]) == (18, second["types"])
        fourth = await _set(client, user, time_zone="Europe/Berlin")
        assert (fourth["time_zone"], fourth["digest_hour"]) == ("Europe/Berlin", 18)
        me = expect(await client.get(f"{API}/users/me", headers=user.headers), 200)
        assert me["time_zone"] == "Europe/Berlin"
        assert await _set(client, user) == fourth
        assert await _get(client, user) == fourth
        assert (await _get(client, board.owner))["types"] == DEFAULT_TYPES

    async def test_a_null_time_zone_clears_it(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        await _set(client, board.member, time_zone="Asia/Tokyo")
        assert (await _set(client, board.member, time_zone=None))["time_zone"] is None

    async def test_an_invalid_body_is_422_and_changes_nothing(
        self, client: httpx.AsyncClient, board: Board, subtests: pytest.Subtests
    ) -> None:
        before = await _get(client, board.member)
        for case, body in INVALID_BODIES.items():
            with subtests.test(case, body=body):
                response = await _put(client, board.member, **body)
                assert response.status_code == 422, f"{case}: {response.text}"
                assert response.json()["code"] == "validation_failed", case
                assert await _get(client, board.member) == before, case

    async def test_projects_replace_the_whole_list(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        other = await make_project(client, board.owner, board.workspace["id"], key="OPS")
        both = [_mute(board.pid, "all"), _mute(other["id"], "watching")]
        assert sorted(
            (await _set(client, board.member, projects=both))["projects"],
            key=lambda m: m["level"],
        ) == sorted(both, key=lambda m: m["level"])
        one = [_mute(other["id"], "all")]
        assert (await _set(client, board.member, projects=one))["projects"] == one
        assert (await _set(client, board.member, digest_hour=7))["projects"] == one
        assert (await _set(client, board.member, projects=[]))["projects"] == []

    async def test_muting_a_project_you_cannot_see_is_422_and_changes_nothing(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        stranger = await make_user(client)
        elsewhere = await make_workspace(client, stranger, name="Elsewhere")
        hidden = await make_project(client, stranger, elsewhere["id"], key="HID")
        await _set(client, board.member, projects=[_mute(board.pid, "watching")])
        before = await _get(client, board.member)
        for project_id in (hidden["id"], str(uuid4())):
            response = await _put(
                client,
                board.member,
                types={"assigned": OFF},
                digest_hour=3,
                projects=[_mute(board.pid, "all"), _mute(project_id, "all")],
            )
            assert response.status_code == 422, response.text
            assert response.json()["errors"][0]["field"] == "projects.1.project_id"
            assert await _get(client, board.member) == before

    async def test_what_get_lists_can_be_sent_back_after_losing_a_project(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        """`projects` replaces the whole list, so a client sends back the list it read with
        its change: a mute of a project since lost must not make that fail for ever."""
        guest = await join(client, board, workspace_role="guest", project_role="member")
        other = await make_project(client, board.owner, board.workspace["id"], key="OPS")
        await _join_project(client, board, other["id"], guest)
        await _set(client, guest, projects=[_mute(board.pid, "all")])
        await remove_from_project(client, board, guest)
        listed = (await _get(client, guest))["projects"]
        response = await _put(client, guest, projects=[*listed, _mute(other["id"], "watching")])
        assert response.status_code == 200, response.text
        assert _mute(other["id"], "watching") in response.json()["projects"]


class TestInAppOff:
    async def test_a_kind_turned_off_does_not_arrive_and_others_still_do(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        await _set(client, board.owner, types={"commented": OFF})
        task = await make_task(
            client, board.member, board.pid, "Plan", assignee_ids=[board.owner.id]
        )
        await comment(client, board.member, task, "Hello")
        await deliver(notify)
        assert [n["type"] for n in await inbox(client, board.owner)] == ["assigned"]
        assert await unread(client, board.owner) == 1

    async def test_off_in_the_app_but_by_mail_is_in_no_box_either(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI, notify: Notify
    ) -> None:
        """Kept to be e-mailed, a notification turned off in the app is not shown in the app:
        not in the inbox, nor in the archive or among the snoozed."""
        await _set(client, board.owner, types={"commented": {"in_app": "off", "email": "digest"}})
        task = await make_task(client, board.member, board.pid, "Plan")
        await watch(client, board.owner, task)
        await comment(client, board.member, task, "Hello")
        await deliver(notify)
        assert [n.type for n in await stored(app, board.owner)] == ["commented"]  # for the mail
        for box in ("inbox", "archived", "snoozed"):
            assert await inbox(client, board.owner, box=box) == [], box
        assert await unread(client, board.owner) == 0


class TestProjectMutes:
    async def _world(self, client: httpx.AsyncClient, board: Board) -> tuple[JSON, JSON, str]:
        """A second project, a task in each that the owner watches, and the owner's handle."""
        other = await make_project(client, board.owner, board.workspace["id"], key="OPS")
        here = await make_task(client, board.member, board.pid, "Here")
        there = await make_task(client, board.member, other["id"], "There")
        for task in (here, there):
            await watch(client, board.owner, task)
        return here, there, await handle_of(client, board.owner)

    async def _everything(
        self, client: httpx.AsyncClient, board: Board, task: JSON, handle: str
    ) -> None:
        """By the member on `task`: a comment, a status change, a mention, an assignment."""
        await comment(client, board.member, task, "A comment")
        statuses = expect(
            await client.get(
                f"{API}/projects/{task['project_id']}/statuses", headers=board.member.headers
            ),
            200,
        )["items"]
        done = next(s["id"] for s in statuses if s["name"] == "Done")
        await move_task(client, board.member, task, done)
        await comment(client, board.member, task, f"@{handle} a mention")
        expect(
            await client.patch(
                f"{API}/tasks/{task['id']}",
                json={"assignee_ids": [board.owner.id]},
                headers=board.member.headers,
            ),
            200,
        )

    async def test_muting_all_of_a_project_silences_it_and_only_it(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        here, there, handle = await self._world(client, board)
        await _set(client, board.owner, projects=[_mute(board.pid, "all")])
        await self._everything(client, board, here, handle)
        await self._everything(client, board, there, handle)
        await deliver(notify)
        told = await inbox(client, board.owner)
        assert {n["project_id"] for n in told} == {there["project_id"]}
        assert sorted(n["type"] for n in told) == [
            "assigned",
            "commented",
            "mentioned",
            "status_changed",
        ]
        for box in ("archived", "snoozed"):
            assert await inbox(client, board.owner, box=box) == []

    async def test_muting_watching_silences_comments_and_status_changes_only(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        here, _, handle = await self._world(client, board)
        await _set(client, board.owner, projects=[_mute(board.pid, "watching")])
        await self._everything(client, board, here, handle)
        await deliver(notify)
        assert [n["type"] for n in await inbox(client, board.owner)] == ["assigned", "mentioned"]

    async def test_a_muted_project_silences_only_its_own_due_soon_notifications(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI
    ) -> None:
        """The due-soon job delivers everyone's drafts of all projects in one go."""
        other = await make_project(client, board.owner, board.workspace["id"], key="OPS")
        today = str(utcnow().date())
        for project_id in (board.pid, other["id"]):
            await make_task(
                client,
                board.owner,
                project_id,
                "Due",
                assignee_ids=[board.member.id],
                due_date=today,
            )
        await _set(client, board.member, projects=[_mute(board.pid, "all")])
        await due_soon(app)
        assert [n["task_key"] for n in await inbox(client, board.member)] == ["OPS-1"]

    async def test_sending_back_the_mute_of_a_project_you_were_removed_from_drops_it(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        await _set(client, board.member, projects=[_mute(board.pid, "all")])
        await remove_from_workspace(client, board, board.member)
        response = await _put(client, board.member, projects=[_mute(board.pid, "all")])
        assert response.status_code == 200, response.text
        assert response.json()["projects"] == []
