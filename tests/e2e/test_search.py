"""Issue 16, full-text search in the web app: `/` opens the search box, the best hits across
every project come as you type with the matching words marked, Enter opens the task, and the
results page has them all. In a real browser on a real server."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, Server, create_task, make_team, signed_in_page

SHOTS = ARTIFACTS / "search"


def test_find_a_task_by_a_word_in_its_comment_across_projects(browser: Any, server: Server) -> None:
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
    query = page.get_by_role("combobox", name="Search tasks and comments")
    # The page's box suggests the query language's fields, as task lists do.
    query.fill("redesign OR vpn stat")
    expect(page.get_by_role("option", name=re.compile(r"^status:"))).to_be_visible()
    query.press("Escape")
    query.fill("redesign OR vpn")
    page.get_by_role("button", name="Search", exact=True).click()
    results = page.get_by_role("list", name="Results for redesign OR vpn")
    expect(results.get_by_role("link")).to_have_count(2)
    expect(results.locator("mark").first).to_be_visible()
    page.screenshot(path=str(SHOTS / "results-page.png"), full_page=True)
    results.get_by_role("link").filter(has_text="OPQ-1").click()
    expect(page.get_by_role("heading", name="Login timeout behind the VPN")).to_be_visible()
    assert not errors, errors


def test_my_tasks_across_projects_and_a_query_with_an_error_shown_inline(
    browser: Any, server: Server
) -> None:
    team = make_team(server, "MYT")
    with server.api() as c:
        ops = c.post(
            f"/workspaces/{team.workspace_id}/projects",
            json={"key": "MYO", "name": "Operations"},
            headers=team.ada.headers,
        ).json()
        bug = c.post(
            f"/projects/{ops['id']}/labels",
            json={"name": "bug", "color": "#ef4444"},
            headers=team.ada.headers,
        ).json()
    bob = [team.bob.user_id]
    create_task(
        server, team.ada, team.project_id, title="Write the release notes", assignee_ids=bob
    )
    create_task(server, team.ada, team.project_id, title="Someone else's task")
    create_task(
        server, team.ada, ops["id"], title="Fix the pager rota", assignee_ids=bob,
        label_ids=[bug["id"]], priority="urgent", due_date="2020-01-01",
    )  # fmt: skip
    create_task(
        server, team.ada, team.project_id, title="Already shipped", assignee_ids=bob,
        status_id=team.statuses["Done"],
    )  # fmt: skip

    page = signed_in_page(browser, server, team.bob)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"/p/{team.project_id}/board")
    page.get_by_role("link", name="My tasks").click()
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()
    rows = page.locator(".my-tasks tbody tr")
    # Bob's open tasks of both projects, most recently updated first; not the done one.
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("MYO-1 Fix the pager rota")
    expect(rows.nth(0)).to_contain_text("Operations")
    expect(rows.nth(0)).to_contain_text("Todo")
    expect(rows.nth(1)).to_contain_text(f"{team.key}-1 Write the release notes")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "my-tasks.png"), full_page=True)

    query = page.get_by_label("Query")
    query.fill("asignee:me label:bug")
    query.press("Enter")
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("unknown field `asignee`: did you mean `assignee`? (at 0)")
    expect(query).to_have_attribute("aria-invalid", "true")
    page.screenshot(path=str(SHOTS / "query-error.png"), full_page=True)
    query.fill("assignee:me label:bug is:overdue")
    query.press("Enter")
    expect(page.get_by_role("heading", name="Tasks")).to_be_visible()
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("MYO-1")
    expect(page).to_have_url(re.compile(r"/tasks\?q=assignee%3Ame\+label%3Abug\+is%3Aoverdue"))
    rows.nth(0).get_by_role("link").click()
    expect(page.get_by_label("Title", exact=True)).to_have_value("Fix the pager rota")
    # The browser logs the refused query's 422 itself; nothing else went wrong.
    assert [e for e in errors if "422" not in e] == [], errors


def test_save_a_query_as_a_shared_view_shown_as_a_board(browser: Any, server: Server) -> None:
    team = make_team(server, "VWS")
    with server.api() as c:
        bug = c.post(
            f"/projects/{team.project_id}/labels",
            json={"name": "bug", "color": "#ef4444"},
            headers=team.ada.headers,
        ).json()
    create_task(server, team.ada, team.project_id, title="Crash on save",
                label_ids=[bug["id"]], status_id=team.statuses["In Progress"])  # fmt: skip
    create_task(server, team.ada, team.project_id, title="Typo in footer",
                label_ids=[bug["id"]])  # fmt: skip
    create_task(server, team.ada, team.project_id, title="Not a bug")

    page = signed_in_page(browser, server, team.bob)
    page.goto(f"/w/{team.workspace_id}/tasks?q=label:bug")
    rows = page.locator(".my-tasks tbody tr")
    expect(rows).to_have_count(2)
    page.get_by_role("button", name="Save as view").click()
    page.get_by_label("Name").fill("Open bugs")
    page.get_by_label("Show as").select_option("board")
    page.get_by_label("Share with the workspace").check()
    page.get_by_role("button", name="Save view").click()

    expect(page.get_by_role("heading", name="Open bugs")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/views/[0-9a-f-]+$"))
    started = page.get_by_role("region", name="In progress")
    expect(started.locator(".view-card")).to_have_count(1)
    expect(started).to_contain_text(f"{team.key}-1 Crash on save")
    expect(page.get_by_role("region", name="To do")).to_contain_text("Typo in footer")
    views = page.get_by_role("list", name="Saved views")
    expect(views.get_by_role("link", name="Open bugs")).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "view-board.png"), full_page=True)
    view_url = page.url

    # Shared: Ada has it in her sidebar, and as a workspace owner she may edit it.
    ada = signed_in_page(browser, server, team.ada)
    ada.goto(f"/w/{team.workspace_id}/tasks")
    ada.get_by_role("list", name="Saved views").get_by_role("link", name="Open bugs").click()
    expect(ada).to_have_url(view_url)
    ada.get_by_role("button", name="Edit view").click()
    form = ada.get_by_role("form", name="Edit view")
    form.get_by_label("Show as").select_option("list")
    form.get_by_label("Query").fill("label:bug status:started")
    form.get_by_role("button", name="Save").click()
    expect(ada.locator(".my-tasks tbody tr")).to_have_count(1)
    expect(ada.locator(".view-query code")).to_have_text("label:bug status:started")
    ada.context.close()
    page.context.close()
