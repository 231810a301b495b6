"""Issue 16, full-text search in the web app: `/` opens the search box, the best hits across
every project come as you type with the matching words marked, Enter opens the task, and the
results page has them all. In a real browser on a real server."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, Server, create_task, make_team, signed_in_page

SHOTS = ARTIFACTS / "search"


def test_find_a_task_by_a_word_in_its_comment_across_projects(
    browser: Any, server: Server
) -> None:
    team = make_team(server, "SRC")
    with server.api() as c:
        ops = c.post(
            f"/workspaces/{team.workspace_id}/projects",
            json={"key": "OPQ", "name": "Operations"},
            headers=team.ada.headers,
        ).json()
    create_task(server, team.ada, team.project_id, title="Redesign the sign-in page")
    flaky = create_task(server, team.ada, team.project_id, title="Flaky pipeline")
    with server.api() as c:
        r = c.post(
            f"/tasks/{flaky['id']}/comments",
            json={"body": "Saw a login timeout in the runner's logs again."},
            headers=team.bob.headers,
        )
        assert r.status_code == 201, r.text
    create_task(server, team.ada, ops["id"], title="Login timeout behind the VPN")

    page = signed_in_page(browser, server, team.ada)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"/p/{team.project_id}/board")
    expect(page.locator(".board")).to_have_attribute("data-ready", "true")
    # The sidebar offers search once it knows the workspace; so does `/`.
    expect(page.get_by_role("button", name="Search /")).to_be_visible()
    page.keyboard.press("/")
    dialog = page.get_by_role("dialog", name="Search")
    box = dialog.get_by_role("combobox", name="Search tasks and comments")
    expect(box).to_be_focused()
    box.fill("login timeout")
    options = dialog.get_by_role("option")
    # The title match first, then the comment; each with its words marked; then "All results".
    expect(options).to_have_count(3)
    expect(options.nth(0)).to_contain_text("OPQ-1")
    expect(options.nth(1)).to_contain_text(f"{team.key}-2")
    expect(options.nth(1)).to_contain_text("comment")
    expect(options.nth(1).locator("mark")).to_have_text(["login", "timeout"])
    expect(options.nth(2)).to_have_text("All results for “login timeout”")
    SHOTS.mkdir(parents=True, exist_ok=True)
    dialog.screenshot(path=str(SHOTS / "search-box.png"))

    # Down to the comment's task, Enter: it opens.
    box.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page).to_have_url(re.compile(rf"/board/{team.key}-2$"))
    expect(page.get_by_role("heading", name="Flaky pipeline")).to_be_visible()

    # The word being typed matches as a prefix; Enter on "All results" opens the page.
    page.keyboard.press("Escape")
    page.keyboard.press("/")
    box.fill("logi")
    expect(options).to_have_count(3)
    box.press("ArrowUp")
    box.press("Enter")
    expect(page).to_have_url(re.compile(rf"/w/{team.workspace_id}/search\?q=logi$"))
    results = page.get_by_role("list", name="Results for logi")
    expect(results.get_by_role("link")).to_have_count(2)
    page.get_by_role("searchbox", name="Search tasks and comments").fill("redesign OR vpn")
    page.get_by_role("button", name="Search", exact=True).click()
    results = page.get_by_role("list", name="Results for redesign OR vpn")
    expect(results.get_by_role("link")).to_have_count(2)
    expect(results.locator("mark").first).to_be_visible()
    page.screenshot(path=str(SHOTS / "results-page.png"), full_page=True)
    results.get_by_role("link").filter(has_text="OPQ-1").click()
    expect(page.get_by_role("heading", name="Login timeout behind the VPN")).to_be_visible()
    assert not errors, errors
