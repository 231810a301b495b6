"""Deleting a task with Undo, the project's trash, and editing comments (issue 12), in a real
browser against a real server; a second member's browser sees the deletions live."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, Server, create_task, make_team, signed_in_page

SHOTS = ARTIFACTS / "trash-and-comments"


def _shot(where: Any, name: str) -> None:
    """A screenshot of a page or of one element, for a person to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    where.screenshot(path=str(SHOTS / f"{name}.png"))


def _deleted(server: Server, who: Any, ref: str) -> bool:
    with server.api() as c:
        r = c.get(f"/tasks/{ref}", headers=who.headers)
        assert r.status_code in (200, 404), r.text
        return r.status_code == 404


def test_delete_undo_delete_again_and_restore_from_the_trash(browser: Any, server: Server) -> None:
    team = make_team(server, "BIN")
    task = create_task(server, team.ada, team.project_id, title="Retire the old API")
    create_task(server, team.ada, team.project_id, title="Keep this one")
    key = task["key"]
    ada = signed_in_page(browser, server, team.ada)
    bob = signed_in_page(browser, server, team.bob)
    bob.goto(f"/p/{team.project_id}/board")
    expect(bob.locator(".live-indicator")).to_have_class(re.compile(r"(^|\s)live($|\s)"))
    bob_card = bob.locator(".card", has_text="Retire the old API")
    expect(bob_card).to_be_visible()

    ada.goto(f"/p/{team.project_id}/board")
    expect(ada.locator(".live-indicator")).to_have_class(re.compile(r"(^|\s)live($|\s)"))
    card = ada.locator(".card", has_text="Retire the old API")
    card.click()
    panel = ada.locator(".side-panel")
    expect(panel.get_by_label("Title", exact=True)).to_have_value("Retire the old API")

    # Delete from the panel: it closes, the card goes at once, a message offers Undo.
    panel.get_by_role("button", name="Delete", exact=True).click()
    expect(ada.locator(".side-panel")).to_have_count(0)
    expect(card).to_have_count(0)
    message = ada.get_by_role("status").filter(has_text=f"{key} moved to the trash.")
    expect(message).to_be_visible()
    _shot(ada, "deleted-with-undo")
    expect(bob_card).to_have_count(0)  # live, in the other member's browser
    assert _deleted(server, team.ada, key)

    # Undo brings it back, on both boards.
    message.get_by_role("button", name="Undo").click()
    expect(card).to_be_visible()
    expect(ada.get_by_role("status").filter(has_text=f"{key} restored.")).to_be_visible()
    expect(bob_card).to_be_visible()
    assert not _deleted(server, team.ada, key)

    # Delete again, from the keyboard this time.
    card.click()
    expect(panel.get_by_label("Title", exact=True)).to_have_value("Retire the old API")
    panel.get_by_role("heading", name="Comments").click()  # focus out of any field
    ada.keyboard.press("Delete")
    expect(card).to_have_count(0)
    expect(bob_card).to_have_count(0)
    expect(ada.locator(".card", has_text="Keep this one")).to_be_visible()

    # The trash lists it (Bob, who has it open, sees it arrive); Restore puts it back.
    bob.get_by_role("link", name="Trash").click()
    ada.get_by_role("navigation", name="Views").get_by_role("link", name="Trash").click()
    row = ada.locator(".trash-item", has_text="Retire the old API")
    expect(row).to_contain_text(key)
    expect(row).to_contain_text("Deleted just now")
    expect(ada.locator(".trash-item", has_text="Keep this one")).to_have_count(0)
    expect(bob.locator(".trash-item", has_text="Retire the old API")).to_be_visible()
    _shot(ada, "trash")
    row.get_by_role("button", name=f"Restore {key}").click()
    expect(row).to_have_count(0)
    expect(ada.get_by_text("The trash is empty.")).to_be_visible()
    expect(bob.locator(".trash-item", has_text="Retire the old API")).to_have_count(0)
    assert not _deleted(server, team.ada, key)

    ada.get_by_role("navigation", name="Views").get_by_role("link", name="Board").click()
    expect(ada.locator(".card", has_text="Retire the old API")).to_be_visible()
    ada.reload()
    expect(ada.locator(".board")).to_have_attribute("data-ready", "true")
    expect(ada.locator(".card", has_text="Retire the old API")).to_be_visible()

    # Several at once from the list: confirmed first, then undoable in one step.
    ada.get_by_role("navigation", name="Views").get_by_role("link", name="List").click()
    rows = ada.locator(".task-table tbody tr")
    expect(rows).to_have_count(2)
    ada.get_by_label("Select all shown tasks").check()
    ada.get_by_role("region", name="Bulk actions").get_by_role("button", name="Delete").click()
    dialog = ada.get_by_role("dialog", name="Delete 2 tasks?")
    expect(dialog).to_be_visible()
    _shot(dialog, "bulk-delete-confirm")
    dialog.get_by_role("button", name="Delete 2 tasks").click()
    expect(rows).to_have_count(0)
    message = ada.get_by_role("status").filter(has_text="2 tasks moved to the trash.")
    message.get_by_role("button", name="Undo").click()
    expect(rows).to_have_count(2)
    assert not _deleted(server, team.ada, key)
    ada.context.close()
    bob.context.close()


