"""Serving the web app's build: SPA fallback, caching, compression, and what it never answers."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager

from tasklane.app import create_app
from tasklane.config import Settings
from tasklane.webapp import ASSET_CACHE
from tests.conftest import make_settings

INDEX = b"<!doctype html><title>Tasklane</title><div id=root></div>"
SCRIPT = b"console.log('tasklane');" * 200


@pytest.fixture(scope="module")
def web_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp_path = tmp_path_factory.mktemp("web")
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_bytes(INDEX)
    (root / "assets" / "index-AbC123.js").write_bytes(SCRIPT)
    (root / "assets" / "index-AbC123.js.gz").write_bytes(gzip.compress(SCRIPT))
    (root / "assets" / "index-AbC123.css").write_text("body{color:red}")
    (root / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "secret.txt").write_text("not for the web")
    return root


pytestmark = pytest.mark.asyncio(loop_scope="module")


async def _serve(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as c,
    ):
        yield c


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(web_dir: Path, sqlite_template: Path) -> AsyncIterator[httpx.AsyncClient]:
    """One app for the module: serving files reads no rows, so nothing is shared but files."""
    settings = make_settings(
        f"sqlite+aiosqlite:///{sqlite_template}", web_dir.parent / "data", web_dir=web_dir
    )
    async for c in _serve(settings):
        yield c


@pytest.mark.parametrize(
    "path", ["/", "/signin", "/p/0190f0e4-aaaa/board", "/t/ENG-42", "/w/x/y/z"]
)
async def test_client_routes_answer_with_the_app_and_are_revalidated(
    client: httpx.AsyncClient, path: str
) -> None:
    r = await client.get(path)
    assert r.status_code == 200
    assert r.content == INDEX
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == "no-cache"


async def test_hashed_assets_are_cached_for_a_year(client: httpx.AsyncClient) -> None:
    r = await client.get("/assets/index-AbC123.css")
    assert r.status_code == 200
    assert r.text == "body{color:red}"
    assert r.headers["cache-control"] == ASSET_CACHE == "public, max-age=31536000, immutable"
    assert r.headers["content-type"].startswith("text/css")


async def test_precompressed_assets_go_to_clients_that_accept_gzip(
    client: httpx.AsyncClient,
) -> None:
    zipped = await client.get("/assets/index-AbC123.js", headers={"Accept-Encoding": "gzip"})
    assert zipped.status_code == 200
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["content-type"].startswith("text/javascript")
    assert zipped.headers["vary"] == "Accept-Encoding"
    assert int(zipped.headers["content-length"]) < len(SCRIPT) / 5
    assert zipped.content == SCRIPT  # httpx decodes it
    plain = await client.get("/assets/index-AbC123.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == SCRIPT


async def test_head_is_answered_like_get(client: httpx.AsyncClient) -> None:
    r = await client.head("/p/x/board")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["content-length"] == str(len(INDEX))


@pytest.mark.parametrize(
    "path",
    [
        "/assets/index-OLD999.js",  # a stale page asking for an old build: never index.html
        "/assets/../../secret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt",
        "/missing.png",
        "/..%2fsecret.txt",
    ],
)
async def test_missing_files_and_escapes_are_404_problems(
    client: httpx.AsyncClient, path: str
) -> None:
    r = await client.get(path)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert "not for the web" not in r.text


async def test_root_files_of_the_build_are_served(client: httpx.AsyncClient) -> None:
    r = await client.get("/favicon.svg")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("image/svg+xml")


@pytest.mark.parametrize(
    "path", ["/api/v1/nothing-here", "/api/v2/tasks", "/api/", "/healthz/x", "/readyz/deep"]
)
async def test_api_and_operations_paths_never_fall_back_to_the_app(
    client: httpx.AsyncClient, path: str
) -> None:
    r = await client.get(path)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "not_found"


async def test_the_api_and_health_still_answer(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/api/v1/users/me")).status_code == 401
    assert (await client.get("/api/openapi.json")).status_code == 200


async def test_writes_to_app_routes_are_refused(client: httpx.AsyncClient) -> None:
    r = await client.post("/p/x/board", json={})
    assert r.status_code == 405


async def test_a_missing_build_says_how_to_build_it(tmp_path: Path, sqlite_template: Path) -> None:
    settings = make_settings(
        f"sqlite+aiosqlite:///{sqlite_template}", tmp_path / "data", web_dir=tmp_path / "none"
    )
    async for c in _serve(settings):
        r = await c.get("/p/x/board")
        assert r.status_code == 503
        assert "npm run build" in r.text
        assert "make run" in r.text
        api = await c.get("/api/v1/users/me")
        assert api.status_code == 401


async def test_the_web_app_is_not_part_of_the_api_contract() -> None:
    spec = create_app(Settings(database_url="sqlite+aiosqlite:///unused.db")).openapi()
    assert "/{path}" not in spec["paths"]
