"""End-to-end fixtures: a real `tasklane serve` process on a free 127.0.0.1 port with a fresh
SQLite data folder, serving the real web build, driven by Debian's Chromium through Playwright.

The web build (web/dist) must exist: `make test` builds it. Without it, or without Chromium,
these tests are skipped with a message, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser import chromium, unavailable
from tests.faults.live import LiveServer, running, server_env

ROOT = Path(__file__).resolve().parents[2]
WEB_DIST = ROOT / "web" / "dist"
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "correct horse battery staple"
# Wide enough for the five default columns: a drop near the window's edge would make the board
# scroll by itself (a feature), and the card could land in the next column.
VIEWPORT = {"width": 1720, "height": 900}
# The machines have 2 cores shared with the rest of the suite: give the UI time to settle.
expect.set_options(timeout=15_000)


@dataclass
class Server:
    base: str
    data_dir: Path

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=f"{self.base}/api/v1", timeout=10)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not (WEB_DIST / "index.html").is_file():
        unavailable(
            "The web app is not built (web/dist/index.html is missing). Run `make web` "
            "(npm ci && npm run build in web/)."
        )
    tmp = tmp_path_factory.mktemp("e2e")
    env = server_env(
        tmp / "data",
        "",
        log_level="WARNING",
        web_dir=WEB_DIST,
        redis_url="",
        # Webhooks may call a receiver the test runs on 127.0.0.1 (tests/e2e/test_webhooks.py).
        webhook_allow_private=True,
    )
    live = LiveServer(env=env, cwd=tmp)
    env["TASKLANE_PUBLIC_URL"] = live.url
    with running(live):
        yield Server(base=live.url, data_dir=tmp / "data")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Module scope, not session: Playwright's sync API runs an event loop while it is open,
    and the asyncio tests of other modules (in the same xdist worker) need theirs."""
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@dataclass
class Account:
    email: str
    name: str
    token: str
    user_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def register(server: Server, name: str) -> Account:
    email = f"{name.lower().split()[0]}-{uuid.uuid4().hex[:8]}@example.com"
    with server.api() as c:
        r = c.post("/auth/register", json={"email": email, "password": PASSWORD, "name": name})
        assert r.status_code == 201, r.text
        user_id = r.json()["id"]
        r = c.post("/auth/login", json={"email": email, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return Account(email=email, name=name, token=r.json()["access_token"], user_id=user_id)


@dataclass
class Team:
    """A workspace with a project `key` and two members, Ada (owner) and Bob."""

    ada: Account
    bob: Account
    workspace_id: str
    project_id: str
    key: str
    statuses: dict[str, str]  # name -> id


def make_team(server: Server, key: str) -> Team:
    ada = register(server, "Ada Lovelace")
    bob = register(server, "Bob Martin")
    with server.api() as c:
        ws = c.post("/workspaces", json={"name": f"Team {key}"}, headers=ada.headers).json()
        r = c.post(
            f"/workspaces/{ws['id']}/members",
            json={"email": bob.email, "role": "member"},
            headers=ada.headers,
        )
        assert r.status_code == 201, r.text
        r = c.post(f"/invitations/{r.json()['id']}/accept", headers=bob.headers)
        assert r.status_code == 200, r.text
        r = c.post(
            f"/workspaces/{ws['id']}/projects",
            json={"key": key, "name": f"Project {key}"},
            headers=ada.headers,
        )
        assert r.status_code == 201, r.text
        project = r.json()
        statuses = c.get(f"/projects/{project['id']}/statuses", headers=ada.headers).json()
    return Team(
        ada=ada,
        bob=bob,
        workspace_id=ws["id"],
        project_id=project["id"],
        key=key,
        statuses={s["name"]: s["id"] for s in statuses["items"]},
    )


def create_task(server: Server, who: Account, project_id: str, **fields: Any) -> dict[str, Any]:
    with server.api() as c:
        r = c.post(f"/projects/{project_id}/tasks", json=fields, headers=who.headers)
        assert r.status_code == 201, r.text
        return dict(r.json())


def signed_in_page(browser: Any, server: Server, who: Account, **context_options: Any) -> Any:
    """A new browser context signed in as `who` through the cookie session, on a new page."""
    context = browser.new_context(base_url=server.base, viewport=VIEWPORT, **context_options)
    r = context.request.post(
        "/api/v1/auth/session", data={"email": who.email, "password": PASSWORD}
    )
    assert r.status == 200, r.text()
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page
