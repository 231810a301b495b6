"""The calendar feed in the web app (issue 14, item 5): Bob shows his private calendar
address on the Account page, the address serves his task's due date as iCalendar, and after
he gets a new address the old one answers 404."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import httpx
import icalendar
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, Server, create_task, make_team, signed_in_page

SHOTS = ARTIFACTS / "calendar"


def test_show_use_and_rotate_the_calendar_address(browser: Any, server: Server) -> None:
    team = make_team(server, "CAL")
    task = create_task(
        server,
        team.ada,
        team.project_id,
        title="Renew the certificate",
        assignee_ids=[team.bob.user_id],
        due_date="2026-12-18",
    )
    page = signed_in_page(browser, server, team.bob)
    page.goto("/account")
    section = page.get_by_role("region", name="Calendar feed")
    section.get_by_role("button", name="Show calendar address").click()
    address = section.get_by_label("Calendar address", exact=True)
    expect(address).to_have_value(re.compile(r"/ical/.+\.ics$"))
    old = urlsplit(address.input_value()).path
    SHOTS.mkdir(parents=True, exist_ok=True)
    section.screenshot(path=str(SHOTS / "address.png"))

    # What a calendar app fetches: no sign-in, the address is enough.
    fetched = httpx.get(server.base + old, timeout=10)
    assert fetched.status_code == 200, fetched.text
    assert fetched.headers["content-type"] == "text/calendar; charset=utf-8"
    [event] = icalendar.Calendar.from_ical(fetched.content).walk("VEVENT")
    assert str(event["summary"]) == f"CAL-{task['number']}: Renew the certificate"
    assert event.decoded("dtstart").isoformat() == "2026-12-18"

    section.get_by_role("button", name="Copy").click()
    expect(section.get_by_role("status")).to_contain_text(re.compile("Copied|Selected"))

    # A new address; the old one stops.
    section.get_by_role("button", name="Get a new address").click()
    dialog = page.get_by_role("dialog", name="New calendar address")
    dialog.get_by_role("button", name="Get a new address").click()
    expect(dialog).to_be_hidden()
    expect(address).not_to_have_value(re.compile(re.escape(old) + "$"))
    expect(page.get_by_text("New calendar address made")).to_be_visible()
    new = urlsplit(address.input_value()).path
    assert httpx.get(server.base + old, timeout=10).status_code == 404
    assert httpx.get(server.base + new, timeout=10).status_code == 200
    section.screenshot(path=str(SHOTS / "rotated.png"))
