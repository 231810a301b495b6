"""New passwords follow NIST SP 800-63B: at least 8 characters, not a common, breached or
trivially guessable one, and no composition rules."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import PASSWORD, expect, make_user

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
CHANGE = "/api/v1/users/me/password"

WEAK = ["password", "12345678", "qwertyuiop", "iloveyou1", "Password1!", "aaaaaaaaaaaa"]
# No composition rules: long phrases of lower-case words and spaces are fine.
STRONG = ["correct horse battery staple", "walrus ferry lantern", "Tr0ub4dor&3"]


def field_errors(response: httpx.Response) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in response.json()["errors"]]


@pytest.mark.parametrize("password", WEAK)
async def test_register_refuses_a_common_password(client: httpx.AsyncClient, password: str) -> None:
    email = "weak@example.com"
    r = await client.post(REGISTER, json={"email": email, "password": password, "name": "W"})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert field_errors(r) == [("password", "password_too_common")]
    assert "This password is too common" in r.json()["errors"][0]["message"]
    # Nothing was created: the address is still free.
    expect(
        await client.post(REGISTER, json={"email": email, "password": PASSWORD, "name": "W"}),
        201,
    )


async def test_register_refuses_a_password_made_of_the_users_own_details(
    client: httpx.AsyncClient,
) -> None:
    r = await client.post(
        REGISTER,
        json={
            "email": "marguerite.yourcenar@example.com",
            "password": "marguerite.yourcenar",
            "name": "Marguerite Yourcenar",
        },
    )
    assert r.status_code == 422, r.text
    assert field_errors(r) == [("password", "password_too_common")]


@pytest.mark.parametrize("password", STRONG)
async def test_register_accepts_a_strong_password_without_composition_rules(
    client: httpx.AsyncClient, password: str
) -> None:
    email = "strong@example.com"
    expect(
        await client.post(REGISTER, json={"email": email, "password": password, "name": "S"}),
        201,
    )
    expect(await client.post(LOGIN, json={"email": email, "password": password}), 200)


async def test_a_long_password_is_checked_quickly_and_accepted(
    client: httpx.AsyncClient,
) -> None:
    password = "lantern walrus " * 17  # 255 characters
    expect(
        await client.post(
            REGISTER, json={"email": "long@example.com", "password": password, "name": "L"}
        ),
        201,
    )


async def test_password_change_refuses_a_common_password_and_keeps_the_old_one(
    client: httpx.AsyncClient,
) -> None:
    user = await make_user(client)
    r = await client.post(
        CHANGE,
        json={"current_password": PASSWORD, "new_password": "12345678"},
        headers=user.headers,
    )
    assert r.status_code == 422, r.text
    assert field_errors(r) == [("new_password", "password_too_common")]
    assert "This password is too common" in r.json()["errors"][0]["message"]
    expect(await client.post(LOGIN, json={"email": user.email, "password": PASSWORD}), 200)
    r = await client.post(LOGIN, json={"email": user.email, "password": "12345678"})
    assert r.status_code == 401
