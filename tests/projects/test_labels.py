"""A project's labels: list, create, rename or recolour, delete."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tasklane.projects.service import MAX_LABELS
from tests.factories import Board, User, expect, make_project, make_task, make_user
from tests.projects.helpers import (
    assert_scoped,
    event_count,
    fields,
    fill_labels,
    join,
    label_count,
    problem,
    recorded,
)

MISSING = "00000000-0000-7000-8000-000000000000"


def url(project_id: str, label_id: str | None = None) -> str:
    base = f"/api/v1/projects/{project_id}/labels"
    return f"{base}/{label_id}" if label_id else base


async def make_label(
    client: httpx.AsyncClient, user: User, project_id: str, name: str, color: str = "#ff0000"
) -> dict[str, Any]:
    return expect(
        await client.post(
            url(project_id), json={"name": name, "color": color}, headers=user.headers
        ),
        201,
    )


async def names(client: httpx.AsyncClient, board: Board) -> list[str]:
    body = expect(await client.get(url(board.pid), headers=board.owner.headers), 200)
    return [label["name"] for label in body["items"]]


class TestListLabels:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient, board: Board) -> None:
        problem(await client.get(url(board.pid)), 401)

    async def test_outsider_is_404(self, client: httpx.AsyncClient, board: Board) -> None:
        outsider = await make_user(client)
        problem(await client.get(url(board.pid), headers=outsider.headers), 404)

    async def test_viewer_reads_them_by_name_ignoring_case(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        for name in ("bug", "Docs", "api"):
            await make_label(client, board.owner, board.pid, name)
        viewer = await join(client, board, "member", "viewer")
        body = expect(await client.get(url(board.pid), headers=viewer.headers), 200)
        assert [label["name"] for label in body["items"]] == ["api", "bug", "Docs"]
        assert body["next_cursor"] is None
        assert set(body["items"][0]) == {"id", "project_id", "name", "color"}

    async def test_only_this_projects_labels(self, client: httpx.AsyncClient, board: Board) -> None:
        other = await make_project(client, board.owner, board.workspace["id"], key="OPS")
        await make_label(client, board.owner, other["id"], "Elsewhere")
        assert await names(client, board) == []


class TestCreateLabel:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient, board: Board) -> None:
        problem(await client.post(url(board.pid), json={"name": "Bug", "color": "#ff0000"}), 401)

    async def test_outsider_is_404(self, client: httpx.AsyncClient, board: Board) -> None:
        outsider = await make_user(client)
        r = await client.post(
            url(board.pid), json={"name": "Bug", "color": "#ff0000"}, headers=outsider.headers
        )
        problem(r, 404)

    async def test_viewer_is_403(self, client: httpx.AsyncClient, board: Board) -> None:
        viewer = await join(client, board, "member", "viewer")
        r = await client.post(
            url(board.pid), json={"name": "Bug", "color": "#ff0000"}, headers=viewer.headers
        )
        problem(r, 403)

    async def test_member_creates_one(self, client: httpx.AsyncClient, board: Board) -> None:
        body = await make_label(client, board.member, board.pid, " Bug ", "#FF00AA")
        assert (body["name"], body["color"], body["project_id"]) == ("Bug", "#ff00aa", board.pid)

    async def test_name_taken_ignoring_case_is_409(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        await make_label(client, board.member, board.pid, "Bug")
        before = await event_count(app)
        r = await client.post(
            url(board.pid), json={"name": "BUG", "color": "#00ff00"}, headers=board.member.headers
        )
        problem(r, 409, "label_name_taken")
        assert await names(client, board) == ["Bug"]
        assert await event_count(app) == before

    async def test_same_accented_name_twice_is_409(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        await make_label(client, board.member, board.pid, "Éclair")
        r = await client.post(
            url(board.pid),
            json={"name": "Éclair", "color": "#00ff00"},
            headers=board.member.headers,
        )
        problem(r, 409, "label_name_taken")

    async def test_parallel_creates_differing_in_case_make_one_label(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        responses = await asyncio.gather(
            *(
                client.post(
                    url(board.pid),
                    json={"name": name, "color": "#ff0000"},
                    headers=board.member.headers,
                )
                for name in ("Bug", "bug", "BUG")
            )
        )
        assert sorted(r.status_code for r in responses) == [201, 409, 409]
        assert len(await names(client, board)) == 1

    async def test_same_name_in_another_project_is_fine(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        other = await make_project(client, board.owner, board.workspace["id"], key="OPS")
        await make_label(client, board.owner, board.pid, "Bug")
        await make_label(client, board.owner, other["id"], "Bug")

    async def test_one_below_the_limit_is_created(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        await fill_labels(app, board.pid, MAX_LABELS - 1)
        await make_label(client, board.member, board.pid, "Bug")
        listed = await names(client, board)
        assert len(listed) == MAX_LABELS
        assert listed[0] == "Bug"

    async def test_past_the_limit_is_409_and_changes_nothing(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        await fill_labels(app, board.pid, MAX_LABELS)
        before = await event_count(app)
        r = await client.post(
            url(board.pid), json={"name": "Bug", "color": "#ff0000"}, headers=board.member.headers
        )
        body = problem(r, 409, "too_many_labels")
        assert f"at most {MAX_LABELS} labels" in body["detail"]
        assert await label_count(app, board.pid) == MAX_LABELS
        assert "Bug" not in await names(client, board)
        assert await event_count(app) == before

    async def test_the_limit_is_per_project(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        await fill_labels(app, board.pid, MAX_LABELS)
        other = await make_project(client, board.owner, board.workspace["id"], key="OPS")
        await make_label(client, board.owner, other["id"], "Bug")

    async def test_parallel_creates_stop_at_the_limit(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        """The count is taken under the project's row lock: racing creates cannot both pass it."""
        await fill_labels(app, board.pid, MAX_LABELS - 2)
        responses = await asyncio.gather(
            *(
                client.post(
                    url(board.pid),
                    json={"name": f"Late {i}", "color": "#ff0000"},
                    headers=board.member.headers,
                )
                for i in range(4)
            )
        )
        assert sorted(r.status_code for r in responses) == [201, 201, 409, 409]
        assert await label_count(app, board.pid) == MAX_LABELS

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"name": "Bug", "color": "red"}, "color"),
            ({"name": "Bug", "color": "#ff00"}, "color"),
            ({"name": "Bug"}, "color"),
            ({"name": "  ", "color": "#ff0000"}, "name"),
            ({"name": "x" * 51, "color": "#ff0000"}, "name"),
            ({"name": "Bug", "color": "#ff0000", "id": MISSING}, "id"),
        ],
    )
    async def test_invalid_field_is_422(
        self, client: httpx.AsyncClient, board: Board, body: dict[str, Any], field: str
    ) -> None:
        r = await client.post(url(board.pid), json=body, headers=board.member.headers)
        assert fields(r) == [field]

    async def test_records_an_event(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        label = await make_label(client, board.member, board.pid, "Bug")
        (event,) = await recorded(app, "label.created", label["id"])
        assert_scoped(event, board, label["id"])
        assert str(event.actor_id) == board.member.id
        assert event.data["changes"] == {
            "name": {"from": None, "to": "Bug"},
            "color": {"from": None, "to": "#ff0000"},
        }


class TestUpdateLabel:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient, board: Board) -> None:
        label = await make_label(client, board.owner, board.pid, "Bug")
        problem(await client.patch(url(board.pid, label["id"]), json={"name": "x"}), 401)

    async def test_outsider_is_404(self, client: httpx.AsyncClient, board: Board) -> None:
        label = await make_label(client, board.owner, board.pid, "Bug")
        outsider = await make_user(client)
        r = await client.patch(
            url(board.pid, label["id"]), json={"name": "x"}, headers=outsider.headers
        )
        problem(r, 404)

    async def test_member_is_403(self, client: httpx.AsyncClient, board: Board) -> None:
        label = await make_label(client, board.member, board.pid, "Bug")
        r = await client.patch(
            url(board.pid, label["id"]), json={"name": "x"}, headers=board.member.headers
        )
        problem(r, 403)
        assert await names(client, board) == ["Bug"]

    async def test_unknown_label_is_404(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.patch(
            url(board.pid, MISSING), json={"name": "x"}, headers=board.owner.headers
        )
        problem(r, 404)

    async def test_label_of_another_project_is_404(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        other = await make_project(client, board.owner, board.workspace["id"], key="OPS")
        theirs = await make_label(client, board.owner, other["id"], "Theirs")
        r = await client.patch(
            url(board.pid, theirs["id"]), json={"name": "Mine"}, headers=board.owner.headers
        )
        problem(r, 404)

    async def test_renames_and_recolours(self, client: httpx.AsyncClient, board: Board) -> None:
        label = await make_label(client, board.owner, board.pid, "Bug")
        body = expect(
            await client.patch(
                url(board.pid, label["id"]),
                json={"name": "Defect", "color": "#00FF00"},
                headers=board.owner.headers,
            ),
            200,
        )
        assert (body["id"], body["name"], body["color"]) == (label["id"], "Defect", "#00ff00")

    async def test_name_of_another_label_is_409(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        await make_label(client, board.owner, board.pid, "Bug")
        docs = await make_label(client, board.owner, board.pid, "Docs")
        r = await client.patch(
            url(board.pid, docs["id"]), json={"name": "bug"}, headers=board.owner.headers
        )
        problem(r, 409, "label_name_taken")
        assert await names(client, board) == ["Bug", "Docs"]

    async def test_own_name_in_other_case_is_fine(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        label = await make_label(client, board.owner, board.pid, "Bug")
        body = expect(
            await client.patch(
                url(board.pid, label["id"]), json={"name": "BUG"}, headers=board.owner.headers
            ),
            200,
        )
        assert body["name"] == "BUG"

    async def test_null_color_is_422(self, client: httpx.AsyncClient, board: Board) -> None:
        label = await make_label(client, board.owner, board.pid, "Bug")
        r = await client.patch(
            url(board.pid, label["id"]), json={"color": None}, headers=board.owner.headers
        )
        assert fields(r) == ["color"]

    async def test_records_an_event(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        label = await make_label(client, board.owner, board.pid, "Bug")
        expect(
            await client.patch(
                url(board.pid, label["id"]),
                json={"name": "Defect", "color": "#ff0000"},
                headers=board.owner.headers,
            ),
            200,
        )
        (event,) = await recorded(app, "label.updated", label["id"])
        assert_scoped(event, board, label["id"])
        assert event.data["changes"] == {"name": {"from": "Bug", "to": "Defect"}}


class TestDeleteLabel:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient, board: Board) -> None:
        label = await make_label(client, board.owner, board.pid, "Bug")
        problem(await client.delete(url(board.pid, label["id"])), 401)

    async def test_outsider_is_404(self, client: httpx.AsyncClient, board: Board) -> None:
        label = await make_label(client, board.owner, board.pid, "Bug")
        outsider = await make_user(client)
        problem(await client.delete(url(board.pid, label["id"]), headers=outsider.headers), 404)

    async def test_member_is_403(self, client: httpx.AsyncClient, board: Board) -> None:
        label = await make_label(client, board.member, board.pid, "Bug")
        r = await client.delete(url(board.pid, label["id"]), headers=board.member.headers)
        problem(r, 403)
        assert await names(client, board) == ["Bug"]

    async def test_label_of_another_project_is_404(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        other = await make_project(client, board.owner, board.workspace["id"], key="OPS")
        theirs = await make_label(client, board.owner, other["id"], "Theirs")
        r = await client.delete(url(board.pid, theirs["id"]), headers=board.owner.headers)
        problem(r, 404)

    async def test_takes_it_off_its_tasks(self, client: httpx.AsyncClient, board: Board) -> None:
        bug = await make_label(client, board.owner, board.pid, "Bug")
        docs = await make_label(client, board.owner, board.pid, "Docs")
        task = await make_task(client, board.member, board.pid, label_ids=[bug["id"], docs["id"]])
        r = await client.delete(url(board.pid, bug["id"]), headers=board.owner.headers)
        assert r.status_code == 204
        assert await names(client, board) == ["Docs"]
        now = expect(
            await client.get(f"/api/v1/tasks/{task['id']}", headers=board.member.headers), 200
        )
        assert now["label_ids"] == [docs["id"]]

    async def test_records_an_event(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        label = await make_label(client, board.owner, board.pid, "Bug")
        r = await client.delete(url(board.pid, label["id"]), headers=board.owner.headers)
        assert r.status_code == 204
        (event,) = await recorded(app, "label.deleted", label["id"])
        assert_scoped(event, board, label["id"])
        assert event.data["changes"]["name"] == {"from": "Bug", "to": None}
