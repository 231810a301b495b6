"""Ids from another workspace are refused wherever a body, a path or a query can carry them.

Two callers try every place an id goes, with ids from workspace B, against workspace A:

- `dual` is an admin of both workspaces: she can see B's objects, so only the rule "references
  stay inside their workspace" can refuse her;
- `solo` is an admin of A only: for her, B's ids must be indistinguishable from ids that do not
  exist (same status, same problem document), so they cannot be probed.

Each refusal must change nothing: the event log and every listing are compared before and
after. The world is built once per backend (see world.py) and copied for each test.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import expect
from tests.security.world import W, last_event, serving

Request = tuple[str, str, Any]


@dataclass(frozen=True)
class Case:
    foreign: Callable[[W], str]
    """The other workspace's id (or key) that the request carries."""
    request: Callable[[W, str], Request]
    status: int
    field: str | None = None
    """The field a 422 must name."""
    unknown: str = ""
    """Stands in for the foreign id in the "does not exist" request; a random UUID if empty."""


def a(w: W, name: str) -> Any:
    return w["a"][name]


def b(w: W, name: str) -> Any:
    return w["b"][name]


def task_url(w: W, suffix: str = "") -> str:
    return f"/api/v1/tasks/{a(w, 'tasks')[0]}{suffix}"


def project_url(w: W, suffix: str) -> str:
    return f"/api/v1/projects/{a(w, 'project')}{suffix}"


B_STATUS: Callable[[W], str] = lambda w: b(w, "statuses")[2]  # noqa: E731
B_LABEL: Callable[[W], str] = lambda w: b(w, "labels")[0]  # noqa: E731
B_TASK: Callable[[W], str] = lambda w: b(w, "tasks")[0]  # noqa: E731
B_KEY: Callable[[W], str] = lambda w: b(w, "keys")[0]  # noqa: E731
B_USER: Callable[[W], str] = lambda w: w["ids"]["carol"]  # noqa: E731
B_RELATION: Callable[[W], str] = lambda w: b(w, "relation")  # noqa: E731


def create(**fields: Any) -> Callable[[W, str], Request]:
    def build(w: W, foreign: str) -> Request:
        body = {"title": "Mixed", **{k: v(foreign) for k, v in fields.items()}}
        return "POST", project_url(w, "/tasks"), body

    return build


def update(**fields: Any) -> Callable[[W, str], Request]:
    def build(w: W, foreign: str) -> Request:
        return "PATCH", task_url(w), {k: v(foreign) for k, v in fields.items()}

    return build


def one(x: str) -> str:
    return x


def listed(x: str) -> list[str]:
    return [x]


CASES: dict[str, Case] = {
    # tasks: every reference a task carries, on create and on update
    "create with status": Case(B_STATUS, create(status_id=one), 422, "status_id"),
    "create with label": Case(B_LABEL, create(label_ids=listed), 422, "label_ids"),
    "create with assignee": Case(B_USER, create(assignee_ids=listed), 422, "assignee_ids"),
    "create with parent": Case(B_TASK, create(parent_id=one), 422, "parent_id"),
    "update status": Case(B_STATUS, update(status_id=one), 422, "status_id"),
    "update labels": Case(B_LABEL, update(label_ids=listed), 422, "label_ids"),
    "update assignees": Case(B_USER, update(assignee_ids=listed), 422, "assignee_ids"),
    "update parent": Case(B_TASK, update(parent_id=one), 422, "parent_id"),
    # moves: the target column and both neighbours
    "move into status": Case(
        B_STATUS, lambda w, x: ("POST", task_url(w, "/move"), {"status_id": x}), 422, "status_id"
    ),
    "move after task": Case(
        B_TASK,
        lambda w, x: (
            "POST",
            task_url(w, "/move"),
            {"status_id": a(w, "statuses")[1], "after_id": x},
        ),
        422,
        "after_id",
    ),
    "move before task": Case(
        B_TASK,
        lambda w, x: (
            "POST",
            task_url(w, "/move"),
            {"status_id": a(w, "statuses")[1], "before_id": x},
        ),
        422,
        "before_id",
    ),
    # relations: by id and by key; removing another task's relation
    "relate to task": Case(
        B_TASK,
        lambda w, x: ("POST", task_url(w, "/relations"), {"type": "blocks", "task_id": x}),
        422,
        "task_id",
    ),
    "relate to key": Case(
        B_KEY,
        lambda w, x: ("POST", task_url(w, "/relations"), {"type": "relates_to", "task_id": x}),
        422,
        "task_id",
        unknown="OPS-999",
    ),
    "remove relation": Case(
        B_RELATION, lambda w, x: ("DELETE", task_url(w, f"/relations/{x}"), None), 404
    ),
    # workflow, labels and members addressed under A's project
    "delete status moving tasks there": Case(
        B_STATUS,
        lambda w, x: (
            "DELETE",
            project_url(w, f"/statuses/{a(w, 'statuses')[4]}?move_to={x}"),
            None,
        ),
        422,
        "move_to",
    ),
    "rename status": Case(
        B_STATUS, lambda w, x: ("PATCH", project_url(w, f"/statuses/{x}"), {"name": "X"}), 404
    ),
    "delete status": Case(
        B_STATUS, lambda w, x: ("DELETE", project_url(w, f"/statuses/{x}"), None), 404
    ),
    "rename label": Case(
        B_LABEL, lambda w, x: ("PATCH", project_url(w, f"/labels/{x}"), {"name": "X"}), 404
    ),
    "delete label": Case(
        B_LABEL, lambda w, x: ("DELETE", project_url(w, f"/labels/{x}"), None), 404
    ),
    "add project member": Case(
        B_USER,
        lambda w, x: ("POST", project_url(w, "/members"), {"user_id": x, "role": "admin"}),
        422,
        "user_id",
    ),
    "change project member": Case(
        B_USER, lambda w, x: ("PATCH", project_url(w, f"/members/{x}"), {"role": "admin"}), 404
    ),
    "remove project member": Case(
        B_USER, lambda w, x: ("DELETE", project_url(w, f"/members/{x}"), None), 404
    ),
    "change workspace member": Case(
        B_USER,
        lambda w, x: (
            "PATCH",
            f"/api/v1/workspaces/{a(w, 'workspace')}/members/{x}",
            {"role": "owner"},
        ),
        404,
    ),
    "remove workspace member": Case(
        B_USER,
        lambda w, x: ("DELETE", f"/api/v1/workspaces/{a(w, 'workspace')}/members/{x}", None),
        404,
    ),
}

