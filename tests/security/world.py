"""Two workspaces built once per database backend and copied for each test.

Workspace A ("Alpha", project ENG) and workspace B ("Bravo", projects OPS and a second ENG, so
task keys collide across workspaces). Users:

- alice: owner of A; bob: owner of B; carol: member of B only;
- dual: admin of both A and B (sees everything, so only cross-workspace rules can refuse her);
- solo: admin of A only (B's ids are invisible to her).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import func, select

from tasklane.app import create_app
from tasklane.models import Event
from tests.conftest import make_settings
from tests.factories import User, add_member, expect, make_project, make_user, make_workspace

W = dict[str, Any]


async def _post(c: httpx.AsyncClient, user: User, url: str, body: Any) -> Any:
    return expect(await c.post(url, json=body, headers=user.headers), 201)


async def _side(c: httpx.AsyncClient, owner: User, name: str, key: str) -> W:
    """A workspace with one project: two labels, two tasks, a relation and a comment."""
    ws = await make_workspace(c, owner, name)
    project = await make_project(c, owner, ws["id"], key=key, name=f"{name} {key}")
    return {"workspace": ws["id"], **await _project(c, owner, project["id"])}


async def _project(c: httpx.AsyncClient, owner: User, project_id: str) -> W:
    statuses = expect(
        await c.get(f"/api/v1/projects/{project_id}/statuses", headers=owner.headers), 200
    )["items"]
    labels = [
        (await _post(c, owner, f"/api/v1/projects/{project_id}/labels", body))["id"]
        for body in ({"name": "bug", "color": "#ff0000"}, {"name": "ops", "color": "#00ff00"})
    ]
    tasks = [
        await _post(
            c,
            owner,
            f"/api/v1/projects/{project_id}/tasks",
            {"title": f"Task {i}", "status_id": statuses[1]["id"], "label_ids": labels[:1]},
        )
        for i in range(2)
    ]
    relation = await _post(
        c,
        owner,
        f"/api/v1/tasks/{tasks[0]['id']}/relations",
        {"type": "blocks", "task_id": tasks[1]["id"]},
    )
    comment = await _post(
        c, owner, f"/api/v1/tasks/{tasks[0]['id']}/comments", {"body": "A comment"}
    )
    return {
        "project": project_id,
        "statuses": [s["id"] for s in statuses],
        "labels": labels,
        "tasks": [t["id"] for t in tasks],
        "keys": [t["key"] for t in tasks],
        "relation": relation["id"],
        "comment": comment["id"],
    }


async def build_world(client: httpx.AsyncClient) -> W:
    names = ("alice", "bob", "carol", "dual", "solo")
    users = {n: await make_user(client, email=f"{n}@world.example.com") for n in names}
    a = await _side(client, users["alice"], "Alpha", "ENG")
    b = await _side(client, users["bob"], "Bravo", "OPS")
    second = await make_project(client, users["bob"], b["workspace"], key="ENG", name="Bravo ENG")
    b["eng"] = await _project(client, users["bob"], second["id"])
    await add_member(client, users["alice"], a["workspace"], users["dual"], "admin")
    await add_member(client, users["alice"], a["workspace"], users["solo"], "admin")
    await add_member(client, users["bob"], b["workspace"], users["dual"], "admin")
    await add_member(client, users["bob"], b["workspace"], users["carol"], "member")
    return {
        "a": a,
        "b": b,
        "ids": {n: u.id for n, u in users.items()},
        "emails": {n: u.email for n, u in users.items()},
        "tokens": {n: u.access_token for n, u in users.items()},
    }


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@asynccontextmanager
async def serving(database_url: str, data_dir: Path) -> AsyncIterator[tuple[FastAPI, Any]]:
    app = create_app(make_settings(database_url, data_dir, run_worker=False))
    async with LifespanManager(app), _client(app) as c:
        yield app, c


async def last_event(app: FastAPI) -> int:
    async with app.state.runtime.db.transaction(write=False) as session:
        return int(await session.scalar(select(func.max(Event.seq))) or 0)
