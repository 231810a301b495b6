"""Personal API tokens on the account page, in a real browser against a real server: a token is
created on screen, its secret shown once and copied, used from a script, listed with its last
use, and revoked after a confirmation."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import expect

from tests.e2e import axe
from tests.e2e.conftest import ARTIFACTS, VIEWPORT, Server, make_team, signed_in_page

SHOTS = ARTIFACTS / "settings"
PHONE = {"width": 390, "height": 844}
# The page frame must not scroll sideways: the same rule as tests/e2e/test_accessibility.py.
_WIDE = """() => [document.documentElement, ...document.querySelectorAll('.main, .page')]
  .filter((e) => e.scrollWidth > e.clientWidth + 1 || e.scrollWidth > innerWidth + 1)
  .map((e) => `${e.className || e.tagName}: ${e.scrollWidth} > ${e.clientWidth}`)"""


def _in_days(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def _shot(where: Any, name: str) -> None:
    """A screenshot of a page or of one element, for a person to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    where.screenshot(path=str(SHOTS / f"{name}.png"))


def _day(moment: datetime) -> str:
    """A day as the app writes it in English: "Mar 3, 2027"."""
    return f"{moment:%b} {moment.day}, {moment.year}"


def _no_blocking_axe(page: Any, where: str) -> None:
    found = axe.check(page)
    blocking = [v.describe() for v in found if v.blocking]
    assert blocking == [], f"{where}: serious or critical accessibility problems:\n" + "\n".join(
        blocking
    )


