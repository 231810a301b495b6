"""Field terms of the query language narrowing a search, on a fixed corpus, on SQLite and
PostgreSQL alike (the test runs on both and expects the same figures). Every task of the
corpus has the word "zebra", so `zebra <terms>` shows what the terms select."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import Board, User, expect, make_project, make_task
from tests.projects.helpers import join

EXPECTED = {
    "assignee:me": ["ENG-1", "OPS-1"],
    "assignee:none": ["ENG-2"],
    "assignee:{owner}": ["ENG-3"],
    "assignee:@{owner}": ["ENG-3"],
    "label:bug": ["ENG-1", "ENG-3"],
    "label:BUG": ["ENG-1", "ENG-3"],
    "-label:bug": ["ENG-2", "OPS-1"],
    'label:"needs review"': ["ENG-2"],
    "status:done": ["ENG-3"],
    "status:started": ["ENG-1"],
    "status:todo": ["ENG-2", "OPS-1"],  # OPS-1 is in its project's first status, Todo
    '"status:in progress"': [],  # a phrase: the words "status in progress", not a field
    'status:"in progress"': ["ENG-1"],
    "status:todo OR status:done": ["ENG-2", "ENG-3", "OPS-1"],
    "priority:high": ["ENG-1"],
    "project:OPS": ["OPS-1"],
    "project:ops": ["OPS-1"],
    "-project:OPS": ["ENG-1", "ENG-2", "ENG-3"],
    "is:overdue": ["OPS-1"],
    "is:open": ["ENG-1", "ENG-2", "OPS-1"],
    "is:done": ["ENG-3"],
    "is:unassigned": ["ENG-2"],
    "parent:ENG-1": ["ENG-3"],
    "parent:eng-1": ["ENG-3"],
    "-parent:none": ["ENG-3"],
    "due<2026-12-15": ["ENG-1", "ENG-3", "OPS-1"],
    "-due<2026-12-15": ["ENG-2"],
    "due:none": ["ENG-2"],
    "due:2026-12-10": ["ENG-1"],
    "due>=2026-12-10": ["ENG-1"],
    "created>-1d": ["ENG-1", "ENG-2", "ENG-3", "OPS-1"],
    "created<-1d": [],
    "updated:today": ["ENG-1", "ENG-2", "ENG-3", "OPS-1"],
    "label:bug assignee:me": ["ENG-1"],
    "label:bug OR label:ui": ["ENG-1", "ENG-2", "ENG-3"],
    "assignee:nobody-has-this": [],
}


async def _keys(client: httpx.AsyncClient, board: Board, user: User, q: str) -> list[str]:
    body = expect(
        await client.get(
            "/api/v1/search",
            params={"q": q, "workspace_id": board.workspace["id"], "limit": 50},
            headers=user.headers,
        ),
        200,
    )
    return sorted({h["task_key"] for h in body["items"]})


async def _label(client: httpx.AsyncClient, board: Board, project_id: str, name: str) -> str:
    created = expect(
        await client.post(
            f"/api/v1/projects/{project_id}/labels",
            json={"name": name, "color": "#ef4444"},
            headers=board.owner.headers,
        ),
        201,
    )
    return str(created["id"])


async def test_each_field_selects_the_same_tasks_on_both_databases(
    client: httpx.AsyncClient, board: Board
) -> None:
    ops = await make_project(client, board.owner, board.workspace["id"], key="OPS")
    bug = await _label(client, board, board.pid, "bug")
    ui = await _label(client, board, board.pid, "ui")
    review = await _label(client, board, board.pid, "needs review")
    member, owner = board.member, board.owner
    first = await make_task(
        client, owner, board.pid, title="zebra alpha", assignee_ids=[member.id],
        label_ids=[bug], priority="high", status_id=board.statuses["In Progress"]["id"],
        due_date="2026-12-10",
    )  # fmt: skip
    await make_task(
        client, owner, board.pid, title="zebra beta", label_ids=[ui, review], priority="low",
        status_id=board.statuses["Todo"]["id"],
    )  # fmt: skip
    await make_task(
        client, owner, board.pid, title="zebra gamma", assignee_ids=[owner.id],
        label_ids=[bug], status_id=board.statuses["Done"]["id"], due_date="2020-01-01",
        parent_id=first["id"],
    )  # fmt: skip
    await make_task(
        client, owner, ops["id"], title="zebra delta", assignee_ids=[member.id],
        due_date="2020-01-01",
    )  # fmt: skip
    handle = expect(await client.get("/api/v1/users/me", headers=owner.headers), 200)["handle"]

    found: dict[str, Any] = {}
    for terms in EXPECTED:
        found[terms] = await _keys(client, board, member, "zebra " + terms.format(owner=handle))
    wrong = {t: (found[t], want) for t, want in EXPECTED.items() if found[t] != want}
    assert not wrong, wrong

    # A guest of ENG only: the same terms never reach OPS, nor count it.
    guest = await join(client, board, workspace_role="guest", project_role="member")
    assert await _keys(client, board, guest, "zebra assignee:" + handle) == ["ENG-3"]
    assert await _keys(client, board, guest, "zebra project:OPS") == []
    assert await _keys(client, board, guest, "zebra is:overdue") == []


async def test_a_bad_query_is_a_problem_that_points_at_the_term(
    client: httpx.AsyncClient, board: Board
) -> None:
    cases = {
        "zebra asignee:me": "unknown field `asignee`: did you mean `assignee`? (at 6)",
        "zebra parent:42": "`parent` takes a task key (`parent:ENG-1`) or none, not `42` (at 6)",
        "zebra due:someday": "not `someday` (at 6)",
        "zebra label:bug OR priority:high": "`OR` joins terms of one field",
        "assignee:me": "Type a word to look for.",
    }
    for q, message in cases.items():
        r = await client.get(
            "/api/v1/search",
            params={"q": q, "workspace_id": board.workspace["id"]},
            headers=board.member.headers,
        )
        assert r.status_code == 422, (q, r.text)
        problem = r.json()
        assert problem["errors"][0]["field"] == "q", q
        assert message in problem["errors"][0]["message"], (q, problem)