def test_edit_a_comment_in_place_and_delete_one_after_confirming(
    browser: Any, server: Server
) -> None:
    team = make_team(server, "TALK")
    task = create_task(server, team.ada, team.project_id, title="Discuss the plan")
    with server.api() as c:
        r = c.post(
            f"/tasks/{task['id']}/comments", json={"body": "Bob was here"}, headers=team.bob.headers
        )
        assert r.status_code == 201, r.text
    page = signed_in_page(browser, server, team.ada)
    page.goto(f"/t/{task['key']}")
    comments = page.locator(".comments")
    bobs = comments.locator(".comment", has_text="Bob was here")
    expect(bobs).to_be_visible()
    # Not Ada's words: she may not edit them (she owns the workspace, so she may delete them).
    expect(bobs.get_by_role("button", name="Edit this comment")).to_have_count(0)

    # Write with a preview, then send.
    comments.get_by_label("Write a comment (Markdown)").fill("We ship **Friday**")
    comments.get_by_role("tab", name="Preview").click()
    expect(comments.locator(".preview strong")).to_have_text("Friday")
    comments.get_by_role("tab", name="Write").click()
    comments.get_by_role("button", name="Comment", exact=True).click()
    # Bob's comment first, then Ada's (while edited it shows no text to find it by).
    mine = comments.locator(".comment").nth(1)
    expect(mine.locator(".comment-body strong")).to_have_text("Friday")
    expect(mine.locator(".comment-edited")).to_have_count(0)

    # Edit it in place; Escape cancels, Save keeps.
    mine.get_by_role("button", name="Edit this comment").click()
    editor = mine.get_by_label("Edit the comment (Markdown)")
    expect(editor).to_be_focused()
    editor.fill("Never mind")
    editor.press("Escape")
    expect(mine.locator(".comment-body")).to_contain_text("We ship Friday")
    mine.get_by_role("button", name="Edit this comment").click()
    editor.fill("We ship **Monday**")
    mine.get_by_role("tab", name="Preview").click()
    expect(mine.locator(".preview strong")).to_have_text("Monday")
    mine.get_by_role("button", name="Save").click()
    edited = comments.locator(".comment", has_text="We ship Monday")
    expect(edited.locator(".comment-edited")).to_have_text("edited")
    _shot(comments, "comment-edited")

    page.reload()
    edited = page.locator(".comments .comment", has_text="We ship Monday")
    expect(edited.locator(".comment-edited")).to_have_text("edited")
    expect(page.locator(".comments .comment", has_text="We ship Friday")).to_have_count(0)

    # Delete asks first (a comment cannot be restored); Cancel keeps it.
    bobs = page.locator(".comments .comment", has_text="Bob was here")
    bobs.get_by_role("button", name="Delete this comment").click()
    confirm = bobs.get_by_role("alert")
    expect(confirm).to_contain_text("cannot be undone")
    _shot(bobs, "comment-delete-confirm")
    confirm.get_by_role("button", name="Cancel").click()
    expect(bobs).to_be_visible()
    bobs.get_by_role("button", name="Delete this comment").click()
    bobs.get_by_role("button", name="Delete comment").click()
    expect(bobs).to_have_count(0)
    page.reload()
    expect(page.locator(".comments .comment", has_text="We ship Monday")).to_be_visible()
    expect(page.locator(".comments .comment", has_text="Bob was here")).to_have_count(0)
    page.context.close()
