"""Two-factor sign-in (issue 15, item 2): set up with an authenticator app's code, then every
sign-in asks for a code; each code and recovery code works once; wrong codes are throttled
like wrong passwords; a workspace can require it of its members."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pyotp
import pytest

from tasklane.auth import mfa, tokens
from tasklane.config import Settings
from tasklane.kit.clock import utcnow
from tests.factories import PASSWORD, Board, User, expect, make_task, make_user

MFA = "/api/v1/users/me/mfa"


async def _turn_on(client: httpx.AsyncClient, user: User) -> tuple[pyotp.TOTP, list[str]]:
    setup = expect(await client.post(f"{MFA}/totp", headers=user.headers), 201)
    totp = pyotp.TOTP(setup["secret"])
    codes = expect(
        await client.post(f"{MFA}/totp/confirm", json={"code": totp.now()}, headers=user.headers),
        200,
    )["recovery_codes"]
    return totp, codes


def _later_code(totp: pyotp.TOTP) -> str:
    """The next time step's code: accepted (one step of drift is allowed) and not yet used."""
    return totp.at(utcnow() + timedelta(seconds=30))


async def _password_step(client: httpx.AsyncClient, user: User, path: str = "login") -> str:
    body = expect(
        await client.post(f"/api/v1/auth/{path}", json={"email": user.email, "password": PASSWORD}),
        200,
    )
    assert body == {"mfa_required": True, "mfa_token": body["mfa_token"]}
    return str(body["mfa_token"])


def _refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    found = body["errors"][0]["code"] if status == 422 else body["code"]
    assert found == code, body


async def test_set_up_then_every_sign_in_asks_for_a_code_that_works_once(
    client: httpx.AsyncClient,
) -> None:
    user = await make_user(client)
    setup = expect(await client.post(f"{MFA}/totp", headers=user.headers), 201)
    assert setup["otpauth_uri"].startswith("otpauth://totp/Tasklane:")
    assert f"secret={setup['secret']}" in setup["otpauth_uri"]
    # Not on until confirmed: signing in still takes the password alone.
    assert "access_token" in expect(
        await client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}),
        200,
    )
    _refused(
        await client.post(f"{MFA}/totp/confirm", json={"code": "000000"}, headers=user.headers),
        422,
        "invalid_code",
    )
    totp = pyotp.TOTP(setup["secret"])
    codes = expect(
        await client.post(f"{MFA}/totp/confirm", json={"code": totp.now()}, headers=user.headers),
        200,
    )["recovery_codes"]
    assert len(codes) == 10
    assert len(set(codes)) == 10
    status = expect(await client.get(MFA, headers=user.headers), 200)
    assert status["totp_enabled"] is True
    assert status["recovery_codes_left"] == 10
    _refused(await client.post(f"{MFA}/totp", headers=user.headers), 409, "mfa_already_enabled")

    mfa_token = await _password_step(client, user)
    # The half-way token opens nothing else.
    _refused(
        await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {mfa_token}"}),
        401,
        "invalid_token",
    )
    code = _later_code(totp)
    pair = expect(
        await client.post("/api/v1/auth/mfa", json={"mfa_token": mfa_token, "code": code}), 200
    )
    me = await client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {pair['access_token']}"}
    )
    assert expect(me, 200)["id"] == user.id
    # The same code again, even with a new password step: refused.
    again = await _password_step(client, user)
    _refused(
        await client.post("/api/v1/auth/mfa", json={"mfa_token": again, "code": code}),
        401,
        "invalid_code",
    )


def test_a_code_is_taken_one_step_either_side_of_now_and_no_further() -> None:
    secret = mfa.new_secret()
    totp = pyotp.TOTP(secret)
    now = utcnow()
    step = totp.timecode(now)
    for seconds, expected in ((-30, step - 1), (0, step), (30, step + 1)):
        assert mfa.matching_step(secret, totp.at(now + timedelta(seconds=seconds)), now) == (
            expected
        )
    for seconds in (-60, 60, 300):
        assert mfa.matching_step(secret, totp.at(now + timedelta(seconds=seconds)), now) is None
    for junk in ("", "12345", "1234567", "abcdef"):
        assert mfa.matching_step(secret, junk, now) is None


async def test_a_recovery_code_signs_in_once(client: httpx.AsyncClient) -> None:
    user = await make_user(client)
    _, codes = await _turn_on(client, user)
    mfa_token = await _password_step(client, user)
    # As printed, or typed in capitals without the dashes.
    typed = codes[3].upper().replace("-", " ")
    expect(await client.post("/api/v1/auth/mfa", json={"mfa_token": mfa_token, "code": typed}), 200)
    _refused(
        await client.post("/api/v1/auth/mfa", json={"mfa_token": mfa_token, "code": codes[3]}),
        401,
        "invalid_code",
    )
    assert expect(await client.get(MFA, headers=user.headers), 200)["recovery_codes_left"] == 9


async def test_the_browser_session_takes_the_code_step_too(client: httpx.AsyncClient) -> None:
    user = await make_user(client)
    totp, _ = await _turn_on(client, user)
    first = await client.post(
        "/api/v1/auth/session", json={"email": user.email, "password": PASSWORD}
    )
    assert expect(first, 200)["mfa_required"] is True
    assert not first.cookies, "no session before the second factor"
    mfa_token = first.json()["mfa_token"]
    # A token made for the API sign-in does not finish a browser one, nor the other way.
    api_token = await _password_step(client, user)
    _refused(
        await client.post(
            "/api/v1/auth/session/mfa", json={"mfa_token": api_token, "code": _later_code(totp)}
        ),
        401,
        "invalid_mfa_token",
    )
    done = await client.post(
        "/api/v1/auth/session/mfa", json={"mfa_token": mfa_token, "code": _later_code(totp)}
    )
    assert expect(done, 200)["user"]["id"] == user.id
    assert {"tasklane_access", "tasklane_refresh", "tasklane_csrf"} <= set(done.cookies)


