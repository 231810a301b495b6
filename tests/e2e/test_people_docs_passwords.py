"""In a real browser: guests see who works on a project, the API docs render with no internet,
and the sign-up page steers people away from common passwords."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.e2e.conftest import (
    PASSWORD,
    VIEWPORT,
    Account,
    Server,
    create_task,
    make_team,
    register,
    signed_in_page,
)

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "shots"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def _shot(page: Any, name: str) -> None:
    """A picture for a person to look at; not part of any assertion."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), timeout=60_000)


def _guest(server: Server, team: Any, project_role: str = "viewer") -> Account:
    guest = register(server, "Gina Guest")
    with server.api() as c:
        r = c.post(
            f"/workspaces/{team.workspace_id}/members",
            json={"email": guest.email, "role": "guest"},
            headers=team.ada.headers,
        )
        assert r.status_code == 201, r.text
        r = c.post(f"/invitations/{r.json()['id']}/accept", headers=guest.headers)
        assert r.status_code == 200, r.text
        r = c.post(
            f"/projects/{team.project_id}/members",
            json={"user_id": guest.user_id, "role": project_role},
            headers=team.ada.headers,
        )
        assert r.status_code == 201, r.text
    return guest


def test_a_guest_sees_assignees_on_the_board_and_list_and_filters_by_a_person(
    browser: Any, server: Server
) -> None:
    team = make_team(server, "GST")
    create_task(
        server, team.ada, team.project_id, title="Bob's job", assignee_ids=[team.bob.user_id]
    )
    create_task(
        server, team.ada, team.project_id, title="Ada's job", assignee_ids=[team.ada.user_id]
    )
    create_task(server, team.ada, team.project_id, title="Nobody's job")
    guest = _guest(server, team)
    page = signed_in_page(browser, server, guest)

    page.goto(f"/p/{team.project_id}/board")
    expect(page.locator(".board")).to_have_attribute("data-ready", "true")
    bob_card = page.locator(".card", has_text="Bob's job")
    expect(bob_card.locator(".avatar")).to_have_attribute("title", "Bob Martin")
    expect(bob_card.locator(".avatar [aria-hidden=true]")).to_have_text("BM")
    expect(page.locator(".card", has_text="Ada's job").locator(".avatar")).to_have_attribute(
        "title", "Ada Lovelace"
    )
    expect(page.locator(".card .avatar", has_text="SO")).to_have_count(0)
    _shot(page, "guest-board")

    page.goto(f"/p/{team.project_id}/list")
    # The assignee column names people (its editing is another test's business).
    bob_row = page.locator("tbody tr", has_text="Bob's job")
    expect(bob_row).to_contain_text("Bob Martin")
    expect(bob_row).not_to_contain_text("Someone")
    expect(page.locator("tbody tr", has_text="Ada's job")).to_contain_text("Ada Lovelace")
    assignee = page.locator(".filter-bar details.multi").filter(
        has=page.locator("summary", has_text="Assignee")
    )
    assignee.locator("summary").click()
    options = assignee.locator("label.check-row")
    expect(options).to_have_text(
        ["Me", "Unassigned", "Ada Lovelace", "Bob Martin", "Gina Guest"], use_inner_text=True
    )
    options.filter(has_text="Bob Martin").locator("input").check()
    expect(page.locator("tbody tr", has_text="Bob's job")).to_have_count(1)
    expect(page.locator("tbody tr", has_text="Ada's job")).to_have_count(0)
    expect(page.locator("tbody tr", has_text="Nobody's job")).to_have_count(0)
    _shot(page, "guest-list-filtered")
    page.context.close()


def test_api_docs_render_with_no_request_leaving_the_machine(browser: Any, server: Server) -> None:
    context = browser.new_context(base_url=server.base, viewport=VIEWPORT)
    outside: list[str] = []

    def only_loopback(route: Any) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOOPBACK:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    page = context.new_page()
    page.set_default_timeout(15_000)
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    csp_errors: list[str] = []
    page.on(
        "console",
        lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
    )

    page.goto("/api/docs")
    expect(page.locator(".swagger-ui .opblock-summary-path").first).to_be_visible()
    expect(
        page.locator(".opblock-summary-path", has_text=re.compile(r"^/api/v1/workspaces$")).first
    ).to_be_visible()
    _shot(page, "api-docs")

    page.goto("/api/redoc")
    expect(page.get_by_role("heading", name="List Workspaces").first).to_be_visible()
    _shot(page, "api-redoc")

    assert outside == []
    assert failed == []
    assert csp_errors == []
    context.close()


def test_sign_up_shows_password_strength_and_refuses_a_common_password(
    browser: Any, server: Server
) -> None:
    context = browser.new_context(base_url=server.base, viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/signup")
    page.get_by_label("Name").fill("Katherine Johnson")
    page.get_by_label("E-mail", exact=True).fill(f"katherine-{time.monotonic_ns()}@example.com")
    password = page.get_by_label("Password", exact=True)
    meter = page.get_by_role("meter", name="Password strength")

    password.fill("short")
    expect(meter).to_have_attribute("aria-valuetext", re.compile("Too short"))
    password.fill("password")
    expect(meter).to_have_attribute("aria-valuetext", re.compile("Too common"))
    expect(page.get_by_text("Too common")).to_be_visible()

    # Past the browser's own check, the server is the judge: its answer shows at the field.
    password.fill("12345678")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("This password is too common")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/signup$"))

    password.fill(PASSWORD)
    expect(meter).to_have_attribute("aria-valuetext", re.compile("Strong"))
    _shot(page, "sign-up-strong")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_label("Workspace name")).to_be_visible()
    context.close()
