"""A project's workflow: list, add, change and remove statuses."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tasklane.projects.service import MAX_STATUSES
from tests.factories import Board, expect, make_project, make_task, make_user, statuses
from tests.projects.helpers import (
    assert_scoped,
    event_count,
    fields,
    fill_workflow,
    join,
    problem,
    recorded,
    status_count,
    task_row,
)

MISSING = "00000000-0000-7000-8000-000000000000"


def url(board: Board, status_id: str | None = None) -> str:
    base = f"/api/v1/projects/{board.pid}/statuses"
    return f"{base}/{status_id}" if status_id else base


def sid(board: Board, name: str) -> str:
    return str(board.statuses[name]["id"])


async def workflow(client: httpx.AsyncClient, board: Board) -> list[tuple[str, int]]:
    return [(s["name"], s["position"]) for s in await statuses(client, board.owner, board.pid)]


async def tasks_in(
    client: httpx.AsyncClient, board: Board, status: str, n: int = 2
) -> list[dict[str, Any]]:
    return [
        await make_task(
            client, board.member, board.pid, title=f"t{i}", status_id=sid(board, status)
        )
        for i in range(n)
    ]


class TestListStatuses:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient, board: Board) -> None:
        problem(await client.get(url(board)), 401)

    async def test_outsider_is_404(self, client: httpx.AsyncClient, board: Board) -> None:
        outsider = await make_user(client)
        problem(await client.get(url(board), headers=outsider.headers), 404)

    async def test_guest_not_in_the_project_is_404(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        guest = await join(client, board, "guest")
        problem(await client.get(url(board), headers=guest.headers), 404)

    async def test_viewer_reads_them_in_board_order(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        viewer = await join(client, board, "guest", "viewer")
        body = expect(await client.get(url(board), headers=viewer.headers), 200)
        assert body["next_cursor"] is None
        assert [s["position"] for s in body["items"]] == [0, 1, 2, 3, 4]
        assert set(body["items"][0]) == {
            "id",
            "project_id",
            "name",
            "category",
            "color",
            "position",
        }


class TestCreateStatus:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient, board: Board) -> None:
        problem(await client.post(url(board), json={"name": "QA", "category": "started"}), 401)

    async def test_outsider_is_404(self, client: httpx.AsyncClient, board: Board) -> None:
        outsider = await make_user(client)
        r = await client.post(
            url(board), json={"name": "QA", "category": "started"}, headers=outsider.headers
        )
        problem(r, 404)

    async def test_member_is_403(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.post(
            url(board), json={"name": "QA", "category": "started"}, headers=board.member.headers
        )
        problem(r, 403, "permission_denied")

    async def test_goes_last_by_default(self, client: httpx.AsyncClient, board: Board) -> None:
        body = expect(
            await client.post(
                url(board), json={"name": "QA", "category": "started"}, headers=board.owner.headers
            ),
            201,
        )
        assert (body["name"], body["category"], body["color"], body["position"]) == (
            "QA",
            "started",
            "#94a3b8",
            5,
        )
        assert body["project_id"] == board.pid
        assert (await workflow(client, board))[-1] == ("QA", 5)

    async def test_inserts_at_position_and_renumbers(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        expect(
            await client.post(
                url(board),
                json={"name": "Review", "category": "started", "position": 3, "color": "#AABBCC"},
                headers=board.owner.headers,
            ),
            201,
        )
        assert await workflow(client, board) == [
            ("Backlog", 0),
            ("Todo", 1),
            ("In Progress", 2),
            ("Review", 3),
            ("Done", 4),
            ("Cancelled", 5),
        ]

    async def test_position_past_the_end_means_last(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        body = expect(
            await client.post(
                url(board),
                json={"name": "QA", "category": "started", "position": 99},
                headers=board.owner.headers,
            ),
            201,
        )
        assert body["position"] == 5

    async def test_name_taken_ignoring_case_is_409(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        before = await event_count(app)
        r = await client.post(
            url(board), json={"name": "done", "category": "done"}, headers=board.owner.headers
        )
        problem(r, 409, "status_name_taken")
        assert len(await workflow(client, board)) == 5
        assert await event_count(app) == before

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"name": "QA", "category": "doing"}, "category"),
            ({"name": "", "category": "started"}, "name"),
            ({"name": "x" * 51, "category": "started"}, "name"),
            ({"name": "QA", "category": "started", "color": "blue"}, "color"),
            ({"name": "QA", "category": "started", "position": -1}, "position"),
        ],
    )
    async def test_invalid_field_is_422(
        self, client: httpx.AsyncClient, board: Board, body: dict[str, Any], field: str
    ) -> None:
        r = await client.post(url(board), json=body, headers=board.owner.headers)
        assert fields(r) == [field]

    async def test_parallel_adds_get_distinct_positions(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        responses = await asyncio.gather(
            *(
                client.post(
                    url(board),
                    json={"name": f"Step {i}", "category": "started"},
                    headers=board.owner.headers,
                )
                for i in range(4)
            )
        )
        assert sorted(r.status_code for r in responses) == [201] * 4
        assert [p for _, p in await workflow(client, board)] == list(range(9))

    async def test_one_below_the_limit_is_added(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        await fill_workflow(app, board.pid, MAX_STATUSES - 1)
        body = expect(
            await client.post(
                url(board), json={"name": "QA", "category": "started"}, headers=board.owner.headers
            ),
            201,
        )
        assert body["position"] == MAX_STATUSES - 1
        listed = await statuses(client, board.owner, board.pid)
        assert len(listed) == MAX_STATUSES
        assert listed[-1]["name"] == "QA"

    async def test_past_the_limit_is_409_and_changes_nothing(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        await fill_workflow(app, board.pid, MAX_STATUSES)
        before = await event_count(app)
        r = await client.post(
            url(board),
            json={"name": "QA", "category": "started", "position": 0},
            headers=board.owner.headers,
        )
        body = problem(r, 409, "too_many_statuses")
        assert f"at most {MAX_STATUSES} statuses" in body["detail"]
        assert await status_count(app, board.pid) == MAX_STATUSES
        assert (await workflow(client, board))[0] == ("Backlog", 0)
        assert await event_count(app) == before

    async def test_parallel_adds_stop_at_the_limit(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        """The count is taken under the project's row lock: racing adds cannot both pass it."""
        await fill_workflow(app, board.pid, MAX_STATUSES - 2)
        responses = await asyncio.gather(
            *(
                client.post(
                    url(board),
                    json={"name": f"Late {i}", "category": "started"},
                    headers=board.owner.headers,
                )
                for i in range(4)
            )
        )
        assert sorted(r.status_code for r in responses) == [201, 201, 409, 409]
        assert [p for _, p in await workflow(client, board)] == list(range(MAX_STATUSES))

    async def test_records_an_event(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        body = expect(
            await client.post(
                url(board),
                json={"name": "QA", "category": "started", "color": "#123456"},
                headers=board.owner.headers,
            ),
            201,
        )
        (event,) = await recorded(app, "status.created", body["id"])
        assert_scoped(event, board, body["id"])
        assert event.data["changes"] == {
            "name": {"from": None, "to": "QA"},
            "category": {"from": None, "to": "started"},
            "color": {"from": None, "to": "#123456"},
            "position": {"from": None, "to": 5},
        }


class TestUpdateStatus:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient, board: Board) -> None:
        problem(await client.patch(url(board, sid(board, "Todo")), json={"name": "x"}), 401)

    async def test_outsider_is_404(self, client: httpx.AsyncClient, board: Board) -> None:
        outsider = await make_user(client)
        r = await client.patch(
            url(board, sid(board, "Todo")), json={"name": "x"}, headers=outsider.headers
        )
        problem(r, 404)

    async def test_member_is_403(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.patch(
            url(board, sid(board, "Todo")), json={"name": "x"}, headers=board.member.headers
        )
        problem(r, 403)

    async def test_unknown_status_is_404(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.patch(url(board, MISSING), json={"name": "x"}, headers=board.owner.headers)
        problem(r, 404)

    async def test_status_of_another_project_is_404(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        other = await make_project(client, board.owner, board.workspace["id"], key="OPS")
        theirs = (await statuses(client, board.owner, other["id"]))[0]["id"]
        r = await client.patch(url(board, theirs), json={"name": "x"}, headers=board.owner.headers)
        problem(r, 404)
        assert (await statuses(client, board.owner, other["id"]))[0]["name"] == "Backlog"

    async def test_renames_and_recolours(self, client: httpx.AsyncClient, board: Board) -> None:
        body = expect(
            await client.patch(
                url(board, sid(board, "Todo")),
                json={"name": "To do", "color": "#ABCDEF"},
                headers=board.owner.headers,
            ),
            200,
        )
        assert (body["name"], body["color"], body["position"]) == ("To do", "#abcdef", 1)

    async def test_name_of_another_status_is_409(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        r = await client.patch(
            url(board, sid(board, "Todo")), json={"name": "BACKLOG"}, headers=board.owner.headers
        )
        problem(r, 409, "status_name_taken")
        assert (await workflow(client, board))[1] == ("Todo", 1)

    async def test_own_name_in_other_case_is_fine(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        body = expect(
            await client.patch(
                url(board, sid(board, "Todo")), json={"name": "TODO"}, headers=board.owner.headers
            ),
            200,
        )
        assert body["name"] == "TODO"

    async def test_move_up_renumbers(self, client: httpx.AsyncClient, board: Board) -> None:
        body = expect(
            await client.patch(
                url(board, sid(board, "Done")), json={"position": 0}, headers=board.owner.headers
            ),
            200,
        )
        assert body["position"] == 0
        assert await workflow(client, board) == [
            ("Done", 0),
            ("Backlog", 1),
            ("Todo", 2),
            ("In Progress", 3),
            ("Cancelled", 4),
        ]

    async def test_move_down_renumbers(self, client: httpx.AsyncClient, board: Board) -> None:
        expect(
            await client.patch(
                url(board, sid(board, "Backlog")),
                json={"position": 2},
                headers=board.owner.headers,
            ),
            200,
        )
        assert await workflow(client, board) == [
            ("Todo", 0),
            ("In Progress", 1),
            ("Backlog", 2),
            ("Done", 3),
            ("Cancelled", 4),
        ]

    async def test_position_past_the_end_means_last(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        body = expect(
            await client.patch(
                url(board, sid(board, "Todo")), json={"position": 50}, headers=board.owner.headers
            ),
            200,
        )
        assert body["position"] == 4
        assert [p for _, p in await workflow(client, board)] == [0, 1, 2, 3, 4]

    async def test_becoming_done_completes_its_tasks(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        tasks = await tasks_in(client, board, "In Progress")
        expect(
            await client.patch(
                url(board, sid(board, "In Progress")),
                json={"category": "done"},
                headers=board.owner.headers,
            ),
            200,
        )
        for task in tasks:
            row = await task_row(app, task["id"])
            assert row is not None
            assert row.completed_at is not None
            assert row.version == task["version"] + 1

    async def test_leaving_done_reopens_its_tasks(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        tasks = await tasks_in(client, board, "Done")
        assert all(t["completed_at"] is not None for t in tasks)
        expect(
            await client.patch(
                url(board, sid(board, "Done")),
                json={"category": "started"},
                headers=board.owner.headers,
            ),
            200,
        )
        for task in tasks:
            row = await task_row(app, task["id"])
            assert row is not None
            assert row.completed_at is None
            assert row.version == task["version"] + 1

    async def test_recategorising_within_open_work_leaves_tasks_alone(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        (task,) = await tasks_in(client, board, "Todo", n=1)
        expect(
            await client.patch(
                url(board, sid(board, "Todo")),
                json={"category": "started"},
                headers=board.owner.headers,
            ),
            200,
        )
        row = await task_row(app, task["id"])
        assert row is not None
        assert (row.version, row.completed_at) == (task["version"], None)

    async def test_records_an_event(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        todo = sid(board, "Todo")
        expect(
            await client.patch(
                url(board, todo),
                json={"name": "Ready", "category": "backlog", "color": "#64748b"},
                headers=board.owner.headers,
            ),
            200,
        )
        (event,) = await recorded(app, "status.updated", todo)
        assert_scoped(event, board, todo)
        assert event.data["changes"] == {
            "name": {"from": "Todo", "to": "Ready"},
            "category": {"from": "unstarted", "to": "backlog"},
        }

    async def test_unchanged_values_record_nothing(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        before = await event_count(app)
        expect(
            await client.patch(
                url(board, sid(board, "Todo")),
                json={"name": "Todo", "position": 1},
                headers=board.owner.headers,
            ),
            200,
        )
        assert await event_count(app) == before


class TestDeleteStatus:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient, board: Board) -> None:
        problem(await client.delete(url(board, sid(board, "Todo"))), 401)

    async def test_outsider_is_404(self, client: httpx.AsyncClient, board: Board) -> None:
        outsider = await make_user(client)
        problem(await client.delete(url(board, sid(board, "Todo")), headers=outsider.headers), 404)

    async def test_member_is_403(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.delete(url(board, sid(board, "Todo")), headers=board.member.headers)
        problem(r, 403)
        assert len(await workflow(client, board)) == 5

    async def test_status_of_another_project_is_404(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        other = await make_project(client, board.owner, board.workspace["id"], key="OPS")
        theirs = (await statuses(client, board.owner, other["id"]))[0]["id"]
        problem(await client.delete(url(board, theirs), headers=board.owner.headers), 404)
        assert len(await statuses(client, board.owner, other["id"])) == 5

    async def test_removes_it_and_renumbers(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.delete(url(board, sid(board, "Todo")), headers=board.owner.headers)
        assert r.status_code == 204
        assert await workflow(client, board) == [
            ("Backlog", 0),
            ("In Progress", 1),
            ("Done", 2),
            ("Cancelled", 3),
        ]

    async def test_moves_tasks_to_move_to(self, client: httpx.AsyncClient, board: Board) -> None:
        tasks = await tasks_in(client, board, "In Progress")
        done = sid(board, "Done")
        r = await client.delete(
            url(board, sid(board, "In Progress")),
            params={"move_to": done},
            headers=board.owner.headers,
        )
        assert r.status_code == 204
        for task in tasks:
            now = expect(
                await client.get(f"/api/v1/tasks/{task['id']}", headers=board.member.headers), 200
            )
            assert now["status_id"] == done
            assert now["completed_at"] is not None
            assert now["version"] == task["version"] + 1
            assert now["updated_at"] > task["updated_at"]

    async def test_moving_out_of_done_clears_completion(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        (task,) = await tasks_in(client, board, "Done", n=1)
        todo = sid(board, "Todo")
        r = await client.delete(
            url(board, sid(board, "Done")), params={"move_to": todo}, headers=board.owner.headers
        )
        assert r.status_code == 204
        row = await task_row(app, task["id"])
        assert row is not None
        assert (str(row.status_id), row.completed_at) == (todo, None)

    async def test_moving_within_done_keeps_completion_time(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        shipped = expect(
            await client.post(
                url(board),
                json={"name": "Shipped", "category": "done"},
                headers=board.owner.headers,
            ),
            201,
        )
        (task,) = await tasks_in(client, board, "Done", n=1)
        before = await task_row(app, task["id"])
        assert before is not None
        assert before.completed_at is not None
        r = await client.delete(
            url(board, sid(board, "Done")),
            params={"move_to": shipped["id"]},
            headers=board.owner.headers,
        )
        assert r.status_code == 204
        after = await task_row(app, task["id"])
        assert after is not None
        assert after.completed_at == before.completed_at

    async def test_default_target_is_same_category(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        review = expect(
            await client.post(
                url(board),
                json={"name": "Review", "category": "started"},
                headers=board.owner.headers,
            ),
            201,
        )
        (task,) = await tasks_in(client, board, "In Progress", n=1)
        r = await client.delete(url(board, sid(board, "In Progress")), headers=board.owner.headers)
        assert r.status_code == 204
        row = await task_row(app, task["id"])
        assert row is not None
        assert str(row.status_id) == review["id"]

    async def test_default_target_is_first_status_otherwise(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        (task,) = await tasks_in(client, board, "In Progress", n=1)
        r = await client.delete(url(board, sid(board, "In Progress")), headers=board.owner.headers)
        assert r.status_code == 204
        row = await task_row(app, task["id"])
        assert row is not None
        assert str(row.status_id) == sid(board, "Backlog")

    async def test_moves_trashed_tasks_too(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        (task,) = await tasks_in(client, board, "Todo", n=1)
        deleted = await client.delete(f"/api/v1/tasks/{task['id']}", headers=board.member.headers)
        assert deleted.status_code == 204
        backlog = sid(board, "Backlog")
        r = await client.delete(
            url(board, sid(board, "Todo")),
            params={"move_to": backlog},
            headers=board.owner.headers,
        )
        assert r.status_code == 204
        row = await task_row(app, task["id"])
        assert row is not None
        assert row.deleted_at is not None
        assert str(row.status_id) == backlog

    async def test_move_to_itself_is_422(self, client: httpx.AsyncClient, board: Board) -> None:
        todo = sid(board, "Todo")
        r = await client.delete(
            url(board, todo), params={"move_to": todo}, headers=board.owner.headers
        )
        assert fields(r) == ["move_to"]
        assert len(await workflow(client, board)) == 5

    async def test_move_to_another_projects_status_is_422(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        other = await make_project(client, board.owner, board.workspace["id"], key="OPS")
        theirs = (await statuses(client, board.owner, other["id"]))[0]["id"]
        (task,) = await tasks_in(client, board, "Todo", n=1)
        r = await client.delete(
            url(board, sid(board, "Todo")),
            params={"move_to": theirs},
            headers=board.owner.headers,
        )
        assert fields(r) == ["move_to"]
        row = await task_row(app, task["id"])
        assert row is not None
        assert str(row.status_id) == sid(board, "Todo")

    async def test_malformed_move_to_is_422(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.delete(
            url(board, sid(board, "Todo")), params={"move_to": "done"}, headers=board.owner.headers
        )
        assert fields(r) == ["move_to"]

    async def test_last_status_stays(self, client: httpx.AsyncClient, board: Board) -> None:
        names = list(board.statuses)
        for name in names[:-1]:
            r = await client.delete(url(board, sid(board, name)), headers=board.owner.headers)
            assert r.status_code == 204
        last = await client.delete(url(board, sid(board, names[-1])), headers=board.owner.headers)
        problem(last, 409, "last_status")
        assert await workflow(client, board) == [(names[-1], 0)]

    async def test_records_an_event(
        self, client: httpx.AsyncClient, app: FastAPI, board: Board
    ) -> None:
        await tasks_in(client, board, "In Progress")
        doing, done = sid(board, "In Progress"), sid(board, "Done")
        r = await client.delete(
            url(board, doing), params={"move_to": done}, headers=board.owner.headers
        )
        assert r.status_code == 204
        (event,) = await recorded(app, "status.deleted", doing)
        assert_scoped(event, board, doing)
        assert event.data["changes"]["name"] == {"from": "In Progress", "to": None}
        assert event.data["moved_to"] == done
        assert event.data["moved_tasks"] == 2
