"""Sign-ups cannot starve sign-ins: their own per-address budget, their own hashing slots, and
a cap on password length before anything is hashed."""

from __future__ import annotations

import asyncio
import itertools

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import PASSWORD, expect, make_user

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
PASSWORD_URL = "/api/v1/users/me/password"
_n = itertools.count()


def client_at(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def sign_up_body(password: str = PASSWORD) -> dict[str, str]:
    return {"email": f"signup{next(_n)}@example.com", "password": password, "name": "New"}


class TestPerAddress:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"signups_per_address": 3, "signup_window_seconds": 600}

    async def test_past_the_budget_is_429_and_creates_nothing(self, app: FastAPI) -> None:
        async with client_at(app, "10.40.0.1") as c:
            for _ in range(3):
                expect(await c.post(REGISTER, json=sign_up_body()), 201)
            body = sign_up_body()
            r = await c.post(REGISTER, json=body)
            assert r.status_code == 429, r.text
            assert r.json()["code"] == "rate_limited"
            assert 1 <= int(r.headers["retry-after"]) <= 600
        async with client_at(app, "10.40.0.2") as other:
            r = await other.post(LOGIN, json={"email": body["email"], "password": PASSWORD})
            assert r.status_code == 401, "the refused sign-up created no account"
            expect(await other.post(REGISTER, json=sign_up_body()), 201)

    async def test_parallel_sign_ups_get_at_most_the_budget(self, app: FastAPI) -> None:
        for n in range(10):
            async with client_at(app, f"10.40.1.{n + 1}") as c:
                answers = await asyncio.wait_for(
                    asyncio.gather(*(c.post(REGISTER, json=sign_up_body()) for _ in range(12))),
                    timeout=60,
                )
            statuses = sorted(r.status_code for r in answers)
            assert statuses == [201] * 3 + [429] * 9, statuses

    async def test_sign_ins_do_not_spend_the_sign_up_budget(self, app: FastAPI) -> None:
        async with client_at(app, "10.40.2.1") as c:
            user = await make_user(c)
            for _ in range(5):
                expect(await c.post(LOGIN, json={"email": user.email, "password": PASSWORD}), 200)
            expect(await c.post(REGISTER, json=sign_up_body()), 201)
            expect(await c.post(REGISTER, json=sign_up_body()), 201)


class TestPasswordLength:
    async def test_long_passwords_are_422_before_hashing(self, client: httpx.AsyncClient) -> None:
        long = "x" * 257
        r = await client.post(REGISTER, json=sign_up_body(long))
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["password"]
        user = await make_user(client)
        r = await client.post(LOGIN, json={"email": user.email, "password": long})
        assert r.status_code == 422
        r = await client.post(
            PASSWORD_URL,
            json={"current_password": long, "new_password": long},
            headers=user.headers,
        )
        assert r.status_code == 422
        assert sorted(e["field"] for e in r.json()["errors"]) == [
            "current_password",
            "new_password",
        ]
        longest = (f"{PASSWORD} " * 20)[:256]  # a passphrase the password policy accepts
        expect(await client.post(REGISTER, json=sign_up_body(longest)), 201)


class TestSeparateHashing:
    """Sign-ups hash with one slot at costly parameters; a sign-in meanwhile is verified in its
    own slots, so it finishes while most sign-ups are still queued."""

    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {
            "password_hash_time_cost": 4,
            "password_hash_memory_kib": 32 * 1024,
            "password_hash_parallelism": 1,
            "password_hash_concurrency": 1,
            "password_verify_concurrency": 1,
        }

    async def test_a_sign_in_does_not_queue_behind_sign_ups(self, app: FastAPI) -> None:
        sign_ups = 10
        async with client_at(app, "10.41.0.1") as setup:
            user = await make_user(setup)
        done = 0

        async def sign_up(c: httpx.AsyncClient) -> None:
            nonlocal done
            expect(await c.post(REGISTER, json=sign_up_body()), 201)
            done += 1

        async with client_at(app, "10.41.0.2") as crowd, client_at(app, "10.41.0.3") as owner:
            pending = [asyncio.create_task(sign_up(crowd)) for _ in range(sign_ups)]
            await asyncio.sleep(0.05)  # every sign-up is in, waiting for or in its hash
            r = await asyncio.wait_for(
                owner.post(LOGIN, json={"email": user.email, "password": PASSWORD}), timeout=30
            )
            finished_before_sign_in = done
            await asyncio.wait_for(asyncio.gather(*pending), timeout=120)
        expect(r, 200)
        assert finished_before_sign_in < sign_ups // 2, (
            f"the sign-in waited for {finished_before_sign_in} of {sign_ups} sign-ups"
        )
