"""Issue 12, "Missing in the UI": the create-task dialog's fields, task references as links with
a preview, and the palette finding tasks across projects, in a real browser on a real server."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, Server, create_task, make_team, signed_in_page

SHOTS = ARTIFACTS / "create-refs-palette"


def _shot(where: Any, name: str) -> None:
    """A screenshot of a page or of one element, for a person to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    where.screenshot(path=str(SHOTS / f"{name}.png"))


def test_create_with_every_field_then_refer_preview_and_find_across_projects(
    browser: Any, server: Server
) -> None:
    team = make_team(server, "CRP")
    key = team.key
    with server.api() as c:
        label = c.post(
            f"/projects/{team.project_id}/labels",
            json={"name": "importer", "color": "#0ea5e9"},
            headers=team.ada.headers,
        ).json()
        ops = c.post(
            f"/workspaces/{team.workspace_id}/projects",
            json={"key": "OPX", "name": "Operations"},
            headers=team.ada.headers,
        ).json()
    epic = create_task(server, team.ada, team.project_id, title="Data import epic")
    create_task(server, team.ada, ops["id"], title="Rotate the certificates")

    page = signed_in_page(browser, server, team.ada)
    page.goto(f"/p/{team.project_id}/board")
    expect(page.locator(".board")).to_have_attribute("data-ready", "true")

    # --- the dialog: every field, with "create more" on --------------------------------------
    page.keyboard.press("c")
    dialog = page.get_by_role("dialog", name="Create a task")
    title = dialog.get_by_label("Title", exact=True)
    title.fill("Design the importer")
    dialog.get_by_label("Priority").select_option("high")
    assignees = dialog.locator(".pick-many", has_text="Assignees").locator("summary")
    assignees.click()
    dialog.get_by_role("checkbox", name="Bob Martin").check()
    assignees.click()
    labels = dialog.locator(".pick-many", has_text="Labels").locator("summary")
    labels.click()
    dialog.get_by_role("checkbox", name="importer").check()
    labels.click()
    dialog.get_by_label("Due date").fill("2027-03-15")
    parent = dialog.get_by_role("combobox", name="Parent task")
    parent.fill("import epic")
    dialog.get_by_role("option", name=f"{key}-1 Data import epic").click()
    expect(dialog.get_by_role("button", name="Remove the parent task")).to_be_visible()
    dialog.get_by_label("Description (Markdown)").fill(
        f"Read the **CSV** files.\n\nPart of {key}-1, not `{key}-1`."
    )
    dialog.get_by_role("tab", name="Preview").click()
    preview = dialog.locator(".preview")
    expect(preview.locator("strong")).to_have_text("CSV")
    expect(preview.locator(f'a[data-task-ref="{key}-1"]')).to_have_count(1)
    expect(preview.locator("code")).to_have_text(f"{key}-1")
    dialog.get_by_label("Create more").check()
    _shot(dialog, "01-create-dialog-filled")
    dialog.get_by_role("button", name="Create task").click()

    # Still open, cleared except the status and "create more", typing the next title.
    expect(dialog.get_by_role("status")).to_have_text(f"Created {key}-2: Design the importer")
    expect(title).to_have_value("")
    expect(title).to_be_focused()
    expect(dialog.get_by_label("Priority")).to_have_value("none")
    expect(dialog.get_by_label("Due date")).to_have_value("")
    expect(dialog.get_by_role("combobox", name="Parent task")).to_have_value("")
    expect(dialog.get_by_label("Description (Markdown)")).to_have_value("")
    expect(dialog.get_by_label("Create more")).to_be_checked()
    with server.api() as c:
        first = c.get(f"/tasks/{key}-2", headers=team.ada.headers).json()
    assert first["priority"] == "high"
    assert first["assignee_ids"] == [team.bob.user_id]
    assert first["label_ids"] == [label["id"]]
    assert first["due_date"] == "2027-03-15"
    assert first["parent_id"] == epic["id"]
    assert first["description"].startswith("Read the **CSV** files.")

    # A second one, found as a parent by its bare number, sent with Enter.
    title.fill(f"Write the import docs for {key}-2")
    dialog.get_by_role("combobox", name="Parent task").fill("2")
    dialog.get_by_role("option", name=f"{key}-2 Design the importer").click()
    title.press("Enter")
    expect(dialog.get_by_role("status")).to_have_text(
        f"Created {key}-3: Write the import docs for {key}-2"
    )
    _shot(dialog, "02-create-more-after-second")
    with server.api() as c:
        second = c.get(f"/tasks/{key}-3", headers=team.ada.headers).json()
    assert second["parent_id"] == first["id"]
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()

    # --- a comment that mentions the first task: link, preview, click -----------------------
    page.locator(".card", has_text="Write the import docs").click()
    panel = page.locator(".side-panel")
    expect(panel.get_by_label("Title", exact=True)).to_have_value(
        f"Write the import docs for {key}-2"
    )
    # The key in the title is a link too, under it.
    expect(panel.locator(f'.title-refs a[data-task-ref="{key}-2"]')).to_be_visible()
    panel.get_by_label("Write a comment").fill(f"Blocked by {key}-2 and by NOPE-9.")
    panel.get_by_role("button", name="Comment", exact=True).click()
    ref = panel.locator(f'.comment-list a[data-task-ref="{key}-2"]')
    expect(ref).to_have_text(f"{key}-2")
    ref.hover()
    card = page.get_by_role("tooltip")
    expect(card).to_contain_text("Design the importer")
    expect(card).to_contain_text("Todo")
    expect(card).to_contain_text("Bob Martin")
    expect(ref).to_have_attribute("aria-describedby", re.compile(".+"))
    _shot(page, "03-reference-preview")
    page.mouse.move(5, 5)
    expect(card).to_be_hidden()

    # A key that names nothing previews "No such task" and turns into plain text.
    missing = panel.locator('.comment-list a[data-task-ref="NOPE-9"]')
    missing.hover()
    expect(page.get_by_role("tooltip")).to_contain_text("No such task")
    expect(missing).to_have_attribute("data-missing", "true")
    _shot(page, "04-reference-missing")
    page.mouse.move(5, 5)

    # Keyboard focus shows the card too, Escape hides it; a click opens the task.
    ref.focus()
    expect(page.get_by_role("tooltip")).to_contain_text("Design the importer")
    page.keyboard.press("Escape")
    expect(page.get_by_role("tooltip")).to_be_hidden()
    ref.click()
    expect(page.get_by_label("Title", exact=True)).to_have_value("Design the importer")

    # --- the palette: a task of another project, by title and by key -------------------------
    page.keyboard.press("Control+k")
    palette = page.get_by_role("combobox", name="Type a command or search tasks")
    palette.fill("certificates")
    hit = page.get_by_role("option", name=re.compile("OPX-1 Rotate the certificates"))
    expect(hit).to_be_visible()
    expect(hit).to_contain_text("Operations")
    _shot(page, "05-palette-by-title")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Title", exact=True)).to_have_value("Rotate the certificates")
    page.keyboard.press("Control+k")
    palette = page.get_by_role("combobox", name="Type a command or search tasks")
    palette.fill("opx-1")
    first_option = page.get_by_role("listbox", name="Commands").get_by_role("option").first
    expect(first_option).to_contain_text("OPX-1 Rotate the certificates")
    first_option.click()
    expect(page.get_by_label("Title", exact=True)).to_have_value("Rotate the certificates")
    page.context.close()
