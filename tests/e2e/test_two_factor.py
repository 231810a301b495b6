"""Two-factor sign-in (issue 15, item 2) in a real browser against a real server: set it up from
the account page with the QR code's secret, keep the recovery codes, sign out, sign in with
the password and then a code; a workspace that requires it tells a member without it what to
do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, PASSWORD, Server, make_team, signed_in_page

SHOTS = ARTIFACTS / "two-factor"


def test_set_up_two_factor_then_sign_in_with_a_code(browser: Any, server: Server) -> None:
    team = make_team(server, "MFA")
    ada = team.ada
    page = signed_in_page(browser, server, ada)
    page.goto("/account")
    section = page.get_by_role("region", name="Two-factor sign-in")
    expect(section).to_contain_text("Off.")
    section.get_by_role("button", name="Set up two-factor sign-in").click()
    qr = section.get_by_role("img", name="QR code for your authenticator app")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.naturalWidth") > 0
    section.get_by_text("Cannot scan it? Type this key instead").click()
    # The key for typing by hand, shown in groups of four: the QR code's secret.
    secret = str(section.locator(".mfa-secret").get_attribute("data-secret"))
    assert section.locator(".mfa-secret").inner_text().replace(" ", "") == secret
    SHOTS.mkdir(parents=True, exist_ok=True)
    section.screenshot(path=str(SHOTS / "set-up.png"))
    totp = pyotp.TOTP(secret)

    # A wrong code first: told so, still off.
    section.get_by_label("Enter the 6-digit code the app shows").fill("000000")
    section.get_by_role("button", name="Turn on").click()
    expect(section.get_by_role("alert")).to_contain_text("That code did not work")
    first_code = totp.now()
    section.get_by_label("Enter the 6-digit code the app shows").fill(first_code)
    section.get_by_role("button", name="Turn on").click()
    codes = section.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    section.screenshot(path=str(SHOTS / "recovery-codes.png"))
    section.get_by_role("button", name="I have saved them").click()
    expect(section).to_contain_text("10 recovery codes left")

    # Sign out; signing in now asks for a code after the password.
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url("**/signin**")
    page.get_by_label("E-mail", exact=True).fill(ada.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
    page.screenshot(path=str(SHOTS / "code-step.png"))
    # The code the set-up used is spent; the next one (30 s on) is accepted.
    page.get_by_label("Code").fill(first_code)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("That code did not work")
    page.get_by_label("Code").fill(totp.at(datetime.now(UTC) + timedelta(seconds=30)))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()

    # Ada requires two-factor in her workspace; Bob, without it, is told what to do.
    page.goto(f"/w/{team.workspace_id}/settings")
    page.get_by_label("Require two-factor sign-in").click()
    expect(page.get_by_label("Require two-factor sign-in")).to_be_checked()
    bob = signed_in_page(browser, server, team.bob)
    bob.goto(f"/w/{team.workspace_id}")
    note = bob.get_by_role("alert").filter(has_text="requires two-factor sign-in")
    expect(note).to_be_visible()
    bob.screenshot(path=str(SHOTS / "required.png"))
    note.get_by_role("link", name="Set up two-factor sign-in").click()
    expect(bob.get_by_role("region", name="Two-factor sign-in")).to_be_visible()
