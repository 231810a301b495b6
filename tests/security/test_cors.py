"""CORS: browsers on configured origins may call the API with credentials; no one else."""

from __future__ import annotations

import httpx
import pytest
from pydantic import ValidationError

from tasklane.config import Settings
from tests.factories import make_user


@pytest.fixture
def backend() -> str:
    """Not about data: SQLite is enough."""
    return "sqlite"


TRUSTED = "https://app.example.com"
OTHER_TRUSTED = "http://localhost:5173"
STRANGER = "https://evil.example.net"


def preflight(origin: str, method: str = "POST", headers: str = "authorization, content-type"):
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


class TestConfiguredOrigins:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"cors_origins": f"{TRUSTED}, {OTHER_TRUSTED}/"}

    async def test_trusted_origin_reads_with_credentials(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        r = await client.get("/api/v1/users/me", headers={**user.headers, "Origin": TRUSTED})
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == TRUSTED
        assert r.headers["access-control-allow-credentials"] == "true"
        exposed = {h.strip().lower() for h in r.headers["access-control-expose-headers"].split(",")}
        assert {"etag", "x-request-id", "retry-after"} <= exposed
        assert "origin" in r.headers["vary"].lower()

    async def test_each_listed_origin_is_echoed_alone(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/healthz", headers={"Origin": OTHER_TRUSTED})
        assert r.headers["access-control-allow-origin"] == OTHER_TRUSTED

    async def test_trusted_preflight_allows_writes_with_our_headers(
        self, client: httpx.AsyncClient
    ) -> None:
        r = await client.options(
            "/api/v1/workspaces",
            headers=preflight(
                TRUSTED, "PATCH", "authorization, content-type, x-csrf-token, if-match"
            ),
        )
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == TRUSTED
        methods = {m.strip() for m in r.headers["access-control-allow-methods"].split(",")}
        assert {"GET", "POST", "PATCH", "DELETE"} <= methods
        allowed = {h.strip().lower() for h in r.headers["access-control-allow-headers"].split(",")}
        assert {"authorization", "x-csrf-token", "if-match", "idempotency-key"} <= allowed

    async def test_stranger_gets_no_cors_headers(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        r = await client.get("/api/v1/users/me", headers={**user.headers, "Origin": STRANGER})
        assert r.status_code == 200  # the browser, not the server, withholds the answer
        # Without Allow-Origin naming it, no browser lets the page read the answer.
        assert "access-control-allow-origin" not in r.headers

    @pytest.mark.parametrize(
        "origin",
        [STRANGER, "https://app.example.com.evil.net", "http://app.example.com", "null"],
    )
    async def test_stranger_preflight_is_refused(
        self, client: httpx.AsyncClient, origin: str
    ) -> None:
        r = await client.options("/api/v1/workspaces", headers=preflight(origin))
        assert r.status_code == 400
        assert "access-control-allow-origin" not in r.headers

    async def test_unlisted_header_is_refused(self, client: httpx.AsyncClient) -> None:
        r = await client.options("/api/v1/workspaces", headers=preflight(TRUSTED, "POST", "x-evil"))
        assert r.status_code == 400

    async def test_refusals_carry_cors_headers_so_the_page_can_read_them(
        self, client: httpx.AsyncClient
    ) -> None:
        r = await client.get(f"/api/v1/users/me?{'q=' + 'x' * 9000}", headers={"Origin": TRUSTED})
        assert r.status_code == 414
        assert r.headers["access-control-allow-origin"] == TRUSTED


class TestNoOrigins:
    async def test_no_cors_headers_at_all(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/healthz", headers={"Origin": TRUSTED})
        assert "access-control-allow-origin" not in r.headers
        pre = await client.options("/api/v1/workspaces", headers=preflight(TRUSTED))
        assert "access-control-allow-origin" not in pre.headers
        assert pre.status_code == 405


class TestSetting:
    def test_parses_comma_separated_env(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TASKLANE_CORS_ORIGINS", f"{TRUSTED},{OTHER_TRUSTED}/ ")
        assert Settings().cors_origins == [TRUSTED, OTHER_TRUSTED]

    @pytest.mark.parametrize("value", ["*", "app.example.com", "https://app.example.com/path"])
    def test_refuses_what_is_not_an_origin(self, value: str) -> None:
        with pytest.raises(ValidationError, match="not an origin"):
            Settings(cors_origins=value)  # type: ignore[arg-type]
