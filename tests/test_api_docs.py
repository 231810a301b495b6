"""The API's documentation pages work on a machine without internet: Swagger UI at /api/docs
and ReDoc at /api/redoc load their scripts and styles from Tasklane itself."""

from __future__ import annotations

import re

import httpx
import pytest


@pytest.fixture
def backend() -> str:
    """Not about data: SQLite is enough."""
    return "sqlite"


ASSET = re.compile(r"""(?:src|href)=["']([^"']+)["']""")


def csp(response: httpx.Response) -> dict[str, list[str]]:
    policy: dict[str, list[str]] = {}
    for directive in response.headers["content-security-policy"].split(";"):
        name, *values = directive.split()
        policy[name] = values
    return policy


@pytest.mark.parametrize("path", ["/api/docs", "/api/redoc"])
async def test_docs_pages_load_only_their_own_assets(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assets = ASSET.findall(r.text)
    assert assets, r.text
    for asset in assets:
        assert asset.startswith("/api/docs/assets/"), asset
        served = await client.get(asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 1000, asset
        assert b"cdn.redoc.ly" not in served.content, asset
    assert "http://" not in r.text.replace("http://www.w3.org", "")
    assert "https://" not in r.text
    policy = csp(r)
    for directive, values in policy.items():
        assert not any(v.startswith(("http:", "https:")) for v in values), (directive, values)
    assert policy["default-src"] == ["'none'"]
    assert "'self'" in policy["script-src"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]


async def test_an_unknown_asset_is_a_404_problem(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/docs/assets/nope.js")
    assert r.status_code == 404
    # The package's own code, next to its assets, is not served.
    for path in ("/api/docs/assets/..%2fcore.py", "/api/docs/assets/%2e%2e/core.py"):
        r = await client.get(path)
        assert r.status_code == 404, path
        assert b"import" not in r.content