def test_api_tokens_are_created_shown_once_used_and_revoked(browser: Any, server: Server) -> None:
    team = make_team(server, "TOK")
    ada = team.ada
    page = signed_in_page(
        browser,
        server,
        ada,
        permissions=["clipboard-read", "clipboard-write"],
        timezone_id="UTC",
        reduced_motion="reduce",
        **axe.CONTEXT_OPTIONS,
    )

    # The account page has the section, with nothing in it yet.
    page.goto("/account")
    section = page.get_by_role("region", name="API tokens")
    expect(section).to_be_visible()
    expect(section.get_by_text("No tokens yet.")).to_be_visible()

    # Two tokens made earlier (through the API with a sign-in token): one that never expires
    # and one that has already expired, which the list still shows, marked.
    with server.api() as c:
        r = c.post(
            "/users/me/tokens",
            json={"name": "nightly-export", "scopes": ["write"], "expires_at": None},
            headers=ada.headers,
        )
        assert r.status_code == 201, r.text
        r = c.post(
            "/users/me/tokens",
            json={"name": "old-job", "scopes": ["admin"], "expires_at": _in_days(1)},
            headers=ada.headers,
        )
        assert r.status_code == 201, r.text
    # Its expiry passes (set in the server's database: waiting for a real one is slow).
    with sqlite3.connect(server.data_dir / "tasklane.db") as db:
        db.execute(
            "UPDATE api_tokens SET expires_at = '2026-01-01 00:00:00.000000' WHERE name = ?",
            ("old-job",),
        )
    page.reload()
    rows = section.get_by_role("listitem")
    expect(rows).to_have_count(2)
    nightly = rows.filter(has_text="nightly-export")
    expect(nightly).to_contain_text("Read and write")
    expect(nightly).to_contain_text(re.compile(r"Expires\s*Never"))
    old = rows.filter(has_text="old-job")
    expect(old).to_contain_text("Full access (admin)")
    expect(old).to_contain_text(re.compile(r"Expires\s*Expired"))
    expect(nightly).not_to_contain_text("Expired")

    # Create a read-only token that expires in 90 days (both are the defaults).
    section.get_by_label("Token name").fill("ci-bot")
    read_only = section.get_by_role("radio", name="Read only")
    expect(read_only).to_be_checked()
    section.get_by_role("radio", name="Full access (admin)").check()
    read_only.check()
    expiry = section.get_by_label("Expires")
    expect(expiry).to_have_value("90")
    expiry.select_option(label="90 days")
    asked_at = datetime.now(UTC)
    section.get_by_role("button", name="Create token").click()

    # The secret, once: focused in a read-only field, with a warning and a Copy button.
    created = section.get_by_role("region", name=re.compile("ci-bot created"))
    expect(created).to_contain_text("Copy it now: it will not be shown again.")
    field = created.get_by_label("Your new token")
    expect(field).to_be_focused()
    expect(field).to_have_attribute("readonly", "")
    expect(field).to_have_value(re.compile(r"^tl_pat_\S{20,}$"))
    secret = field.input_value()
    created.get_by_role("button", name="Copy").click()
    expect(created.get_by_role("status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    # The form is ready for the next token.
    expect(section.get_by_label("Token name")).to_have_value("")
    _no_blocking_axe(page, "the new token's panel")
    _shot(created, "api-token-created")

    # Listed first, newest first, with its prefix, access, dates and no use yet.
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("ci-bot")
    row = rows.filter(has_text="ci-bot")
    expect(row).to_contain_text(secret[:11])
    expect(row).to_contain_text("Read only")
    expect(row).to_contain_text(re.compile(r"Last used\s*Never used"))
    expect(row).to_contain_text(_day(asked_at))
    in_90_days = asked_at + timedelta(days=90)
    expect(row).to_contain_text(
        re.compile(rf"Expires\s*({_day(in_90_days)}|{_day(in_90_days + timedelta(minutes=1))})")
    )
    r = page.request.get("/api/v1/users/me/tokens")
    assert r.status == 200, r.text()
    listed = {t["name"]: t for t in r.json()["items"]}
    assert "token" not in listed["ci-bot"]
    assert listed["ci-bot"]["scopes"] == ["read"]
    expires = datetime.fromisoformat(listed["ci-bot"]["expires_at"])
    assert abs(expires - in_90_days) < timedelta(minutes=2), expires

    # A script uses it: reads pass; a write, and any use on tokens, is refused for its scope.
    bearer = {"Authorization": f"Bearer {secret}"}
    with server.api() as c:
        r = c.get("/workspaces", headers=bearer)
        assert r.status_code == 200, r.text
        assert team.workspace_id in {w["id"] for w in r.json()["items"]}
        refused = [
            c.post(f"/projects/{team.project_id}/tasks", json={"title": "From CI"}, headers=bearer),
            c.post(
                f"/workspaces/{team.workspace_id}/projects",
                json={"key": "BOT", "name": "Bot project"},
                headers=bearer,
            ),
            c.get("/users/me/tokens", headers=bearer),
            c.post(
                "/users/me/tokens",
                json={"name": "more", "scopes": ["admin"], "expires_at": None},
                headers=bearer,
            ),
        ]
        for r in refused:
            assert r.status_code == 403, (r.request.url, r.text)
            assert r.json()["code"] == "token_scope", (r.request.url, r.text)
        tasks = c.get(f"/projects/{team.project_id}/tasks", headers=ada.headers).json()
        assert "From CI" not in {t["title"] for t in tasks["items"]}

    # Back on the page (reloaded): the use shows, and the secret is nowhere any more.
    page.reload()
    row = section.get_by_role("listitem").filter(has_text="ci-bot")
    expect(row).to_contain_text(re.compile(r"Last used\s*(just now|\d+ min ago)"))
    expect(row).not_to_contain_text("Never used")
    expect(section.get_by_text("Copy it now")).to_have_count(0)
    assert secret not in page.content()
    assert not page.evaluate(
        """secret => [...document.querySelectorAll('input, textarea')]
          .some((e) => e.value.includes(secret))
          || JSON.stringify({ ...localStorage }).includes(secret)
          || JSON.stringify({ ...sessionStorage }).includes(secret)""",
        secret,
    )
    _no_blocking_axe(page, "the list of tokens")
    _shot(section, "api-tokens-list")
    # The account follows the system's theme: dark as soon as the system is.
    page.emulate_media(color_scheme="dark")
    expect(section).to_have_css("background-color", "rgb(25, 26, 31)")
    _no_blocking_axe(page, "the list of tokens, dark")
    _shot(section, "api-tokens-list-dark")
    page.emulate_media(color_scheme="light")

    # On a phone the list and the form fit the width.
    page.set_viewport_size(PHONE)
    section.get_by_role("list").scroll_into_view_if_needed()
    assert page.evaluate(_WIDE) == []
    _shot(page, "api-tokens-390")
    page.set_viewport_size(VIEWPORT)

    # Revoke, after a confirmation; cancelling first changes nothing.
    row.get_by_role("button", name="Revoke ci-bot").click()
    dialog = page.get_by_role("dialog", name="Revoke token")
    expect(dialog).to_contain_text("Revoke ci-bot?")
    expect(dialog).to_contain_text(secret[:11])
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    with server.api() as c:
        assert c.get("/workspaces", headers=bearer).status_code == 200
    row.get_by_role("button", name="Revoke ci-bot").click()
    dialog.get_by_role("button", name="Revoke", exact=True).click()
    expect(page.get_by_text("The token ci-bot was revoked.")).to_be_visible()
    expect(section.get_by_role("listitem").filter(has_text="ci-bot")).to_have_count(0)
    expect(section.get_by_role("listitem")).to_have_count(2)
    with server.api() as c:
        r = c.get("/workspaces", headers=bearer)
        assert r.status_code == 401, r.text
    page.reload()
    expect(section.get_by_role("listitem")).to_have_count(2)
    expect(section.get_by_role("listitem").filter(has_text="ci-bot")).to_have_count(0)
    page.context.close()
