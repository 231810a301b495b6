"""The board's extras (issue 12): what a card says about its subtasks, comments and estimate;
the list's filters on the board, from the URL; swimlanes. One journey in a real browser."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, Server, create_task, make_team, signed_in_page

SHOTS = ARTIFACTS / "board-extras"


def _shot(where: Any, name: str) -> None:
    """A screenshot of a page or of one element, for a person to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    where.screenshot(path=str(SHOTS / f"{name}.png"))


def _drag(page: Any, source: Any, target: Any) -> None:
    """Drag with real pointer events, in small steps, to the middle of `target`."""
    start = source.bounding_box()
    end = target.bounding_box()
    assert start is not None
    assert end is not None
    x0, y0 = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + 12, y0, steps=3)
    x, y = end["x"] + end["width"] / 2, end["y"] + end["height"] / 2
    page.mouse.move(x, y - 4, steps=12)
    page.mouse.move(x, y, steps=2)
    page.mouse.up()


def _comment(server: Server, who: Any, task: dict[str, Any], body: str) -> None:
    with server.api() as c:
        r = c.post(f"/tasks/{task['id']}/comments", json={"body": body}, headers=who.headers)
        assert r.status_code == 201, r.text


def _card(scope: Any, title: str) -> Any:
    """The card titled `title` in a page or a lane."""
    return scope.locator(".card").filter(has_text=title)


def test_cards_filters_from_the_url_and_swimlanes(browser: Any, server: Server) -> None:
    team = make_team(server, "BX")
    s = team.statuses
    parent = create_task(
        server,
        team.ada,
        team.project_id,
        title="Parent with parts",
        priority="high",
        estimate=3,
        assignee_ids=[team.ada.user_id],
    )
    create_task(
        server,
        team.ada,
        team.project_id,
        title="Part one",
        parent_id=parent["id"],
        status_id=s["Done"],
    )
    create_task(server, team.ada, team.project_id, title="Part two", parent_id=parent["id"])
    for body in ("First thought", "Second thought"):
        _comment(server, team.bob, parent, body)
    bobs = create_task(
        server,
        team.ada,
        team.project_id,
        title="Bob's bug",
        priority="high",
        assignee_ids=[team.bob.user_id],
    )
    create_task(server, team.ada, team.project_id, title="Loose end", priority="high")
    create_task(
        server,
        team.ada,
        team.project_id,
        title="Ada's chore",
        priority="low",
        assignee_ids=[team.ada.user_id],
    )

    # The cards: subtask progress, comments and the estimate, only where there are some.
    page = signed_in_page(browser, server, team.ada)
    page.goto(f"/p/{team.project_id}/board")
    expect(page.locator(".board")).to_have_attribute("data-ready", "true")
    card = _card(page, "Parent with parts")
    expect(card).to_contain_text("1/2")
    expect(card).to_contain_text("2 comments")
    expect(card).to_contain_text("Est. 3")
    expect(card.get_by_title("1 of 2 subtasks done")).to_be_visible()
    expect(_card(page, "Loose end").locator(".card-extra")).to_have_count(0)
    # A comment from someone else: the count follows, from the live event.
    expect(page.locator(".live-indicator")).to_have_class(re.compile(r"(^|\s)live($|\s)"))
    _comment(server, team.bob, parent, "Third thought")
    expect(card).to_contain_text("3 comments")
    _shot(card, "card-extras")

    # A shared link with a filter: the board shows only what matches, in every column.
    page.goto(f"/p/{team.project_id}/board?priority=high")
    expect(page.locator(".board")).to_have_attribute("data-ready", "true")
    titles = page.locator(".board .card-title")
    expect(titles).to_have_count(3)
    expect(titles).to_contain_text(["Parent with parts", "Bob's bug", "Loose end"])
    expect(page.locator(".filter-bar .multi", has_text="Priority").locator(".badge")).to_have_text(
        "1"
    )
    _shot(page, "board-filtered")
    # To the list and back: the filter goes along.
    page.get_by_role("link", name="List", exact=True).click()
    expect(page).to_have_url(re.compile(r"/list\?priority=high$"))
    expect(page.locator(".task-table tbody tr")).to_have_count(3)
    page.get_by_role("link", name="Board", exact=True).click()
    expect(page).to_have_url(re.compile(r"/board\?priority=high$"))
    expect(page.locator(".board .card-title")).to_have_count(3)

    # Swimlanes by assignee, with the filter still on.
    page.get_by_label("Group by").select_option("assignee")
    expect(page).to_have_url(re.compile(r"priority=high.*group=assignee|group=assignee.*priority"))
    lanes = page.locator("section.lane")
    expect(lanes.locator(".lane-toggle")).to_have_text(
        [
            re.compile(r"Ada Lovelace\s*1"),
            re.compile(r"Bob Martin\s*1"),
            re.compile(r"Unassigned\s*1"),
        ]
    )
    ada_lane = lanes.filter(has=page.get_by_role("button", name=re.compile("^Ada Lovelace")))
    bob_lane = lanes.filter(has=page.get_by_role("button", name=re.compile("^Bob Martin")))
    expect(ada_lane.locator(".card-title")).to_have_text(["Parent with parts"])
    expect(bob_lane.locator(".card-title")).to_have_text(["Bob's bug"])
    _shot(page, "board-lanes")
    # j goes through the lanes' cards (once the Group by menu no longer has the focus).
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("j")
    expect(_card(ada_lane, "Parent with parts")).to_be_focused()
    page.keyboard.press("j")
    expect(_card(bob_lane, "Bob's bug")).to_be_focused()

    # A drag inside a lane moves the card to another status, and the server has it.
    in_progress = bob_lane.locator("section.column[data-status='In Progress']")
    with page.expect_response(lambda r: r.url.endswith("/move")) as moved:
        _drag(page, _card(bob_lane, "Bob's bug"), in_progress.locator(".lane-cell"))
    assert moved.value.status == 200
    assert moved.value.json()["status_id"] == s["In Progress"]
    expect(in_progress.locator(".card-title")).to_have_text(["Bob's bug"])
    expect(bob_lane.locator("section.column[data-status='Todo'] .card")).to_have_count(0)
    with server.api() as c:
        got = c.get(f"/tasks/{bobs['id']}", headers=team.ada.headers).json()
    assert got["status_id"] == s["In Progress"]

    # A lane folds away and says how many cards it holds.
    toggle = ada_lane.get_by_role("button", name=re.compile("^Ada Lovelace"))
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(ada_lane.locator(".card")).to_have_count(0)
    expect(toggle).to_contain_text("1")
    # The grouping survives a reload (it is in the URL).
    page.reload()
    expect(page.locator("section.lane")).to_have_count(3)
    expect(page.get_by_label("Group by")).to_have_value("assignee")
    page.context.close()
