"""The query boxes suggest as you type: field names with their operator, then the field's values
(people's handles, labels, ...), chosen with the keyboard while the box keeps the focus; and a
saved view's list in groups (its `group_by`). In a real browser on a real server."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.e2e import axe
from tests.e2e.conftest import ARTIFACTS, Account, Server, create_task, make_team, signed_in_page

SHOTS = ARTIFACTS / "query-autocomplete"
FILTER_BOX = "Search titles and descriptions, or filter with a query (press /)"


def _handle(server: Server, who: Account) -> str:
    with server.api() as c:
        r = c.get("/users/me", headers=who.headers)
        assert r.status_code == 200, r.text
        return str(r.json()["handle"])


def _no_blocking_axe_findings(page: Any, where: str) -> None:
    blocking = [v.describe() for v in axe.check(page) if v.blocking]
    assert blocking == [], f"{where}: serious or critical accessibility problems:\n" + "\n".join(
        blocking
    )


def _label(server: Server, who: Account, project_id: str, name: str) -> str:
    with server.api() as c:
        r = c.post(
            f"/projects/{project_id}/labels",
            json={"name": name, "color": "#6366f1"},
            headers=who.headers,
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"])


def test_pick_a_field_and_a_person_on_a_projects_list(browser: Any, server: Server) -> None:
    team = make_team(server, "QAC")
    bob = _handle(server, team.bob)
    create_task(server, team.ada, team.project_id, title="Write the docs",
                assignee_ids=[team.bob.user_id])  # fmt: skip
    create_task(server, team.ada, team.project_id, title="Fix the login",
                assignee_ids=[team.ada.user_id])  # fmt: skip
    create_task(server, team.ada, team.project_id, title="Nobody's yet")

    page = signed_in_page(browser, server, team.ada, **axe.CONTEXT_OPTIONS)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"/p/{team.project_id}/list")
    rows = page.locator(".task-table tbody tr")
    expect(rows).to_have_count(3)

    # `/` focuses the box, as before; it is a combobox with nothing to suggest yet.
    page.keyboard.press("/")
    box = page.get_by_role("combobox", name=FILTER_BOX, exact=True)
    expect(box).to_be_focused()
    expect(box).to_have_attribute("aria-expanded", "false")
    box.press_sequentially("assi")
    suggestions = page.get_by_role("listbox", name="Suggestions")
    expect(suggestions).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(box).to_have_attribute("aria-controls", str(suggestions.get_attribute("id")))
    options = suggestions.get_by_role("option")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("assignee:")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "list-fields.png"))

    # ArrowDown chooses it (the box points at it), Enter puts it in place of "assi".
    box.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", str(options.first.get_attribute("id")))
    box.press("Enter")
    expect(box).to_have_value("assignee:")
    expect(box).to_be_focused()
    # Then the field's values: me, none, the project's people by handle.
    expect(options.locator(".query-option-text")).to_contain_text(["me", "none", bob])
    expect(options.filter(has_text=bob)).to_contain_text("Bob Martin")
    page.screenshot(path=str(SHOTS / "list-people.png"))
    box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", str(options.first.get_attribute("id")))
    _no_blocking_axe_findings(page, "the list's query box with its suggestions")

    # Typing on narrows the list and lets go of the option chosen.
    box.press_sequentially("bob")
    expect(options).to_have_count(1)
    expect(options.first).to_have_attribute("aria-selected", "false")
    box.press("ArrowDown")
    box.press("Enter")
    expect(box).to_have_value(f"assignee:{bob} ")
    expect(suggestions).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Write the docs")
    expect(page).to_have_url(re.compile(rf"q=assignee%3A{bob}"))

    # Escape closes the list and leaves the focus in the box; a second Escape leaves the box.
    box.press_sequentially("is:")
    expect(options.first).to_contain_text("open")
    box.press("Escape")
    expect(suggestions).to_be_hidden()
    expect(box).to_be_focused()
    box.press("Escape")
    expect(box).not_to_be_focused()
    page.context.close()
    assert [e for e in errors if "422" not in e] == [], errors


def test_pick_a_label_on_my_tasks(browser: Any, server: Server) -> None:
    team = make_team(server, "QAL")
    with server.api() as c:
        other = c.post(
            f"/workspaces/{team.workspace_id}/projects",
            json={"key": "QAO", "name": "Operations"},
            headers=team.ada.headers,
        ).json()
    bug = _label(server, team.ada, team.project_id, "bug")
    review = _label(server, team.ada, other["id"], "needs review")
    mine = [team.bob.user_id]
    create_task(server, team.ada, team.project_id, title="Crash on save",
                assignee_ids=mine, label_ids=[bug])  # fmt: skip
    create_task(server, team.ada, other["id"], title="Check the pager rota",
                assignee_ids=mine, label_ids=[review])  # fmt: skip

    page = signed_in_page(browser, server, team.bob, **axe.CONTEXT_OPTIONS)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"/w/{team.workspace_id}/tasks")
    rows = page.locator(".my-tasks tbody tr")
    expect(rows).to_have_count(2)
    box = page.get_by_role("combobox", name="Query", exact=True)
    box.click()
    box.press("End")
    box.press_sequentially(" label:")
    options = page.get_by_role("listbox", name="Suggestions").get_by_role("option")
    # The labels of every project, by name; the one with a space shown as it is.
    expect(options.locator(".query-option-text")).to_have_text(["bug", "needs review"])
    page.screenshot(path=str(SHOTS / "my-tasks-labels.png"))
    _no_blocking_axe_findings(page, "My tasks with label suggestions")
    box.press("ArrowDown")
    box.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    box.press("Tab")
    expect(box).to_have_value('assignee:me is:open label:"needs review" ')
    expect(box).to_be_focused()
    # With the list closed, Enter runs the query.
    box.press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("QAO-1 Check the pager rota")
    expect(page).to_have_url(re.compile(r"q=assignee%3Ame\+is%3Aopen\+label%3A%22needs"))
    page.context.close()
    assert errors == [], errors


def test_a_view_saved_with_group_by_shows_its_groups(browser: Any, server: Server) -> None:
    team = make_team(server, "QAG")
    for title, priority, who in (
        ("Outage follow-up", "urgent", [team.ada.user_id]),
        ("Tidy the backlog", "low", [team.bob.user_id]),
        ("Rename the repo", "urgent", []),
        ("Answer the survey", "none", [team.ada.user_id, team.bob.user_id]),
    ):
        create_task(server, team.ada, team.project_id, title=title, priority=priority,
                    assignee_ids=who)  # fmt: skip

    page = signed_in_page(browser, server, team.ada)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"/w/{team.workspace_id}/tasks?q=project:{team.key}")
    expect(page.locator(".my-tasks tbody tr")).to_have_count(4)
    page.get_by_role("button", name="Save as view").click()
    page.get_by_label("Name", exact=True).fill("By priority")
    page.get_by_label("Group by").select_option("priority")
    page.get_by_role("button", name="Save view").click()

    expect(page.get_by_role("heading", name="By priority", level=1)).to_be_visible()
    groups = page.locator(".view-group")
    expect(groups.get_by_role("heading", level=2)).to_have_text(["Urgent", "Low", "No priority"])
    urgent = page.get_by_role("region", name="Urgent")
    expect(urgent.locator("tbody tr")).to_have_count(2)
    expect(urgent).to_contain_text("2 tasks")
    expect(page.get_by_role("region", name="Low")).to_contain_text("Tidy the backlog")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "view-by-priority.png"), full_page=True)

    # The edit form changes it; its query box suggests too.
    page.get_by_role("button", name="Edit view").click()
    form = page.get_by_role("form", name="Edit view")
    expect(form.get_by_label("Group by")).to_have_value("priority")
    form.get_by_label("Group by").select_option("assignee")
    query = form.get_by_role("combobox", name="Query", exact=True)
    query.click()
    query.press("End")
    query.press_sequentially(" -prio")
    suggested = form.get_by_role("listbox", name="Suggestions").get_by_role("option")
    suggested.filter(has_text="priority:").click()
    query.press_sequentially("l")
    expect(suggested.locator(".query-option-text")).to_have_text(["low"])
    page.screenshot(path=str(SHOTS / "view-edit-query.png"))
    query.press("Tab")
    expect(query).to_have_value(f"project:{team.key} -priority:low ")
    form.get_by_role("button", name="Save").click()
    expect(page.locator(".view-query code")).to_have_text(f"project:{team.key} -priority:low")
    # Ada's group lists her two, the survey also under Bob (it is assigned to both).
    expect(groups.get_by_role("heading", level=2)).to_have_text(
        ["Ada Lovelace", "Bob Martin", "No assignee"]
    )
    expect(page.get_by_role("region", name="Ada Lovelace").locator("tbody tr")).to_have_count(2)
    expect(page.get_by_role("region", name="Bob Martin")).to_contain_text("Answer the survey")
    expect(page.get_by_role("region", name="No assignee")).to_contain_text("Rename the repo")
    page.screenshot(path=str(SHOTS / "view-by-assignee.png"), full_page=True)
    page.context.close()
    assert errors == [], errors
