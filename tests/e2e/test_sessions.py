"""Where you are signed in (issue 15, item 6), in a real browser against a real server: the
account page lists the sign-in sessions with their device, signs one out, then all others, and
each signed-out session's tokens stop working at once."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, PASSWORD, Server, register, signed_in_page

SHOTS = ARTIFACTS / "sessions"


def _sign_in_script(server: Server, email: str, agent: str) -> dict[str, str]:
    """An API sign-in with its own user agent, as a script or another device makes."""
    with server.api() as c:
        r = c.post(
            "/auth/login",
            json={"email": email, "password": PASSWORD},
            headers={"User-Agent": agent},
        )
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _me(server: Server, headers: dict[str, str]) -> httpx.Response:
    with server.api() as c:
        return c.get("/users/me", headers=headers)


def test_sessions_are_listed_and_signed_out(browser: Any, server: Server) -> None:
    ada = register(server, "Ada Sessions")  # an API sign-in (python-httpx)
    laptop = _sign_in_script(
        server,
        ada.email,
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    )
    script = _sign_in_script(server, ada.email, "deploy-script/2.1")
    page = signed_in_page(browser, server, ada)
    page.goto("/account")
    section = page.get_by_role("region", name="Where you are signed in")
    items = section.get_by_role("listitem")
    expect(items).to_have_count(4)
    # This browser comes first, marked, and cannot sign itself out from the list.
    expect(items.first).to_contain_text("This session")
    expect(items.first).to_contain_text("Web browser")
    expect(items.first.get_by_role("button", name="Sign out")).to_have_count(0)
    expect(section).to_contain_text("Firefox on Windows")
    expect(section).to_contain_text("deploy-script/2.1")
    expect(section).to_contain_text("127.0.0.1")
    SHOTS.mkdir(parents=True, exist_ok=True)
    section.screenshot(path=str(SHOTS / "sessions.png"))

    # Sign out the laptop, after confirming.
    firefox = items.filter(has_text="Firefox on Windows")
    firefox.get_by_role("button", name="Sign out").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Sign out Firefox on Windows?")
    dialog.get_by_role("button", name="Sign out").click()
    expect(items).to_have_count(3)
    expect(section).not_to_contain_text("Firefox on Windows")
    assert _me(server, laptop).status_code == 401
    assert _me(server, script).status_code == 200

    # Then every other session: only this browser stays signed in.
    section.get_by_role("button", name="Sign out all other sessions").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Sign out 2 other sessions?")
    dialog.get_by_role("button", name="Sign out").click()
    expect(items).to_have_count(1)
    expect(section.get_by_role("button", name="Sign out all other sessions")).to_be_disabled()
    assert _me(server, script).status_code == 401
    assert _me(server, ada.headers).status_code == 401
    # This browser is still signed in.
    page.reload()
    expect(page.get_by_role("region", name="Where you are signed in")).to_contain_text(
        "This session"
    )
    section.screenshot(path=str(SHOTS / "sessions-after.png"))
    page.context.close()
