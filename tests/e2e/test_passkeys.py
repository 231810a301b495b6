"""Passkeys (issue 15, item 3) in a real browser against a real server, with Chromium's virtual
authenticator (DevTools protocol): add a passkey on the account page, sign out, sign in with
the passkey alone.

WebAuthn takes no IP address as relying party, so the page is opened at `localhost` on the
server's port: with TASKLANE_PUBLIC_URL at 127.0.0.1, the server's passkey RP id is `localhost`
and its origin http://localhost:<port> (Settings.passkey_rp_id / passkey_origin)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, PASSWORD, VIEWPORT, Server, register

SHOTS = ARTIFACTS / "passkeys"


def test_add_a_passkey_then_sign_in_with_it_alone(browser: Any, server: Server) -> None:
    ada = register(server, "Passkey")
    base = server.base.replace("127.0.0.1", "localhost")
    context = browser.new_context(base_url=base, viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(15_000)
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    r = context.request.post(
        "/api/v1/auth/session", data={"email": ada.email, "password": PASSWORD}
    )
    assert r.status == 200, r.text()

    page.goto("/account")
    section = page.get_by_role("region", name="Passkeys")
    expect(section).to_contain_text("No passkeys yet.")
    section.get_by_role("button", name="Add a passkey").click()
    section.get_by_label("Name").fill("Virtual key")
    section.get_by_role("button", name="Create passkey").click()
    expect(section.get_by_role("list", name="Your passkeys")).to_contain_text("Virtual key")
    expect(section).to_contain_text("Never used")
    SHOTS.mkdir(parents=True, exist_ok=True)
    section.screenshot(path=str(SHOTS / "account.png"))
    held = cdp.send(
        "WebAuthn.getCredentials", {"authenticatorId": authenticator["authenticatorId"]}
    )
    assert len(held["credentials"]) == 1
    assert held["credentials"][0]["isResidentCredential"]

    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url("**/signin**")
    page.screenshot(path=str(SHOTS / "sign-in.png"))
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    page.goto("/account")
    expect(page.get_by_role("region", name="Passkeys")).not_to_contain_text("Never used")
    page.get_by_role("region", name="Passkeys").screenshot(path=str(SHOTS / "used.png"))
    context.close()