# The same, the other way round: A's objects under B's project path.
REVERSED: dict[str, Case] = {
    "rename A's label under B's project": Case(
        lambda w: a(w, "labels")[0],
        lambda w, x: ("PATCH", f"/api/v1/projects/{b(w, 'project')}/labels/{x}", {"name": "X"}),
        404,
    ),
    "delete A's status under B's project": Case(
        lambda w: a(w, "statuses")[0],
        lambda w, x: ("DELETE", f"/api/v1/projects/{b(w, 'project')}/statuses/{x}", None),
        404,
    ),
}


async def snapshot(app: FastAPI, c: httpx.AsyncClient, w: W) -> dict[str, Any]:
    """Everything the cases could change, read as each workspace's owner."""
    state: dict[str, Any] = {"last_event": await last_event(app)}
    for side, owner in (("a", "alice"), ("b", "bob")):
        headers = {"Authorization": f"Bearer {w['tokens'][owner]}"}
        ws, project, task = w[side]["workspace"], w[side]["project"], w[side]["tasks"][0]
        for name, url in {
            "members": f"/api/v1/workspaces/{ws}/members",
            "tasks": f"/api/v1/projects/{project}/tasks",
            "statuses": f"/api/v1/projects/{project}/statuses",
            "labels": f"/api/v1/projects/{project}/labels",
            "project_members": f"/api/v1/projects/{project}/members",
            "relations": f"/api/v1/tasks/{task}/relations",
            "comments": f"/api/v1/tasks/{task}/comments",
        }.items():
            state[f"{side}.{name}"] = expect(await c.get(url, headers=headers), 200)
    return state


async def call(c: httpx.AsyncClient, w: W, actor: str, req: Request) -> httpx.Response:
    method, url, body = req
    headers = {"Authorization": f"Bearer {w['tokens'][actor]}"}
    return await c.request(method, url, json=body, headers=headers)


def comparable(r: httpx.Response, sent_id: str) -> tuple[int, dict[str, Any]]:
    """Status and body, with the request id dropped and the id that was sent blanked (an
    error may repeat what it was given)."""
    body = json.loads(r.text.replace(sent_id, "<id>"))
    body.pop("request_id", None)
    return r.status_code, body


def check(case: Case, r: httpx.Response) -> str | None:
    if r.status_code != case.status:
        return f"{r.status_code} (expected {case.status}): {r.text[:200]}"
    if r.headers.get("content-type") != "application/problem+json":
        return f"not a problem document: {r.headers.get('content-type')}"
    if case.field is not None:
        fields = [e["field"] for e in r.json().get("errors", [])]
        if case.field not in fields:
            return f"422 names {fields}, not {case.field}"
    return None


ALL = {**CASES, **REVERSED}


async def test_dual_member_cannot_mix_workspaces(world_copy: tuple[str, W], tmp_path: Path) -> None:
    database_url, w = world_copy
    async with serving(database_url, tmp_path / "data") as (app, c):
        before = await snapshot(app, c, w)
        failures = {}
        for name, case in ALL.items():
            r = await call(c, w, "dual", case.request(w, case.foreign(w)))
            if (problem := check(case, r)) is not None:
                failures[name] = problem
        after = await snapshot(app, c, w)
    assert not failures, "\n".join(f"{k}: {v}" for k, v in failures.items())
    assert after == before


