"""Every account gets a handle when it is made: from its name, or its e-mail address when the
name holds nothing a handle may, made unique with a number; the person may change or clear
it after."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from tasklane.users.handles import handle_base
from tests.factories import PASSWORD, expect

ME = "/api/v1/users/me"


@pytest.mark.parametrize(
    ("name", "email", "base"),
    [
        ("Ada Lovelace", "ada@example.com", "ada-lovelace"),
        ("Zoë Ñúñez-García", "z@example.com", "zoe-nunez-garcia"),
        ("  O'Brien, Pat  ", "pat@example.com", "o-brien-pat"),
        ("李雷", "li.lei@example.com", "li-lei"),
        ("李雷", "李@example.com", "user"),
        ("X", "x@example.com", "user"),
        ("a" * 60, "a@example.com", "a" * 27),
    ],
)
def test_the_base_is_the_names_letters_and_digits(name: str, email: str, base: str) -> None:
    assert handle_base(name, email) == base


async def sign_up(client: httpx.AsyncClient, email: str, name: str) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "name": name}
    )


async def handle_of(client: httpx.AsyncClient, email: str) -> str | None:
    tokens = expect(
        await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}), 200
    )
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    return expect(await client.get(ME, headers=headers), 200)["handle"]  # type: ignore[no-any-return]


async def test_namesakes_get_numbered_handles(client: httpx.AsyncClient) -> None:
    for n in range(3):
        expect(await sign_up(client, f"grace{n}@example.com", "Grace Hopper"), 201)
    assert [await handle_of(client, f"grace{n}@example.com") for n in range(3)] == [
        "grace-hopper",
        "grace-hopper-2",
        "grace-hopper-3",
    ]


async def test_namesakes_signing_up_at_once_all_get_in_with_their_own_handle(
    client: httpx.AsyncClient,
) -> None:
    """Sign-ups at once may pick the same free handle; the unique index turns all but one
    away, and they try again with a random number (on PostgreSQL: SQLite writes one at a
    time, and numbers them in turn)."""
    answers = await asyncio.gather(
        *(sign_up(client, f"linus{n}@example.com", "Linus Torvalds") for n in range(6))
    )
    assert [r.status_code for r in answers] == [201] * 6, [r.text for r in answers]
    found = {await handle_of(client, f"linus{n}@example.com") for n in range(6)}
    assert len(found) == 6
    assert "linus-torvalds" in found
    assert all(re.fullmatch(r"linus-torvalds(-\d+)?", str(h)) for h in found), found


async def test_a_handle_someone_chose_is_not_given_to_a_newcomer(
    client: httpx.AsyncClient,
) -> None:
    expect(await sign_up(client, "first@example.com", "Someone Else"), 201)
    tokens = expect(
        await client.post(
            "/api/v1/auth/login", json={"email": "first@example.com", "password": PASSWORD}
        ),
        200,
    )
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    expect(await client.patch(ME, json={"handle": "ken-thompson"}, headers=headers), 200)
    expect(await sign_up(client, "ken@example.com", "Ken Thompson"), 201)
    assert await handle_of(client, "ken@example.com") == "ken-thompson-2"
