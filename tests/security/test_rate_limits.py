"""Write rate limits per user and per address: 429 problem with Retry-After past the budget, in
Redis when configured so they hold across processes, and the API keeps answering without it."""

from __future__ import annotations

import asyncio
import io
import json
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from redis.asyncio import Redis

from tasklane.app import create_app
from tasklane.config import Settings
from tasklane.logs import configure_logging
from tasklane.security import WriteLimiter, address_key
from tests.conftest import IN_CI
from tests.factories import Board, User, expect, make_board, make_user
from tests.faults.live import free_port


@pytest.fixture
def backend() -> str:
    """Not about data: SQLite is enough."""
    return "sqlite"


PER_USER = 5
PER_ADDRESS = 12
REDIS_URL = os.environ.get("TASKLANE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def limited(**extra: object) -> dict[str, object]:
    return {
        "rate_limit_writes_per_user": PER_USER,
        "rate_limit_writes_per_address": PER_ADDRESS,
        "rate_limit_window_seconds": 60,
        **extra,
    }


def client_at(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def rename(client: httpx.AsyncClient, user: User, n: int) -> httpx.Response:
    return await client.patch("/api/v1/users/me", json={"name": f"Name {n}"}, headers=user.headers)


def assert_429(r: httpx.Response, window: int = 60) -> None:
    assert r.status_code == 429, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "rate_limited"
    assert 1 <= int(r.headers["retry-after"]) <= window


class TestPerUser:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return limited()

    async def test_budget_then_429(self, app: FastAPI) -> None:
        async with client_at(app, "10.0.0.1") as setup, client_at(app, "10.0.0.2") as c:
            user = await make_user(setup)
            for n in range(PER_USER):
                assert (await rename(c, user, n)).status_code == 200
            r = await rename(c, user, 99)
            assert_429(r)
            me = expect(await c.get("/api/v1/users/me", headers=user.headers), 200)
            assert me["name"] == f"Name {PER_USER - 1}", "the refused write changed something"

    async def test_reads_are_not_limited(self, app: FastAPI) -> None:
        async with client_at(app, "10.0.0.3") as setup, client_at(app, "10.0.0.4") as c:
            user = await make_user(setup)
            for n in range(PER_USER):
                await rename(c, user, n)
            for _ in range(PER_USER * 3):
                assert (await c.get("/api/v1/users/me", headers=user.headers)).status_code == 200

    async def test_other_users_keep_their_budget(self, app: FastAPI) -> None:
        async with (
            client_at(app, "10.0.1.1") as setup,
            client_at(app, "10.0.1.2") as a,
            client_at(app, "10.0.1.3") as b,
        ):
            spender, other = await make_user(setup), await make_user(setup)
            for n in range(PER_USER + 1):
                await rename(a, spender, n)
            assert (await rename(b, other, 1)).status_code == 200

    async def test_the_same_user_from_another_address_is_still_limited(self, app: FastAPI) -> None:
        async with client_at(app, "10.0.2.1") as setup:
            user = await make_user(setup)
        for n in range(PER_USER):
            async with client_at(app, f"10.0.2.{10 + n}") as c:
                assert (await rename(c, user, n)).status_code == 200
        async with client_at(app, "10.0.2.99") as c:
            assert_429(await rename(c, user, 99))

    async def test_cookie_sessions_count_too(self, app: FastAPI) -> None:
        async with client_at(app, "10.0.3.1") as setup, client_at(app, "10.0.3.2") as c:
            user = await make_user(setup)
            from tests.factories import PASSWORD

            session = expect(
                await c.post(
                    "/api/v1/auth/session", json={"email": user.email, "password": PASSWORD}
                ),
                200,
            )
            csrf = {"X-CSRF-Token": session["csrf_token"]}
            for n in range(PER_USER):
                r = await c.patch("/api/v1/users/me", json={"name": f"N{n}"}, headers=csrf)
                assert r.status_code == 200
            r = await c.patch("/api/v1/users/me", json={"name": "over"}, headers=csrf)
            assert_429(r)


class TestPerAddress:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return limited()

    async def test_many_users_behind_one_address(self, app: FastAPI) -> None:
        async with client_at(app, "10.1.0.1") as setup:
            users = [await make_user(setup) for _ in range(4)]
        async with client_at(app, "10.1.0.2") as c:
            answers = [(await rename(c, users[n % 4], n)).status_code for n in range(PER_ADDRESS)]
            assert answers == [200] * PER_ADDRESS
            assert_429(await rename(c, users[0], 99))
        async with client_at(app, "10.1.0.3") as elsewhere:
            assert (await rename(elsewhere, users[1], 100)).status_code == 200

    async def test_anonymous_writes_count_per_address(self, app: FastAPI) -> None:
        async with client_at(app, "10.1.1.1") as c:
            statuses = [
                (await c.post("/api/v1/auth/refresh", json={"refresh_token": "x"})).status_code
                for _ in range(PER_ADDRESS + 1)
            ]
        assert statuses[:PER_ADDRESS] == [401] * PER_ADDRESS
        assert statuses[-1] == 429

    async def test_a_forged_token_counts_against_the_address_only(self, app: FastAPI) -> None:
        async with client_at(app, "10.1.2.1") as setup:
            victim = await make_user(setup)
        forged = {"Authorization": f"Bearer {victim.access_token[:-2]}xx"}
        async with client_at(app, "10.1.2.2") as attacker:
            for _ in range(PER_USER + 2):
                r = await attacker.patch("/api/v1/users/me", json={"name": "x"}, headers=forged)
                assert r.status_code == 401
        async with client_at(app, "10.1.2.3") as c:
            assert (await rename(c, victim, 1)).status_code == 200

    def test_ipv6_clients_count_per_64(self) -> None:
        assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::2")
        assert address_key("2001:db8:1:2::1") != address_key("2001:db8:1:3::1")
        assert address_key("::ffff:192.0.2.7") == "192.0.2.7"
        assert address_key("192.0.2.7") == "192.0.2.7"


class TestDisabled:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return limited(rate_limit_enabled=False)

    async def test_no_limit(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        for n in range(PER_ADDRESS + 2):
            assert (await rename(client, user, n)).status_code == 200


class TestWindow:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return limited(rate_limit_window_seconds=1)

    async def test_budget_comes_back_after_the_window(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        for n in range(PER_USER):
            await rename(client, user, n)
        assert_429(await rename(client, user, 98), window=1)
        await asyncio.sleep(1.1)
        assert (await rename(client, user, 99)).status_code == 200


class TestOpenApi:
    def test_writes_document_413_and_429(self, app: FastAPI) -> None:
        paths = app.openapi()["paths"]
        create = paths["/api/v1/projects/{project_id}/tasks"]["post"]["responses"]
        assert {"413", "414", "429"} <= create.keys()
        listing = paths["/api/v1/projects/{project_id}/tasks"]["get"]["responses"]
        assert "414" in listing
        assert "429" not in listing
        assert "429" not in paths["/healthz"]["get"]["responses"]


# --- across processes, through Redis ---------------------------------------------------------


@pytest.fixture
async def redis_url() -> str:
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
    except Exception as exc:  # any failure to reach it means: no Redis here
        message = (
            f"Redis is not reachable at {REDIS_URL} ({type(exc).__name__}: {exc}); start it or "
            "point TASKLANE_TEST_REDIS_URL at one."
        )
        if IN_CI:
            pytest.fail(message + " CI=true requires it.")
        pytest.skip(message)
    finally:
        await client.aclose()
    return REDIS_URL


def _settings(redis_url: str, prefix: str, **extra: object) -> Settings:
    return Settings(
        environment="test",  # type: ignore[arg-type]
        secret_key="shared-secret-key-that-is-long-enough-0123456789",  # type: ignore[arg-type]
        redis_url=redis_url,
        redis_prefix=prefix,
        **limited(**extra),  # type: ignore[arg-type]
    )


class TestSharedInRedis:
    async def test_two_processes_share_one_budget(self, redis_url: str) -> None:
        prefix = f"test-{uuid.uuid4().hex[:12]}"
        first = WriteLimiter(_settings(redis_url, prefix))
        second = WriteLimiter(_settings(redis_url, prefix))
        try:
            user = str(uuid.uuid4())
            answers = []
            for n in range(PER_USER + 1):
                limiter = first if n % 2 else second
                answers.append(await limiter.check(user=user, address=f"10.2.0.{n}"))
            assert answers[:PER_USER] == [None] * PER_USER
            wait = answers[-1]
            assert wait is not None
            assert 1 <= wait <= 60
            assert first.shared
            assert second.shared
        finally:
            await first.aclose()
            await second.aclose()

    async def test_apps_on_one_redis_refuse_together(
        self, redis_url: str, board_apps: tuple[FastAPI, FastAPI, Board]
    ) -> None:
        one, two, board = board_apps
        async with client_at(one, "10.2.1.1") as a, client_at(two, "10.2.1.1") as b:
            answers = [
                (await rename(a if n % 2 else b, board.member, n)).status_code
                for n in range(PER_USER)
            ]
            assert answers == [200] * PER_USER
            assert_429(await rename(a, board.member, 98))
            assert_429(await rename(b, board.member, 99))


@pytest.fixture
async def board_apps(
    redis_url: str, database_url: str, tmp_path: object
) -> AsyncIterator[tuple[FastAPI, FastAPI, Board]]:
    from pathlib import Path

    from tests.conftest import make_settings

    prefix = f"test-{uuid.uuid4().hex[:12]}"
    folder = Path(str(tmp_path))

    def settings() -> Settings:
        return make_settings(
            database_url,
            folder / "data",
            redis_url=redis_url,
            redis_prefix=prefix,
            run_worker=False,
            **limited(rate_limit_writes_per_address=1000),
        )

    one, two = create_app(settings()), create_app(settings())
    async with LifespanManager(one), LifespanManager(two):
        async with client_at(one, "10.2.1.0") as setup:
            board = await make_board(setup)
        # Setting up spends budget too (the member accepts the invitation): start the test's
        # window empty.
        redis = Redis.from_url(redis_url)
        try:
            keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
            if keys:
                await redis.delete(*keys)
        finally:
            await redis.aclose()
        yield one, two, board


class TestRedisDown:
    @pytest.fixture
    def log_lines(self, settings: Settings) -> Iterator[io.StringIO]:
        buffer = io.StringIO()
        configure_logging(settings.model_copy(update={"log_format": "json"}), stream=buffer)
        yield buffer
        configure_logging(settings)

    async def test_limits_fall_back_to_this_process(self, log_lines: io.StringIO) -> None:
        dead = f"redis://127.0.0.1:{free_port()}/0"
        limiter = WriteLimiter(_settings(dead, "down"))
        try:
            user = str(uuid.uuid4())
            answers = [await limiter.check(user=user, address="10.3.0.1") for _ in range(PER_USER)]
            assert answers == [None] * PER_USER
            assert not limiter.shared
            assert await limiter.check(user=user, address="10.3.0.1") is not None
        finally:
            await limiter.aclose()
        warnings = [
            json.loads(line)
            for line in log_lines.getvalue().splitlines()
            if "rate_limit_storage_unavailable" in line
        ]
        assert len(warnings) == 1, "one warning per outage, not one per request"
