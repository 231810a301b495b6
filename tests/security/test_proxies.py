"""`X-Forwarded-For` is believed only from the proxies in TASKLANE_TRUSTED_PROXIES (none by
default): anyone else could pick the address their requests are counted against."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tasklane.config import Settings
from tests.factories import expect, make_user
from tests.faults.live import LiveServer, running, server_env

PER_ADDRESS = 4
LOGIN = "/api/v1/auth/login"


@pytest.fixture
def backend() -> str:
    """Not about data: SQLite is enough."""
    return "sqlite"


def limits(**extra: object) -> dict[str, object]:
    return {
        "rate_limit_writes_per_address": PER_ADDRESS,
        "rate_limit_writes_per_user": 1000,
        "login_failures_per_address": 1000,
        **extra,
    }


def client_at(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def anonymous_writes(c: httpx.AsyncClient, forwarded_for: list[str]) -> list[int]:
    return [
        (
            await c.post(
                "/api/v1/auth/refresh",
                json={"refresh_token": "x"},
                headers={"X-Forwarded-For": address},
            )
        ).status_code
        for address in forwarded_for
    ]


def distinct(n: int) -> list[str]:
    return [f"198.51.100.{i + 1}" for i in range(n)]


class TestUntrustedByDefault:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return limits()

    def test_the_default_trusts_nobody(self) -> None:
        assert Settings(environment="test").trusted_proxies == []  # type: ignore[arg-type]

    async def test_localhost_cannot_choose_its_address(self, app: FastAPI) -> None:
        async with client_at(app, "127.0.0.1") as c:
            statuses = await anonymous_writes(c, distinct(PER_ADDRESS + 1))
        assert statuses[:PER_ADDRESS] == [401] * PER_ADDRESS
        assert statuses[-1] == 429, "X-Forwarded-For from 127.0.0.1 was believed"


class TestTrustedProxy:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return limits(trusted_proxies="127.0.0.1, 10.60.0.0/16")

    def test_the_setting_takes_addresses_and_networks(self, settings: Settings) -> None:
        assert settings.trusted_proxies == ["127.0.0.1", "10.60.0.0/16"]

    def test_a_bad_entry_is_refused(self) -> None:
        with pytest.raises(ValueError, match="not-an-address"):
            Settings(environment="test", trusted_proxies="not-an-address")  # type: ignore[arg-type]

    async def test_a_trusted_proxy_forwards_each_clients_address(self, app: FastAPI) -> None:
        for proxy in ("127.0.0.1", "10.60.3.4"):
            async with client_at(app, proxy) as c:
                statuses = await anonymous_writes(c, distinct(PER_ADDRESS + 2))
            assert statuses == [401] * (PER_ADDRESS + 2), proxy

    async def test_one_forwarded_client_is_still_limited(self, app: FastAPI) -> None:
        async with client_at(app, "10.60.0.9") as c:
            statuses = await anonymous_writes(c, ["203.0.113.5"] * (PER_ADDRESS + 1))
        assert statuses[-1] == 429

    async def test_the_client_cannot_prepend_a_fake_hop(self, app: FastAPI) -> None:
        """The proxy appends the real client; earlier entries came from the client itself."""
        async with client_at(app, "127.0.0.1") as c:
            statuses = await anonymous_writes(
                c, [f"{fake}, 203.0.113.6" for fake in distinct(PER_ADDRESS + 1)]
            )
        assert statuses[-1] == 429

    async def test_other_addresses_are_not_trusted(self, app: FastAPI) -> None:
        async with client_at(app, "10.61.0.1") as c:
            statuses = await anonymous_writes(c, distinct(PER_ADDRESS + 1))
        assert statuses[-1] == 429

    async def test_sign_in_throttling_uses_the_forwarded_address(self, app: FastAPI) -> None:
        async with client_at(app, "10.60.0.1") as c:
            user = await make_user(c)
            for _ in range(5):
                r = await c.post(
                    LOGIN,
                    json={"email": user.email, "password": "wrong"},
                    headers={"X-Forwarded-For": "203.0.113.66"},
                )
                assert r.status_code in (401, 429)
            assert r.status_code == 429
            r = await c.post(
                LOGIN,
                json={"email": user.email, "password": "correct horse battery staple"},
                headers={"X-Forwarded-For": "203.0.113.77"},
            )
            expect(r, 200)


# --- a real `tasklane serve`: uvicorn must not trust forwarded headers on its own -----------


def live_statuses(tmp_path: Path, **settings: object) -> list[int]:
    env = server_env(tmp_path / "data", "", **limits(**settings))
    with (
        running(LiveServer(env=env, cwd=tmp_path)) as live,
        httpx.Client(base_url=live.url, timeout=10) as c,
    ):
        return [
            c.post(
                "/api/v1/auth/refresh",
                json={"refresh_token": "x"},
                headers={"X-Forwarded-For": address},
            ).status_code
            for address in distinct(PER_ADDRESS + 1)
        ]


def test_a_live_server_ignores_forwarded_headers_by_default(tmp_path: Path) -> None:
    statuses = live_statuses(tmp_path)
    assert statuses[-1] == 429, "uvicorn believed X-Forwarded-For from 127.0.0.1"


def test_a_live_server_believes_a_configured_proxy(tmp_path: Path) -> None:
    statuses = live_statuses(tmp_path, trusted_proxies="127.0.0.1")
    assert statuses == [401] * (PER_ADDRESS + 1)
