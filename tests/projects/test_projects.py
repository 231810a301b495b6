"""Projects: create, list, get, update (archive), delete."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import (
    Board,
    expect,
    make_project,
    make_task,
    make_user,
    make_workspace,
    statuses,
)
from tests.projects.helpers import (
    assert_scoped,
    event_count,
    fields,
    join,
    problem,
    project_row,
    recorded,
    statements,
    status_count,
    task_row,
)

MISSING = "00000000-0000-7000-8000-000000000000"


def projects_url(board: Board) -> str:
    return f"/api/v1/workspaces/{board.workspace['id']}/projects"


class TestCreateProject:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.post(projects_url(board), json={"key": "OPS", "name": "Ops"})
        problem(r, 401, "unauthenticated")

    async def test_outsider_is_404(self, client: httpx.AsyncClient, board: Board) -> None:
        outsider = await make_user(client)
        r = await client.post(
            projects_url(board), json={"key": "OPS", "name": "Ops"}, headers=outsider.headers
        )
        problem(r, 404, "not_found")

    async def test_guest_is_403(self, client: httpx.AsyncClient, board: Board) -> None:
        guest = await join(client, board, "guest")
        r = await client.post(
            projects_url(board), json={"key": "OPS", "name": "Ops"}, headers=guest.headers
        )
        problem(r, 403, "permission_denied")

    async def test_returns_the_project(self, client: httpx.AsyncClient, board: Board) -> None:
        body = expect(
            await client.post(
                projects_url(board),
                json={"key": "OPS", "name": "  Operations ", "description": "Keep it running"},
                headers=board.owner.headers,
            ),
            201,
        )
        assert body["workspace_id"] == board.workspace["id"]
        assert (body["key"], body["name"], body["description"]) == (
            "OPS",
            "Operations",
            "Keep it running",
        )
        assert body["archived"] is False
        assert body["archived_at"] is None
        assert body["role"] == "admin"

    async def test_creates_the_default_workflow(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        project = await make_project(client, board.owner, board.workspace["id"], key="OPS")
        items = await statuses(client, board.owner, project["id"])
        assert [(s["name"], s["category"], s["color"], s["position"]) for s in items] == [
            ("Backlog", "backlog", "#94a3b8", 0),
            ("Todo", "unstarted", "#64748b", 1),
            ("In Progress", "started", "#f59e0b", 2),
            ("Done", "done", "#22c55e", 3),
            ("Cancelled", "cancelled", "#ef4444", 4),
        ]
        assert {s["project_id"] for s in items} == {project["id"]}

    async def test_key_is_stored_upper_case(self, client: httpx.AsyncClient, board: Board) -> None:
        project = await make_project(client, board.owner, board.workspace["id"], key=" ops2 ")
        assert project["key"] == "OPS2"

    @pytest.mark.parametrize(
        "key", ["", "E", "1ENG", "ENG-X", "EN G", "TOOLONGKEY1", "ÉNG", "_ENG"]
    )
    async def test_invalid_key_is_422_naming_key(
        self, client: httpx.AsyncClient, board: Board, key: str
    ) -> None:
        r = await client.post(
            projects_url(board), json={"key": key, "name": "x"}, headers=board.owner.headers
        )
        assert fields(r) == ["key"]

    async def test_missing_key_is_422(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.post(projects_url(board), json={"name": "x"}, headers=board.owner.headers)
        assert fields(r) == ["key"]

    async def test_taken_key_is_409_ignoring_case(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        before = await event_count(app)
        r = await client.post(
            projects_url(board), json={"key": "eng", "name": "Again"}, headers=board.owner.headers
        )
        problem(r, 409, "key_taken")
        listed = expect(await client.get(projects_url(board), headers=board.owner.headers), 200)
        assert [p["key"] for p in listed["items"]] == ["ENG"]
        assert await event_count(app) == before

    async def test_parallel_creates_with_one_key_make_one_project(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        responses = await asyncio.gather(
            *(
                client.post(
                    projects_url(board),
                    json={"key": "OPS", "name": f"Ops {i}"},
                    headers=board.owner.headers,
                )
                for i in range(3)
            )
        )
        assert sorted(r.status_code for r in responses) == [201, 409, 409]
        assert {r.json()["code"] for r in responses if r.status_code == 409} == {"key_taken"}

    async def test_same_key_in_another_workspace_is_fine(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        other = await make_workspace(client, board.owner, name="Other")
        project = await make_project(client, board.owner, other["id"], key="ENG")
        assert project["key"] == "ENG"

    async def test_blank_name_is_422(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.post(
            projects_url(board), json={"key": "OPS", "name": "   "}, headers=board.owner.headers
        )
        assert fields(r) == ["name"]

    async def test_unknown_field_is_422(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.post(
            projects_url(board),
            json={"key": "OPS", "name": "Ops", "task_counter": 99},
            headers=board.owner.headers,
        )
        assert fields(r) == ["task_counter"]

    async def test_member_creator_becomes_explicit_admin(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        project = await make_project(client, board.member, board.workspace["id"], key="MINE")
        assert project["role"] == "admin"
        members = expect(
            await client.get(
                f"/api/v1/projects/{project['id']}/members", headers=board.member.headers
            ),
            200,
        )["items"]
        assert [(m["user_id"], m["role"], m["workspace_role"]) for m in members] == [
            (board.member.id, "admin", "member")
        ]

    async def test_owner_creator_gets_no_explicit_role(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        members = expect(
            await client.get(f"/api/v1/projects/{board.pid}/members", headers=board.owner.headers),
            200,
        )
        assert members["items"] == []

    async def test_records_an_event(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        (event,) = await recorded(app, "project.created", board.pid)
        assert_scoped(event, board, board.pid)
        assert str(event.actor_id) == board.owner.id
        assert event.data["changes"] == {
            "key": {"from": None, "to": "ENG"},
            "name": {"from": None, "to": "Engineering"},
            "description": {"from": None, "to": ""},
        }

    async def test_member_creator_role_is_recorded(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        project = await make_project(client, board.member, board.workspace["id"], key="MINE")
        (event,) = await recorded(app, "project.member_added", board.member.id)
        assert str(event.project_id) == project["id"]
        assert event.data["changes"]["role"] == {"from": None, "to": "admin"}

    async def test_idempotency_key_replays_the_first_project(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        headers = {**board.owner.headers, "Idempotency-Key": "create-ops"}
        body = {"key": "OPS", "name": "Ops"}
        first = expect(await client.post(projects_url(board), json=body, headers=headers), 201)
        again = await client.post(projects_url(board), json=body, headers=headers)
        assert again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json()["id"] == first["id"]


class TestListProjects:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient, board: Board) -> None:
        problem(await client.get(projects_url(board)), 401)

    async def test_outsider_is_404(self, client: httpx.AsyncClient, board: Board) -> None:
        outsider = await make_user(client)
        problem(await client.get(projects_url(board), headers=outsider.headers), 404)

    async def test_unknown_workspace_is_404(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.get(f"/api/v1/workspaces/{MISSING}/projects", headers=board.owner.headers)
        problem(r, 404)

    async def test_lists_with_each_callers_role(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        viewer = await join(client, board, "member", "viewer")
        for user, role in ((board.owner, "admin"), (board.member, "member"), (viewer, "viewer")):
            body = expect(await client.get(projects_url(board), headers=user.headers), 200)
            assert [(p["id"], p["role"]) for p in body["items"]] == [(board.pid, role)]

    async def test_guest_sees_only_projects_they_were_added_to(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        await make_project(client, board.owner, board.workspace["id"], key="OPS")
        guest = await join(client, board, "guest", "viewer")
        items = expect(await client.get(projects_url(board), headers=guest.headers), 200)["items"]
        assert [(p["key"], p["role"]) for p in items] == [("ENG", "viewer")]

    async def test_guest_without_projects_sees_none(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        guest = await join(client, board, "guest")
        body = expect(await client.get(projects_url(board), headers=guest.headers), 200)
        assert body == {"items": [], "next_cursor": None}

    async def test_archived_filter(self, client: httpx.AsyncClient, board: Board) -> None:
        await make_project(client, board.owner, board.workspace["id"], key="OPS")
        expect(
            await client.patch(
                f"/api/v1/projects/{board.pid}",
                json={"archived": True},
                headers=board.owner.headers,
            ),
            200,
        )
        keys = {}
        for name, params in (
            ("default", {}),
            ("false", {"archived": "false"}),
            ("true", {"archived": "true"}),
            ("any", {"archived": "any"}),
        ):
            body = expect(
                await client.get(projects_url(board), params=params, headers=board.member.headers),
                200,
            )
            keys[name] = [p["key"] for p in body["items"]]
        assert keys == {
            "default": ["OPS"],
            "false": ["OPS"],
            "true": ["ENG"],
            "any": ["ENG", "OPS"],  # creation order
        }

    async def test_bad_archived_filter_is_422(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        r = await client.get(
            projects_url(board), params={"archived": "maybe"}, headers=board.owner.headers
        )
        assert fields(r) == ["archived"]

    async def test_pages_in_creation_order(self, client: httpx.AsyncClient, board: Board) -> None:
        for key in ("OPS", "DES", "WEB"):
            await make_project(client, board.owner, board.workspace["id"], key=key)
        seen: list[str] = []
        params: dict[str, str | int] = {"limit": 2}
        for _ in range(3):
            body = expect(
                await client.get(projects_url(board), params=params, headers=board.owner.headers),
                200,
            )
            seen += [p["key"] for p in body["items"]]
            if body["next_cursor"] is None:
                break
            params["cursor"] = body["next_cursor"]
        assert seen == ["ENG", "OPS", "DES", "WEB"]

    async def test_bad_cursor_is_422(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.get(
            projects_url(board), params={"cursor": "nonsense"}, headers=board.owner.headers
        )
        assert fields(r) == ["cursor"]

    async def test_statement_count_does_not_grow_with_projects(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        one = await client.get(projects_url(board), headers=board.member.headers)
        for key in ("OPS", "DES", "WEB"):
            await make_project(client, board.owner, board.workspace["id"], key=key)
        four = await client.get(projects_url(board), headers=board.member.headers)
        assert len(four.json()["items"]) == 4
        assert statements(four) == statements(one)


class TestGetProject:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient, board: Board) -> None:
        problem(await client.get(f"/api/v1/projects/{board.pid}"), 401)

    async def test_outsider_is_404(self, client: httpx.AsyncClient, board: Board) -> None:
        outsider = await make_user(client)
        r = await client.get(f"/api/v1/projects/{board.pid}", headers=outsider.headers)
        problem(r, 404, "not_found")

    async def test_guest_not_added_is_404(self, client: httpx.AsyncClient, board: Board) -> None:
        guest = await join(client, board, "guest")
        problem(await client.get(f"/api/v1/projects/{board.pid}", headers=guest.headers), 404)

    async def test_unknown_id_is_404(self, client: httpx.AsyncClient, board: Board) -> None:
        problem(await client.get(f"/api/v1/projects/{MISSING}", headers=board.owner.headers), 404)

    async def test_malformed_id_is_422(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.get("/api/v1/projects/ENG", headers=board.owner.headers)
        assert fields(r) == ["project_id"]

    async def test_member_sees_it_as_member(self, client: httpx.AsyncClient, board: Board) -> None:
        body = expect(
            await client.get(f"/api/v1/projects/{board.pid}", headers=board.member.headers), 200
        )
        assert body == {**board.project, "role": "member"}


class TestUpdateProject:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient, board: Board) -> None:
        problem(await client.patch(f"/api/v1/projects/{board.pid}", json={"name": "x"}), 401)

    async def test_outsider_is_404(self, client: httpx.AsyncClient, board: Board) -> None:
        outsider = await make_user(client)
        r = await client.patch(
            f"/api/v1/projects/{board.pid}", json={"name": "x"}, headers=outsider.headers
        )
        problem(r, 404)

    async def test_viewer_is_403_and_nothing_changes(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        viewer = await join(client, board, "member", "viewer")
        r = await client.patch(
            f"/api/v1/projects/{board.pid}", json={"name": "Hacked"}, headers=viewer.headers
        )
        problem(r, 403, "permission_denied")
        body = expect(
            await client.get(f"/api/v1/projects/{board.pid}", headers=board.owner.headers), 200
        )
        assert body["name"] == "Engineering"

    async def test_plain_member_is_403(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.patch(
            f"/api/v1/projects/{board.pid}", json={"name": "x"}, headers=board.member.headers
        )
        problem(r, 403)

    async def test_explicit_project_admin_may(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        lead = await join(client, board, "member", "admin")
        body = expect(
            await client.patch(
                f"/api/v1/projects/{board.pid}", json={"name": "Eng"}, headers=lead.headers
            ),
            200,
        )
        assert (body["name"], body["role"]) == ("Eng", "admin")

    async def test_renames_and_describes(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        body = expect(
            await client.patch(
                f"/api/v1/projects/{board.pid}",
                json={"name": "Platform", "description": "APIs"},
                headers=board.owner.headers,
            ),
            200,
        )
        assert (body["name"], body["description"], body["key"]) == ("Platform", "APIs", "ENG")
        assert body["updated_at"] > board.project["updated_at"]
        row = await project_row(app, board.pid)
        assert row is not None
        assert row.version == 2
        (event,) = await recorded(app, "project.updated", board.pid)
        assert_scoped(event, board, board.pid)
        assert event.data["changes"] == {
            "name": {"from": "Engineering", "to": "Platform"},
            "description": {"from": "", "to": "APIs"},
        }

    async def test_archive_and_unarchive(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        url = f"/api/v1/projects/{board.pid}"
        archived = expect(
            await client.patch(url, json={"archived": True}, headers=board.owner.headers), 200
        )
        assert archived["archived"] is True
        assert archived["archived_at"] is not None
        restored = expect(
            await client.patch(url, json={"archived": False}, headers=board.owner.headers), 200
        )
        assert restored["archived"] is False
        assert restored["archived_at"] is None
        events = await recorded(app, "project.updated", board.pid)
        assert [e.data["changes"] for e in events] == [
            {"archived": {"from": False, "to": True}},
            {"archived": {"from": True, "to": False}},
        ]
        row = await project_row(app, board.pid)
        assert row is not None
        assert row.version == 3

    async def test_unchanged_values_record_nothing(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        before = await event_count(app)
        body = expect(
            await client.patch(
                f"/api/v1/projects/{board.pid}",
                json={"name": "Engineering", "archived": False},
                headers=board.owner.headers,
            ),
            200,
        )
        assert body == board.project
        assert await event_count(app) == before
        row = await project_row(app, board.pid)
        assert row is not None
        assert row.version == 1

    async def test_key_cannot_change(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.patch(
            f"/api/v1/projects/{board.pid}", json={"key": "NEW"}, headers=board.owner.headers
        )
        assert fields(r) == ["key"]

    async def test_null_name_is_422(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.patch(
            f"/api/v1/projects/{board.pid}", json={"name": None}, headers=board.owner.headers
        )
        assert fields(r) == ["name"]


class TestDeleteProject:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient, board: Board) -> None:
        problem(await client.delete(f"/api/v1/projects/{board.pid}"), 401)

    async def test_outsider_is_404(self, client: httpx.AsyncClient, board: Board) -> None:
        outsider = await make_user(client)
        r = await client.delete(f"/api/v1/projects/{board.pid}", headers=outsider.headers)
        problem(r, 404)

    async def test_member_is_403(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.delete(f"/api/v1/projects/{board.pid}", headers=board.member.headers)
        problem(r, 403)
        expect(await client.get(f"/api/v1/projects/{board.pid}", headers=board.owner.headers), 200)

    async def test_deletes_it_with_everything_in_it(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        await join(client, board, "guest", "viewer")
        expect(
            await client.post(
                f"/api/v1/projects/{board.pid}/labels",
                json={"name": "Bug", "color": "#ff0000"},
                headers=board.owner.headers,
            ),
            201,
        )
        parent = await make_task(client, board.member, board.pid, title="Parent")
        child = await make_task(client, board.member, board.pid, parent_id=parent["id"])
        trashed = await make_task(client, board.member, board.pid, title="Trashed")
        expect(
            await client.post(
                f"/api/v1/tasks/{parent['id']}/comments",
                json={"body": "hello"},
                headers=board.member.headers,
            ),
            201,
        )
        r = await client.delete(f"/api/v1/tasks/{trashed['id']}", headers=board.member.headers)
        assert r.status_code == 204

        r = await client.delete(f"/api/v1/projects/{board.pid}", headers=board.owner.headers)
        assert r.status_code == 204
        problem(await client.get(f"/api/v1/projects/{board.pid}", headers=board.owner.headers), 404)
        assert await project_row(app, board.pid) is None
        assert await status_count(app, board.pid) == 0
        for task in (parent, child, trashed):
            assert await task_row(app, task["id"]) is None
        (event,) = await recorded(app, "project.deleted", board.pid)
        assert_scoped(event, board, board.pid)
        assert event.data["changes"]["key"] == {"from": "ENG", "to": None}

    async def test_twice_is_404(self, client: httpx.AsyncClient, board: Board) -> None:
        url = f"/api/v1/projects/{board.pid}"
        assert (await client.delete(url, headers=board.owner.headers)).status_code == 204
        problem(await client.delete(url, headers=board.owner.headers), 404)
