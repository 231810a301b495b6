"""Security headers on every response: API answers, problems, docs, health and the web app."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import httpx
import pytest

from tests.factories import make_user


@pytest.fixture
def backend() -> str:
    """Not about data: SQLite is enough."""
    return "sqlite"


COMMON = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
}
THEME_SCRIPT = "document.documentElement.dataset.theme = 'dark';"
INDEX_HTML = f"""<!doctype html>
<html><head><title>Tasklane</title><script>{THEME_SCRIPT}</script></head>
<body><div id="root"></div><script type="module" src="/assets/app.js"></script></body></html>
"""


def assert_common(response: httpx.Response) -> None:
    for name, value in COMMON.items():
        assert response.headers.get(name) == value, (name, dict(response.headers))
    assert "camera=()" in response.headers["permissions-policy"]
    assert "x-request-id" in response.headers
    assert "strict-transport-security" not in response.headers


def csp(response: httpx.Response) -> dict[str, list[str]]:
    policy: dict[str, list[str]] = {}
    for directive in response.headers["content-security-policy"].split(";"):
        name, *values = directive.split()
        policy[name] = values
    return policy


class TestApi:
    async def test_json_answer(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        r = await client.get("/api/v1/users/me", headers=user.headers)
        assert r.status_code == 200
        assert_common(r)
        policy = csp(r)
        assert policy["default-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert r.headers["cache-control"] == "no-store"

    @pytest.mark.parametrize(
        ("method", "path", "status"),
        [
            ("GET", "/api/v1/users/me", 401),
            ("GET", "/api/v1/no-such-thing", 404),
            ("DELETE", "/api/v1/users/me", 405),
            ("POST", "/api/v1/auth/login", 422),
        ],
    )
    async def test_problem_answers(
        self, client: httpx.AsyncClient, method: str, path: str, status: int
    ) -> None:
        r = await client.request(method, path, json={})
        assert r.status_code == status
        assert r.headers["content-type"] == "application/problem+json"
        assert_common(r)
        assert csp(r)["default-src"] == ["'none'"]

    async def test_openapi_document(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/api/openapi.json")
        assert r.status_code == 200
        assert_common(r)


class TestOtherPages:
    async def test_health(self, client: httpx.AsyncClient) -> None:
        for path in ("/healthz", "/readyz"):
            r = await client.get(path)
            assert r.status_code == 200
            assert_common(r)
            assert csp(r)["frame-ancestors"] == ["'none'"]

    async def test_docs_may_load_swagger_ui_and_nothing_else(
        self, client: httpx.AsyncClient
    ) -> None:
        r = await client.get("/api/docs")
        assert r.status_code == 200
        assert "cdn.jsdelivr.net" not in r.text
        assert_common(r)
        policy = csp(r)
        assert policy["default-src"] == ["'none'"]
        assert policy["script-src"][0] == "'self'"
        assert all(s.startswith("'sha256-") for s in policy["script-src"][1:])
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["connect-src"] == ["'self'"]


class TestWebApp:
    @pytest.fixture
    def settings_overrides(self, tmp_path: Path) -> dict[str, object]:
        web = tmp_path / "web"
        (web / "assets").mkdir(parents=True)
        (web / "index.html").write_text(INDEX_HTML)
        (web / "assets" / "app.js").write_text("console.log('app');")
        return {"web_dir": web}

    async def test_page_allows_its_own_inline_script_by_hash(
        self, client: httpx.AsyncClient
    ) -> None:
        r = await client.get("/p/some/board")
        assert r.status_code == 200
        assert '<div id="root">' in r.text
        assert_common(r)
        policy = csp(r)
        digest = base64.b64encode(hashlib.sha256(THEME_SCRIPT.encode()).digest()).decode()
        assert policy["script-src"] == ["'self'", f"'sha256-{digest}'"]
        assert "'unsafe-inline'" not in policy["script-src"]
        assert "'unsafe-eval'" not in policy["script-src"]
        assert policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["connect-src"] == ["'self'", "ws://127.0.0.1:8000"]

    async def test_handler_headers_are_kept(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/assets/app.js")
        assert r.status_code == 200
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert_common(r)

    async def test_a_rebuilt_page_gets_new_hashes(
        self, client: httpx.AsyncClient, settings_overrides: dict[str, object]
    ) -> None:
        index = Path(str(settings_overrides["web_dir"])) / "index.html"
        before = csp(await client.get("/"))["script-src"]
        index.write_text(INDEX_HTML.replace(THEME_SCRIPT, "window.rebuilt = true;"))
        after = csp(await client.get("/"))["script-src"]
        assert before != after
        assert len(after) == 2


class TestHttps:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"public_url": "https://tasks.example.com"}

    async def test_hsts_and_secure_websocket(self, client: httpx.AsyncClient) -> None:
        for path in ("/api/v1/users/me", "/healthz", "/"):
            r = await client.get(path)
            assert r.headers["strict-transport-security"] == ("max-age=31536000; includeSubDomains")
        assert "wss://tasks.example.com" in csp(await client.get("/"))["connect-src"]
