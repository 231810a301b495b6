"""`/metrics` in production answers only scrapers with TASKLANE_METRICS_TOKEN; without a token
configured it is not served there at all. In development it stays open."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from tasklane.app import create_app
from tests.conftest import make_settings

TOKEN = "metrics-token-that-is-long-enough-0123456789"


@pytest.fixture
def backend() -> str:
    return "sqlite"


async def serve(
    database_url: str, tmp_path: Path, **overrides: object
) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(database_url, tmp_path / "data", **overrides)
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


@pytest.fixture
async def production(database_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for c in serve(database_url, tmp_path, environment="production"):
        yield c


@pytest.fixture
async def production_with_token(
    database_url: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    async for c in serve(database_url, tmp_path, environment="production", metrics_token=TOKEN):
        yield c


@pytest.fixture
async def development(database_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for c in serve(database_url, tmp_path, environment="development"):
        yield c


async def test_production_without_a_token_does_not_serve_metrics(
    production: httpx.AsyncClient,
) -> None:
    r = await production.get("/metrics")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert "tasklane_http" not in r.text
    r = await production.get("/metrics", headers={"Authorization": "Bearer anything"})
    assert r.status_code == 404


async def test_production_with_a_token_needs_it(production_with_token: httpx.AsyncClient) -> None:
    assert (await production_with_token.get("/metrics")).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert (await production_with_token.get("/metrics", headers=wrong)).status_code == 401
    right = {"Authorization": f"Bearer {TOKEN}"}
    r = await production_with_token.get("/metrics", headers=right)
    assert r.status_code == 200
    assert "tasklane_http_requests_in_flight" in r.text


async def test_development_stays_open(development: httpx.AsyncClient) -> None:
    assert (await development.get("/metrics")).status_code == 200


@pytest.mark.parametrize("empty", ["", "   "])
async def test_an_empty_token_is_no_token(database_url: str, tmp_path: Path, empty: str) -> None:
    """`TASKLANE_METRICS_TOKEN=` (as an env file leaves it) must not make `Bearer ` the key."""
    async for c in serve(database_url, tmp_path, environment="production", metrics_token=empty):
        r = await c.get("/metrics", headers={"Authorization": "Bearer "})
        assert r.status_code == 404
        assert "tasklane_" not in r.text


def test_a_short_token_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 16 random characters"):
        make_settings("", tmp_path, metrics_token="guessable")