async def test_an_expired_or_forged_mfa_token_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    user = await make_user(client)
    totp, _ = await _turn_on(client, user)
    expired = tokens.jwt.encode(
        {
            "sub": user.id,
            "knd": "token",
            "iat": utcnow() - timedelta(minutes=10),
            "exp": utcnow() - timedelta(minutes=5),
            "iss": tokens.ISSUER,
            "aud": tokens.MFA_AUDIENCE,
            "typ": "mfa",
        },
        settings.signing_key,
        algorithm=tokens.ALGORITHM,
    )
    forged = tokens.jwt.encode(
        {"sub": user.id, "knd": "token", "typ": "mfa"}, "not the key", algorithm="HS256"
    )
    for bad in (expired, forged, user.access_token):
        _refused(
            await client.post(
                "/api/v1/auth/mfa", json={"mfa_token": bad, "code": _later_code(totp)}
            ),
            401,
            "invalid_mfa_token",
        )


async def test_wrong_codes_spend_the_sign_in_budget(client: httpx.AsyncClient) -> None:
    """Five wrong codes (the account's budget from one address), then 429 even for the right
    code: six digits cannot be guessed one request at a time."""
    user = await make_user(client)
    totp, _ = await _turn_on(client, user)
    mfa_token = await _password_step(client, user)
    for _ in range(5):
        wrong = await client.post(
            "/api/v1/auth/mfa", json={"mfa_token": mfa_token, "code": "000000"}
        )
        assert wrong.status_code == 401, wrong.text
    right = await client.post(
        "/api/v1/auth/mfa", json={"mfa_token": mfa_token, "code": _later_code(totp)}
    )
    assert right.status_code == 429, right.text
    assert int(right.headers["Retry-After"]) > 0


async def test_one_code_sent_twice_at_once_signs_in_once(client: httpx.AsyncClient) -> None:
    user = await make_user(client)
    totp, _ = await _turn_on(client, user)
    mfa_token = await _password_step(client, user)
    body = {"mfa_token": mfa_token, "code": _later_code(totp)}
    answers = await asyncio.gather(*(client.post("/api/v1/auth/mfa", json=body) for _ in range(4)))
    assert sorted(r.status_code for r in answers) == [200, 401, 401, 401]


async def test_turning_off_needs_the_password_and_a_code(client: httpx.AsyncClient) -> None:
    user = await make_user(client)
    totp, codes = await _turn_on(client, user)
    off = f"{MFA}/totp"

    async def turn_off(body: dict[str, Any]) -> httpx.Response:
        return await client.request("DELETE", off, json=body, headers=user.headers)

    _refused(
        await turn_off({"password": "not the password", "code": _later_code(totp)}),
        422,
        "wrong_password",
    )
    _refused(await turn_off({"password": PASSWORD, "code": "000000"}), 422, "invalid_code")
    # New recovery codes need a code, and the old ones stop working.
    fresh = expect(
        await client.post(
            f"{MFA}/recovery-codes", json={"code": _later_code(totp)}, headers=user.headers
        ),
        200,
    )["recovery_codes"]
    assert not set(fresh) & set(codes)
    _refused(await turn_off({"password": PASSWORD, "code": codes[0]}), 422, "invalid_code")
    expect(await turn_off({"password": PASSWORD, "code": fresh[0]}), 204)
    assert expect(await client.get(MFA, headers=user.headers), 200) == {
        "totp_enabled": False,
        "enabled_at": None,
        "recovery_codes_left": 0,
    }
    assert "access_token" in expect(
        await client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}),
        200,
    )


@pytest.mark.usefixtures("backend")
async def test_a_workspace_can_require_two_factor_of_its_members(
    client: httpx.AsyncClient, board: Board
) -> None:
    ws = f"/api/v1/workspaces/{board.workspace['id']}"
    task = await make_task(client, board.owner, board.pid, "Behind two factors")
    # An admin cannot require what they have not turned on themselves.
    _refused(
        await client.patch(ws, json={"require_mfa": True}, headers=board.owner.headers),
        409,
        "mfa_not_enabled",
    )
    await _turn_on(client, board.owner)
    assert expect(
        await client.patch(ws, json={"require_mfa": True}, headers=board.owner.headers), 200
    )["require_mfa"]

    reads = (
        ws,
        f"{ws}/projects",
        f"/api/v1/projects/{board.pid}",
        f"/api/v1/projects/{board.pid}/tasks",
        f"/api/v1/tasks/{task['key']}",
        f"/api/v1/tasks/{task['key']}/comments",
        f"{ws}/tasks?q=Behind",
    )
    for url in reads:
        expect(await client.get(url, headers=board.owner.headers), 200)
        _refused(await client.get(url, headers=board.member.headers), 403, "mfa_required")
    _refused(
        await client.post(
            f"/api/v1/projects/{board.pid}/tasks",
            json={"title": "Sneaked in"},
            headers=board.member.headers,
        ),
        403,
        "mfa_required",
    )
    # The workspace is still listed, saying what it requires, so the web app can tell them.
    listed = expect(await client.get("/api/v1/workspaces", headers=board.member.headers), 200)
    assert [w["require_mfa"] for w in listed["items"]] == [True]

    await _turn_on(client, board.member)
    for url in reads:
        expect(await client.get(url, headers=board.member.headers), 200)
