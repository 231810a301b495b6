from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tasklane.config import Settings
from tasklane.demo import DEMO_PASSWORD, DemoExists, fill_demo
from tasklane.models import Event
from tasklane.runtime import Runtime
from tests.factories import expect


async def test_demo_fills_a_usable_workspace(
    settings: Settings, app: FastAPI, client: httpx.AsyncClient
) -> None:
    runtime = Runtime.build(settings)
    try:
        summary = await fill_demo(runtime, tasks_per_project=12)
        with pytest.raises(DemoExists):
            await fill_demo(runtime, tasks_per_project=1)
    finally:
        await runtime.close()
    assert summary.tasks == 48
    tokens = expect(
        await client.post(
            "/api/v1/auth/login",
            json={"email": "linus@demo.tasklane.dev", "password": DEMO_PASSWORD},
        ),
        200,
    )
    h = {"Authorization": f"Bearer {tokens['access_token']}"}
    ws = expect(await client.get("/api/v1/workspaces", headers=h), 200)["items"][0]
    members = expect(await client.get(f"/api/v1/workspaces/{ws['id']}/members", headers=h), 200)
    assert len(members["items"]) == 6
    projects = expect(await client.get(f"/api/v1/workspaces/{ws['id']}/projects", headers=h), 200)
    assert sorted(p["key"] for p in projects["items"]) == ["ENG", "MOB", "OPS", "WEB"]
    eng = next(p for p in projects["items"] if p["key"] == "ENG")
    listed = expect(
        await client.get(f"/api/v1/projects/{eng['id']}/tasks", params={"limit": 200}, headers=h),
        200,
    )
    assert len(listed["items"]) == 12
    assert min(listed["items"], key=lambda t: t["number"])["key"] == "ENG-1"
    async with app.state.runtime.db.transaction(write=False) as s:
        seqs = list((await s.scalars(select(Event.seq).order_by(Event.seq))).all())
    assert seqs == list(range(1, len(seqs) + 1))