async def test_ids_of_an_unseen_workspace_look_unknown(
    world_copy: tuple[str, W], tmp_path: Path
) -> None:
    database_url, w = world_copy
    async with serving(database_url, tmp_path / "data") as (app, c):
        before = await snapshot(app, c, w)
        failures = {}
        for name, case in CASES.items():
            foreign = await call(c, w, "solo", case.request(w, case.foreign(w)))
            stand_in = case.unknown or str(uuid.uuid4())
            unknown = await call(c, w, "solo", case.request(w, stand_in))
            if (problem := check(case, foreign)) is not None:
                failures[name] = problem
            elif comparable(foreign, case.foreign(w)) != comparable(unknown, stand_in):
                failures[name] = f"differs from an unknown id: {foreign.text} / {unknown.text}"
        after = await snapshot(app, c, w)
    assert not failures, "\n".join(f"{k}: {v}" for k, v in failures.items())
    assert after == before


@pytest.mark.parametrize("backend", ["sqlite"])  # the same queries as above, read-only
async def test_list_filters_never_return_another_workspaces_tasks(
    world_copy: tuple[str, W], tmp_path: Path
) -> None:
    database_url, w = world_copy
    filters = {
        "status_id": B_STATUS(w),
        "label_id": B_LABEL(w),
        "parent_id": B_TASK(w),
        "assignee_id": B_USER(w),
    }
    async with serving(database_url, tmp_path / "data") as (_, c):
        for actor in ("dual", "solo"):
            headers = {"Authorization": f"Bearer {w['tokens'][actor]}"}
            everything = expect(await c.get(project_url(w, "/tasks"), headers=headers), 200)
            assert {t["id"] for t in everything["items"]} == set(a(w, "tasks"))
            for name, value in filters.items():
                r = await c.get(project_url(w, "/tasks"), params={name: value}, headers=headers)
                assert r.status_code == 200, (actor, name, r.text)
                assert r.json()["items"] == [], (actor, name)
            # Another workspace's project is not a filter away either.
            r = await c.get(f"/api/v1/projects/{b(w, 'project')}/tasks", headers=headers)
            assert r.status_code == (200 if actor == "dual" else 404)


async def test_task_keys_resolve_inside_the_callers_workspaces(
    world_copy: tuple[str, W], tmp_path: Path
) -> None:
    """Both workspaces have a project ENG, so ENG-1 exists twice."""
    database_url, w = world_copy
    solo = {"Authorization": f"Bearer {w['tokens']['solo']}"}
    dual = {"Authorization": f"Bearer {w['tokens']['dual']}"}
    async with serving(database_url, tmp_path / "data") as (app, c):
        mine = expect(await c.get("/api/v1/tasks/ENG-1", headers=solo), 200)
        assert mine["id"] == a(w, "tasks")[0]
        for method, suffix, body in (
            ("GET", "", None),
            ("PATCH", "", {"title": "Which one?"}),
            ("POST", "/comments", {"body": "Which one?"}),
            ("POST", "/move", {"status_id": a(w, "statuses")[0]}),
        ):
            before = await last_event(app)
            r = await c.request(method, f"/api/v1/tasks/ENG-1{suffix}", json=body, headers=dual)
            assert r.status_code == 409, r.text
            assert r.json()["code"] == "ambiguous_key"
            assert await last_event(app) == before
        by_id = expect(await c.get(f"/api/v1/tasks/{b(w, 'eng')['tasks'][0]}", headers=dual), 200)
        assert by_id["key"] == "ENG-1"
        assert by_id["project_id"] == b(w, "eng")["project"]


@pytest.mark.parametrize("backend", ["sqlite"])  # tests/meta covers outsiders on both
async def test_comments_and_tasks_of_an_unseen_workspace_are_404(
    world_copy: tuple[str, W], tmp_path: Path
) -> None:
    database_url, w = world_copy
    solo = {"Authorization": f"Bearer {w['tokens']['solo']}"}
    comment, task = b(w, "comment"), B_TASK(w)
    async with serving(database_url, tmp_path / "data") as (app, c):
        before = await snapshot(app, c, w)
        for method, url, body in (
            ("GET", f"/api/v1/comments/{comment}", None),
            ("PATCH", f"/api/v1/comments/{comment}", {"body": "mine now"}),
            ("DELETE", f"/api/v1/comments/{comment}", None),
            ("GET", f"/api/v1/tasks/{task}", None),
            ("GET", f"/api/v1/tasks/{B_KEY(w)}", None),
            ("POST", f"/api/v1/tasks/{task}/comments", {"body": "hello"}),
            ("GET", f"/api/v1/tasks/{task}/activity", None),
            (
                "POST",
                f"/api/v1/tasks/{task}/relations",
                {"type": "blocks", "task_id": a(w, "tasks")[0]},
            ),
            ("DELETE", f"/api/v1/tasks/{task}", None),
        ):
            r = await c.request(method, url, json=body, headers=solo)
            assert r.status_code == 404, (method, url, r.text)
        assert await snapshot(app, c, w) == before
