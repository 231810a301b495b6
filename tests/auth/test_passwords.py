"""argon2id at OWASP's recommended minimum by default, and hashes made with other parameters
are upgraded at the next successful sign-in."""

from __future__ import annotations

from pathlib import Path

import httpx
from argon2 import extract_parameters
from argon2.low_level import Type
from asgi_lifespan import LifespanManager
from sqlalchemy import select

from tasklane.app import create_app
from tasklane.config import Environment, Settings
from tasklane.models import User
from tests.conftest import make_settings
from tests.factories import PASSWORD, expect, make_user

LOGIN = "/api/v1/auth/login"


def test_defaults_are_owasps_minimum() -> None:
    settings = Settings(environment=Environment.TEST)
    assert settings.password_hash_memory_kib == 19 * 1024
    assert settings.password_hash_time_cost == 2
    assert settings.password_hash_parallelism == 1


def test_the_parameters_stay_configurable() -> None:
    settings = Settings(
        environment=Environment.TEST,
        password_hash_memory_kib=65536,
        password_hash_time_cost=3,
        password_hash_parallelism=4,
    )
    assert (settings.password_hash_memory_kib, settings.password_hash_time_cost) == (65536, 3)
    assert settings.password_hash_parallelism == 4


async def stored_hash(app: object, email: str) -> str:
    async with app.state.runtime.db.transaction(write=False) as session:  # type: ignore[attr-defined]
        value = await session.scalar(select(User.password_hash).where(User.email == email))
    assert value is not None
    return value


def parameters(password_hash: str) -> tuple[int, int, int]:
    params = extract_parameters(password_hash)
    assert params.type is Type.ID
    return params.memory_cost, params.time_cost, params.parallelism


async def test_old_hashes_are_upgraded_at_sign_in(database_url: str, tmp_path: Path) -> None:
    old = make_settings(
        database_url,
        tmp_path / "data",
        password_hash_memory_kib=1024,
        password_hash_time_cost=3,
        password_hash_parallelism=2,
    )
    new = make_settings(
        database_url,
        tmp_path / "data",
        password_hash_memory_kib=2048,
        password_hash_time_cost=2,
        password_hash_parallelism=1,
    )
    before, after = create_app(old), create_app(new)
    async with LifespanManager(before), LifespanManager(after):
        transport = httpx.ASGITransport(app=before)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            user = await make_user(c)
        assert parameters(await stored_hash(before, user.email)) == (1024, 3, 2)
        transport = httpx.ASGITransport(app=after)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.post(LOGIN, json={"email": user.email, "password": "wrong password"})
            assert r.status_code == 401
            assert parameters(await stored_hash(after, user.email)) == (1024, 3, 2), (
                "a failed sign-in must not touch the hash"
            )
            expect(await c.post(LOGIN, json={"email": user.email, "password": PASSWORD}), 200)
            upgraded = await stored_hash(after, user.email)
            assert parameters(upgraded) == (2048, 2, 1)
            expect(await c.post(LOGIN, json={"email": user.email, "password": PASSWORD}), 200)
            assert await stored_hash(after, user.email) == upgraded, "rehashed only once"
