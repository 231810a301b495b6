"""The write budget of a user is spent only by tokens of a live sign-in session: a leaked token
of a signed-out session counts against its sender's address, never against its owner."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from tests.factories import PASSWORD, expect, make_user
from tests.security.test_rate_limits import client_at, rename

PER_USER = 5
PER_ADDRESS = 50


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {
        "rate_limit_writes_per_user": PER_USER,
        "rate_limit_writes_per_address": PER_ADDRESS,
        "rate_limit_window_seconds": 60,
    }


async def test_a_signed_out_token_cannot_spend_its_owners_budget(app: FastAPI) -> None:
    async with client_at(app, "10.4.0.1") as setup:
        owner = await make_user(setup)
        old = expect(
            await setup.post(
                "/api/v1/auth/login", json={"email": owner.email, "password": PASSWORD}
            ),
            200,
        )["access_token"]
        leaked = {"Authorization": f"Bearer {old}"}
        expect(await setup.post("/api/v1/auth/logout", headers=leaked), 204)
    async with client_at(app, "10.4.0.2") as attacker:
        for _ in range(PER_USER + 2):
            r = await attacker.patch("/api/v1/users/me", json={"name": "x"}, headers=leaked)
            assert r.status_code == 401
    async with client_at(app, "10.4.0.3") as c:
        # The owner's own sign-out was one write; the rest of the budget is still there.
        for n in range(PER_USER - 1):
            assert (await rename(c, owner, n)).status_code == 200, "the owner's budget was spent"
        r = await rename(c, owner, 99)
        assert r.status_code == 429
        assert 1 <= int(r.headers["retry-after"]) <= 60


async def test_a_signed_out_token_still_spends_its_senders_address(app: FastAPI) -> None:
    async with client_at(app, "10.4.1.1") as setup:
        owner = await make_user(setup)
        expect(await setup.post("/api/v1/auth/logout", headers=owner.headers), 204)
    async with client_at(app, "10.4.1.2") as attacker:
        statuses = [
            (
                await attacker.patch("/api/v1/users/me", json={"name": "x"}, headers=owner.headers)
            ).status_code
            for _ in range(PER_ADDRESS + 1)
        ]
    assert statuses[:PER_ADDRESS] == [401] * PER_ADDRESS
    assert statuses[-1] == 429


async def test_a_live_token_spends_its_users_budget_from_any_address(app: FastAPI) -> None:
    async with client_at(app, "10.4.2.1") as setup:
        owner = await make_user(setup)
    for n in range(PER_USER):
        async with client_at(app, f"10.4.2.{10 + n}") as c:
            assert (await rename(c, owner, n)).status_code == 200
    async with client_at(app, "10.4.2.99") as c:
        assert (await rename(c, owner, 99)).status_code == 429
