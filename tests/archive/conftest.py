"""A lived-in installation, made once per backend and copied per test: the demo workspace
(made through the real services: statuses changed, tasks done and reopened, subtasks,
relations), an attachment, a saved view, a webhook with deliveries, a trashed task and
notifications, all with their events."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from tests.conftest import PG_ADMIN_URL, _asyncpg_url, database_copy, make_settings, pg_admin
from tests.conftest import migrated_template as template_of
from tests.factories import expect

from tasklane.app import create_app
from tasklane.config import Settings
from tasklane.demo import DEMO_PASSWORD, DEMO_SLUG, demo_email, fill_demo
from tasklane.events.dispatch import Dispatcher
from tasklane.notifications.fanout import NotificationConsumer
from tasklane.webhooks.consumer import WebhookConsumer

API = "/api/v1"
ATTACHMENT = b"the archive keeps every byte\n" * 300
OVERRIDES: dict[str, object] = {"webhook_allow_private": True}


@dataclass(frozen=True)
class World:
    backend: str
    source: str
    """The SQLite file or PostgreSQL database the tests copy."""
    data: Path
    """Its data folder (the attachments' files)."""
    workspace_id: str
    attachment_id: str


def world_settings(url: str, data: Path, **overrides: object) -> Settings:
    return make_settings(url, data, **{**OVERRIDES, **overrides})


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield app, c


async def login(client: httpx.AsyncClient, handle: str) -> dict[str, str]:
    body = {"email": demo_email(handle), "password": DEMO_PASSWORD}
    tokens = expect(await client.post(f"{API}/auth/login", json=body), 200)
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def add_task(settings: Settings, workspace_id: str, title: str) -> None:
    """Ada adds a task to the first project of the workspace, through the API of an app
    serving `settings`."""
    async with serving(settings) as (_app, client):
        ada = await login(client, "ada")
        projects = expect(
            await client.get(f"{API}/workspaces/{workspace_id}/projects", headers=ada), 200
        )
        project = _items(projects)[0]["id"]
        expect(
            await client.post(
                f"{API}/projects/{project}/tasks", json={"title": title}, headers=ada
            ),
            201,
        )


async def drain(app: FastAPI) -> int:
    """Run the notification and webhook consumers over what was committed since they last
    ran, as a running worker does; the number of events they were handed."""
    runtime = app.state.runtime
    consumers = [NotificationConsumer(runtime.settings, runtime.db), WebhookConsumer(runtime.db)]
    dispatcher = Dispatcher(runtime.settings, runtime.db, consumers)
    await dispatcher.prepare()  # a consumer new to the log starts at its head
    total = 0
    for consumer in consumers:
        while handled := await dispatcher.dispatch_once(consumer):
            total += handled
    await dispatcher.save_positions()
    return total


def _items(listed: Any) -> list[Any]:
    return list(listed["items"] if isinstance(listed, dict) else listed)


async def _build(url: str, data: Path) -> tuple[str, str]:
    async with serving(world_settings(url, data)) as (app, client):
        # The consumers start at the log's head, as in a running installation.
        await Dispatcher(
            app.state.runtime.settings,
            app.state.runtime.db,
            [
                NotificationConsumer(app.state.runtime.settings, app.state.runtime.db),
                WebhookConsumer(app.state.runtime.db),
            ],
        ).prepare()
        await fill_demo(app.state.runtime, tasks_per_project=6)
        ada = await login(client, "ada")
        workspaces = expect(await client.get(f"{API}/workspaces", headers=ada), 200)
        workspace = next(w for w in _items(workspaces) if w["slug"] == DEMO_SLUG)
        projects = expect(
            await client.get(f"{API}/workspaces/{workspace['id']}/projects", headers=ada), 200
        )
        projects = _items(projects)
        tasks = expect(
            await client.get(f"{API}/projects/{projects[0]['id']}/tasks?limit=5", headers=ada),
            200,
        )["items"]
        expect(
            await client.post(
                f"{API}/workspaces/{workspace['id']}/webhooks",
                json={"url": "http://127.0.0.1:9/hook", "event_types": ["task.*"]},
                headers=ada,
            ),
            201,
        )
        expect(
            await client.post(
                f"{API}/workspaces/{workspace['id']}/views",
                json={"name": "Open work", "query": "is:open", "shared": True, "sort": "created"},
                headers=ada,
            ),
            201,
        )
        attachment = expect(
            await client.post(
                f"{API}/tasks/{tasks[0]['id']}/attachments",
                files={"file": ("notes.txt", ATTACHMENT, "text/plain")},
                headers=ada,
            ),
            201,
        )
        expect(
            await client.post(
                f"{API}/tasks/{tasks[1]['id']}/comments",
                json={"body": "@grace could you look at this one?"},
                headers=ada,
            ),
            201,
        )
        expect(await client.delete(f"{API}/tasks/{tasks[3]['id']}", headers=ada), 204)
        assert await drain(app) > 0
        return workspace["id"], attachment["id"]


_WORLDS: dict[str, World] = {}


@pytest.fixture(scope="session")
def archive_worlds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, World]]:
    yield _WORLDS
    for made in _WORLDS.values():
        if made.backend == "postgres":
            pg_admin(f'DROP DATABASE IF EXISTS "{made.source}" WITH (FORCE)')
    _WORLDS.clear()


@pytest.fixture
def world(
    backend: str,
    request: pytest.FixtureRequest,
    archive_worlds: dict[str, World],
    tmp_path_factory: pytest.TempPathFactory,
) -> World:
    made = archive_worlds.get(backend)
    if made is not None:
        return made
    template = template_of(backend, request)
    folder = tmp_path_factory.mktemp(f"archive_world_{backend}")
    if backend == "sqlite":
        source = str(folder / "tasklane.db")
        shutil.copyfile(template, source)
        url = f"sqlite+aiosqlite:///{source}"
    else:
        source = f"{template}_archive_world"
        pg_admin(
            f'DROP DATABASE IF EXISTS "{source}" WITH (FORCE)',
            f'CREATE DATABASE "{source}" TEMPLATE "{template}"',
        )
        url = _asyncpg_url(PG_ADMIN_URL, source)
    workspace_id, attachment_id = asyncio.run(_build(url, folder / "data"))
    made = World(backend, source, folder / "data", workspace_id, attachment_id)
    archive_worlds[backend] = made
    return made


def copy_world(made: World, folder: Path) -> Iterator[tuple[str, Path]]:
    """A copy of the world's database and data folder: (url, data folder)."""
    data = folder / "data"
    shutil.copytree(made.data, data)
    with database_copy(made.backend, made.source, folder) as url:
        yield url, data


@pytest.fixture
def lived_in(world: World, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A copy of the lived-in installation: (url, data folder)."""
    yield from copy_world(world, tmp_path / "source")


def _empty(
    backend: str, request: pytest.FixtureRequest, folder: Path
) -> Iterator[tuple[str, Path]]:
    folder.mkdir(parents=True, exist_ok=True)
    with database_copy(backend, template_of(backend, request), folder) as url:
        yield url, folder / "data"


@pytest.fixture
def empty(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[str, Path]]:
    """A new installation of the test's backend: migrated, no rows."""
    yield from _empty(backend, request, tmp_path / "empty")


@pytest.fixture
def empty_postgres(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    yield from _empty("postgres", request, tmp_path / "empty_postgres")


@pytest.fixture
def empty_sqlite(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    yield from _empty("sqlite", request, tmp_path / "empty_sqlite")
