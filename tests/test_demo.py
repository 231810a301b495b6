"""`tasklane demo`: the demo workspace is made through the real services and reads back
through the API like any other data."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from tasklane.config import Settings
from tasklane.demo import DEMO_PASSWORD, DEMO_SLUG, DemoExists, DemoSummary, fill_demo
from tasklane.models import Event, Project, Task, Workspace
from tasklane.projects.workflow import StatusCategory
from tasklane.runtime import Runtime
from tests.conftest import make_settings
from tests.factories import expect, make_user

TASKS_PER_PROJECT = 15
BIN = Path(sys.executable).parent / "tasklane"


async def _fill(settings: Settings, **kwargs: Any) -> DemoSummary:
    runtime = Runtime.build(settings)
    try:
        return await fill_demo(runtime, **kwargs)
    finally:
        await runtime.close()


async def _login(client: httpx.AsyncClient, handle: str) -> dict[str, str]:
    tokens = expect(
        await client.post(
            "/api/v1/auth/login",
            json={"email": f"{handle}@demo.tasklane.dev", "password": DEMO_PASSWORD},
        ),
        200,
    )
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def _all(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> list[Any]:
    items: list[Any] = []
    params: dict[str, Any] = {"limit": 200}
    while True:
        page = expect(await client.get(url, params=params, headers=headers), 200)
        items += page["items"]
        if not page.get("next_cursor"):
            return items
        params["cursor"] = page["next_cursor"]


async def _event_seqs(app: FastAPI) -> list[int]:
    async with app.state.runtime.db.transaction(write=False) as s:
        return list((await s.scalars(select(Event.seq).order_by(Event.seq))).all())


async def test_demo_fills_a_usable_workspace(
    settings: Settings, app: FastAPI, client: httpx.AsyncClient
) -> None:
    summary = await _fill(settings, tasks_per_project=TASKS_PER_PROJECT)
    assert summary.projects == 4
    assert summary.tasks == 4 * TASKS_PER_PROJECT
    assert summary.completed == summary.by_category[StatusCategory.DONE]
    assert all(n > 0 for n in summary.by_category.values()), summary.by_category
    assert summary.comments > 0
    assert summary.subtasks > 0
    assert [u.role for u in summary.users] == [
        "owner",
        "admin",
        "member",
        "member",
        "member",
        "guest",
    ]

    h = await _login(client, "ada")
    (ws,) = expect(await client.get("/api/v1/workspaces", headers=h), 200)["items"]
    assert (ws["name"], ws["slug"], ws["role"]) == ("Acme Robotics", DEMO_SLUG, "owner")
    members = expect(await client.get(f"/api/v1/workspaces/{ws['id']}/members", headers=h), 200)
    assert sorted(m["role"] for m in members["items"]) == sorted(u.role for u in summary.users)
    projects = await _all(client, f"/api/v1/workspaces/{ws['id']}/projects", h)
    assert sorted(p["key"] for p in projects) == ["ENG", "MOB", "OPS", "WEB"]

    categories: dict[str, int] = {}
    tasks: list[dict[str, Any]] = []
    for project in projects:
        statuses = expect(
            await client.get(f"/api/v1/projects/{project['id']}/statuses", headers=h), 200
        )["items"]
        category = {s["id"]: s["category"] for s in statuses}
        labels = expect(
            await client.get(f"/api/v1/projects/{project['id']}/labels", headers=h), 200
        )["items"]
        assert len(labels) >= 4
        assert len({lb["color"] for lb in labels}) == len(labels)
        listed = await _all(client, f"/api/v1/projects/{project['id']}/tasks", h)
        assert sorted(t["number"] for t in listed) == list(range(1, TASKS_PER_PROJECT + 1))
        for task in listed:
            done = category[task["status_id"]] == StatusCategory.DONE
            assert (task["completed_at"] is not None) == done, task
            categories[category[task["status_id"]]] = (
                categories.get(category[task["status_id"]], 0) + 1
            )
        tasks += listed
    assert categories == {str(c): n for c, n in summary.by_category.items()}
    assert any(t["parent_id"] for t in tasks)
    assert any(t["assignee_ids"] for t in tasks)
    assert any(len(t["assignee_ids"]) == 2 for t in tasks)
    assert any(t["label_ids"] for t in tasks)
    assert any(t["description"].startswith(("## ", "**")) for t in tasks)
    assert any(t["due_date"] for t in tasks)

    comments = 0
    for task in tasks:
        comments += len(await _all(client, f"/api/v1/tasks/{task['key']}/comments", h))
    assert comments == summary.comments

    # The guest sees only the two projects she was added to, and can read their tasks.
    guest = await _login(client, "barbara")
    visible = await _all(client, f"/api/v1/workspaces/{ws['id']}/projects", guest)
    assert sorted(p["key"] for p in visible) == ["MOB", "WEB"]
    expect(await client.get("/api/v1/tasks/WEB-1", headers=guest), 200)
    expect(await client.get("/api/v1/tasks/ENG-1", headers=guest), 404)

    # Every change went through the services: one event each, numbered without gaps.
    seqs = await _event_seqs(app)
    assert seqs == list(range(1, len(seqs) + 1))
    async with app.state.runtime.db.transaction(write=False) as s:
        created = await s.scalar(
            select(func.count()).select_from(Event).where(Event.type == "task.created")
        )
    assert created == summary.tasks


async def test_demo_refuses_a_second_run(settings: Settings, app: FastAPI) -> None:
    await _fill(settings, tasks_per_project=2)
    before = await _event_seqs(app)
    with pytest.raises(DemoExists, match=DEMO_SLUG):
        await _fill(settings, tasks_per_project=2)
    assert await _event_seqs(app) == before


async def test_demo_refuses_when_a_demo_account_exists(
    settings: Settings, app: FastAPI, client: httpx.AsyncClient
) -> None:
    await make_user(client, email="grace@demo.tasklane.dev")
    with pytest.raises(DemoExists, match=re.escape("grace@demo.tasklane.dev")):
        await _fill(settings, tasks_per_project=2)
    async with app.state.runtime.db.transaction(write=False) as s:
        assert await s.scalar(select(func.count()).select_from(Workspace)) == 0


def _copy(source: Path, target: Path) -> Path:
    shutil.copyfile(source, target)
    return target


async def test_same_seed_same_content(sqlite_template: Path, tmp_path: Path) -> None:
    async def titles(name: str, seed: int) -> list[tuple[str, int, str]]:
        target = _copy(sqlite_template, tmp_path / f"{name}.db")
        settings = make_settings(f"sqlite+aiosqlite:///{target}", tmp_path / name)
        await _fill(settings, seed=seed, tasks_per_project=6)
        runtime = Runtime.build(settings)
        try:
            async with runtime.db.transaction(write=False) as s:
                rows = await s.execute(
                    select(Project.key, Task.number, Task.title)
                    .join(Project, Project.id == Task.project_id)
                    .order_by(Project.key, Task.number)
                )
                return [(key, number, title) for key, number, title in rows.all()]
        finally:
            await runtime.close()

    first = await titles("a", 7)
    assert len(first) == 24
    assert await titles("b", 7) == first
    assert await titles("c", 8) != first


def test_demo_command(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TASKLANE_DATA_DIR": str(tmp_path / "data"),
        "TASKLANE_DATABASE_URL": "",
        "TASKLANE_PASSWORD_HASH_TIME_COST": "1",
        "TASKLANE_PASSWORD_HASH_MEMORY_KIB": "1024",
    }

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN), "demo", "--tasks-per-project", "3"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    first = run()
    assert first.returncode == 0, first.stderr
    assert "12 tasks" in first.stdout
    assert "'tasklane-demo'" in first.stdout
    for handle in ("ada", "grace", "linus", "margaret", "ken", "barbara"):
        assert f"{handle}@demo.tasklane.dev" in first.stdout
    second = run()
    assert second.returncode == 1
    assert "exists already" in second.stderr
    assert second.stdout == ""
