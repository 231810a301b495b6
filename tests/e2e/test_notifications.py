"""In-app notifications in the web app (issue 14): Bob has Tasklane open; Ada (through the API)
assigns him a task and mentions him in a comment. His bell counts both as they come (no reload),
the inbox lists them, a click opens the task and marks that one read, "Mark all read" clears
the rest. On the way: the @mention suggestions of the comment box, and the notification
settings on the Account page. Photographed in light and dark (test-artifacts/notifications/).

The server of these tests runs the worker in-process (`run_worker` is on by default), whose
dispatcher runs the notification consumer: that is what turns Ada's changes into Bob's
notifications and live messages.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.e2e import axe
from tests.e2e.conftest import (
    ARTIFACTS,
    Account,
    Server,
    create_task,
    make_team,
    signed_in_page,
)

SHOTS = ARTIFACTS / "notifications"
LIVE_WITHIN_MS = 10_000


def _no_blocking_axe_findings(page: Any, where: str) -> None:
    found = axe.check(page)
    blocking = [v.describe() for v in found if v.blocking]
    assert blocking == [], f"{where}: serious or critical accessibility problems:\n" + "\n".join(
        blocking
    )


def _handle(server: Server, who: Account) -> str:
    with server.api() as c:
        r = c.get("/users/me", headers=who.headers)
        assert r.status_code == 200, r.text
        return str(r.json()["handle"])


def _unread(server: Server, who: Account) -> int:
    with server.api() as c:
        r = c.get("/notifications/unread-count", headers=who.headers)
        assert r.status_code == 200, r.text
        return int(r.json()["count"])


def test_bell_counts_live_and_the_inbox_opens_and_clears(browser: Any, server: Server) -> None:
    team = make_team(server, "NTF")
    bob_handle = _handle(server, team.bob)
    task = create_task(server, team.ada, team.project_id, title="Rotate the signing keys")
    assert _unread(server, team.bob) == 0

    page = signed_in_page(browser, server, team.bob, **axe.CONTEXT_OPTIONS)
    page.goto(f"/w/{team.workspace_id}")
    bell = page.get_by_role("link", name=re.compile(r"^Notifications"))
    expect(bell).to_have_accessible_name("Notifications")
    expect(bell.locator(".bell-badge")).to_have_count(0)
    # The live connection is up (and follows Bob's own channel) before Ada acts.
    expect(page.locator(".live-indicator.live")).to_be_visible()
    page.evaluate("window.__sameDocument = true")

    # Ada assigns the task to Bob, then mentions him in a comment.
    with server.api() as c:
        r = c.patch(
            f"/tasks/{task['id']}",
            json={"assignee_ids": [team.bob.user_id]},
            headers={**team.ada.headers, "If-Match": f'"{task["version"]}"'},
        )
        assert r.status_code == 200, r.text
        r = c.post(
            f"/tasks/{task['id']}/comments",
            json={"body": f"@{bob_handle} could you take this one this week?"},
            headers=team.ada.headers,
        )
        assert r.status_code == 201, r.text

    # The bell counts both as they come, without a reload.
    expect(bell).to_have_accessible_name("Notifications, 2 unread", timeout=LIVE_WITHIN_MS)
    expect(bell.locator(".bell-badge")).to_have_text("2")
    assert page.evaluate("window.__sameDocument") is True
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(".bell-row").screenshot(path=str(SHOTS / "bell-light.png"))
    page.emulate_media(color_scheme="dark")
    page.locator(".bell-row").screenshot(path=str(SHOTS / "bell-dark.png"))
    page.emulate_media(color_scheme="light")

    # The inbox lists both, newest first, unread.
    bell.click()
    expect(page).to_have_url(re.compile(r"/inbox$"))
    expect(page.get_by_role("heading", name="Inbox", exact=True)).to_be_visible()
    items = page.locator(".notification-list > li")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text(f"Ada Lovelace mentioned you on NTF-{task['number']}")
    expect(items.nth(1)).to_contain_text(f"Ada Lovelace assigned you NTF-{task['number']}")
    expect(items.nth(1)).to_contain_text("Rotate the signing keys")
    expect(page.locator(".notification-list > li.unread")).to_have_count(2)
    page.screenshot(path=str(SHOTS / "inbox-light.png"))
    _no_blocking_axe_findings(page, "inbox (light)")
    page.emulate_media(color_scheme="dark")
    page.screenshot(path=str(SHOTS / "inbox-dark.png"))
    _no_blocking_axe_findings(page, "inbox (dark)")
    page.emulate_media(color_scheme="light")

    # j / k move through the list; the snooze choices open under their button.
    page.keyboard.press("j")
    expect(items.nth(0).get_by_role("link")).to_be_focused()
    page.keyboard.press("j")
    expect(items.nth(1).get_by_role("link")).to_be_focused()
    page.keyboard.press("k")
    expect(items.nth(0)).to_have_class(re.compile(r"\bselected\b"))
    items.nth(0).get_by_role("button", name="Snooze").click()
    expect(page.get_by_role("button", name="Until tomorrow, 9:00")).to_be_visible()
    page.screenshot(path=str(SHOTS / "snooze-light.png"))
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Until tomorrow, 9:00")).to_be_hidden()
    expect(items.nth(0).get_by_role("button", name="Snooze")).to_be_focused()

    # A click opens the task and marks that one read.
    items.nth(1).get_by_role("link", name=re.compile("assigned you")).click()
    expect(page).to_have_url(re.compile(rf"/t/NTF-{task['number']}$"))
    expect(page.get_by_label("Title", exact=True)).to_have_value("Rotate the signing keys")
    expect(bell).to_have_accessible_name("Notifications, 1 unread")

    # The comment box suggests people to mention: "@ad" finds Ada, Enter inserts her handle.
    ada_handle = _handle(server, team.ada)
    comment = page.get_by_label("Write a comment (Markdown)")
    comment.click()
    comment.press_sequentially("Sure, @Ad")
    suggestions = page.get_by_role("listbox", name="People to mention")
    expect(suggestions.get_by_role("option", name=re.compile("Ada Lovelace"))).to_be_visible()
    expect(comment).to_have_attribute("aria-activedescendant", re.compile(".+"))
    page.locator(".comments").screenshot(path=str(SHOTS / "mention-light.png"))
    _no_blocking_axe_findings(page, "task page with @mention suggestions")
    comment.press("Enter")
    expect(suggestions).to_be_hidden()
    expect(comment).to_have_value(f"Sure, @{ada_handle} ")

    # Back in the inbox: that one is read, the count is 1.
    page.go_back()
    expect(page).to_have_url(re.compile(r"/inbox$"))
    expect(items).to_have_count(2)
    expect(items.nth(1)).not_to_have_class(re.compile(r"\bunread\b"))
    expect(items.nth(0)).to_have_class(re.compile(r"\bunread\b"))
    expect(bell).to_have_accessible_name("Notifications, 1 unread")

    # "Mark all read" clears the rest.
    page.get_by_role("button", name="Mark all read").click()
    expect(bell).to_have_accessible_name("Notifications")
    expect(bell.locator(".bell-badge")).to_have_count(0)
    expect(page.locator(".notification-list > li.unread")).to_have_count(0)
    expect(page.get_by_role("button", name="Mark all read")).to_be_disabled()
    assert _unread(server, team.bob) == 0


def test_notification_settings_are_saved_from_the_account_page(
    browser: Any, server: Server
) -> None:
    team = make_team(server, "NTS")
    page = signed_in_page(browser, server, team.bob, **axe.CONTEXT_OPTIONS)
    page.goto("/account")
    section = page.get_by_role("region", name="Notifications")
    # The test server has no mail server: said so, and the choices can be saved all the same.
    expect(section).to_contain_text("This installation sends no e-mail")
    section.get_by_label("Comments: e-mail").select_option("off")
    section.get_by_label("Status changes: in the app").select_option("off")
    section.get_by_label("Daily digest at").select_option("17")
    add = section.locator(".add-mute")
    add.get_by_label("Project").select_option(label="NTS Project NTS")
    add.get_by_label("Level").select_option("all")
    section.get_by_role("button", name="Mute project").click()
    expect(section.get_by_label("Mute level for NTS Project NTS")).to_have_value("all")
    SHOTS.mkdir(parents=True, exist_ok=True)
    section.screenshot(path=str(SHOTS / "settings-light.png"))
    page.emulate_media(color_scheme="dark")
    section.screenshot(path=str(SHOTS / "settings-dark.png"))
    _no_blocking_axe_findings(page, "account page (dark)")
    page.emulate_media(color_scheme="light")
    section.get_by_role("button", name="Save notification settings").click()
    expect(section.get_by_role("status")).to_have_text("Notification settings saved.")

    with server.api() as c:
        r = c.get("/users/me/notification-settings", headers=team.bob.headers)
        assert r.status_code == 200, r.text
        saved = r.json()
    assert saved["email_enabled"] is False
    assert saved["types"]["commented"] == {"in_app": "immediate", "email": "off"}
    assert saved["types"]["status_changed"]["in_app"] == "off"
    assert saved["types"]["assigned"] == {"in_app": "immediate", "email": "immediate"}
    assert saved["digest_hour"] == 17
    assert saved["projects"] == [{"project_id": team.project_id, "level": "all"}]

    # After a reload the page shows what was saved; removing the mute saves an empty list.
    page.reload()
    section = page.get_by_role("region", name="Notifications")
    expect(section.get_by_label("Comments: e-mail")).to_have_value("off")
    expect(section.get_by_label("Daily digest at")).to_have_value("17")
    section.get_by_role("button", name="Remove mute: NTS Project NTS").click()
    section.get_by_role("button", name="Save notification settings").click()
    expect(section.get_by_role("status")).to_have_text("Notification settings saved.")
    with server.api() as c:
        saved = c.get("/users/me/notification-settings", headers=team.bob.headers).json()
    assert saved["projects"] == []
