"""Every main page, in light and dark, on a desktop (1440 px) and a phone (390 px): checked with
axe-core and photographed for a person to look at (test-artifacts/board-390-dark.png, ...).

One browser context per width and theme visits each page once, moving inside the app as a
click on a link does (a full load only when the signed-in person changes); axe runs on the
desktop pages in both themes and on the phone pages in light (colours do not change with the
width).
A new page joins by adding a line to PAGES; an optional one (a screen that may not be there yet)
is skipped when the app does not have it.
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e import axe
from tests.e2e.conftest import PASSWORD, Account, Server, create_task, make_team, register

NOT_FOUND = "main h1:text-is('Page not found')"


@dataclass(frozen=True)
class Page:
    name: str
    path: str  # formatted with the Site's fields
    ready: str  # a selector that is there once the page has loaded its data
    optional: bool = False
    missing: str = NOT_FOUND  # what shows instead when the app does not have the page
    who: str = "owner"  # "owner", "newcomer" (no workspace yet) or "nobody" (signed out)


PAGES = [
    Page("signin", "/signin", "form[aria-labelledby='auth-title']", who="nobody"),
    Page("first-run", "/", ".onboarding", who="newcomer"),
    Page("workspace", "/w/{workspace}", ".project-grid"),
    Page("onboarding", "/w/{empty_workspace}", ".onboarding"),
    Page("board", "/p/{project}/board", ".board[data-ready='true']"),
    Page("list", "/p/{project}/list", ".task-table tbody tr"),
    # The task has files (site fixture): the panel and the page wait for their cards.
    Page(
        "task-panel",
        "/p/{project}/board/{task}",
        ".side-panel .task-detail:has(.markdown strong) .attachment-card img",
    ),
    Page("task-page", "/t/{task}", ".task-detail.full:has(.markdown strong) .attachment-card img"),
    Page("project-settings", "/p/{project}/settings", ".settings"),
    # An unknown project view shows the board: that is what "missing" looks like for it.
    Page("trash", "/p/{project}/trash", "section.trash", optional=True, missing=".board"),
    Page("account", "/account", "main h1:text-is('Account')", optional=True),
    Page("inbox", "/inbox", ".inbox-page :is(.notification-list, .empty)"),
    Page(
        "workspace-settings",
        "/w/{workspace}/settings",
        "main:has(h1:text-is('Workspace settings')) .storage-panel[data-ready='true']",
        optional=True,
    ),
    Page("search", "/w/{workspace}/search?q=sign", ".search-results mark"),
    Page("tasks", "/w/{workspace}/tasks?q=is:open", ".my-tasks tbody tr"),
    # Every chart loaded: summaries there, no spinner left.
    Page("insights", "/p/{project}/insights", ".insights:not(:has(.spinner)) .chart-summary"),
    Page(
        "workspace-insights",
        "/w/{workspace}/insights",
        ".insights-page .insights:not(:has(.spinner)) .chart-summary",
    ),
    # No webhook yet: the page opens on the form, with its checklist of events.
    Page("webhooks", "/w/{workspace}/settings/webhooks", ".webhooks-page .webhook-new form"),
]
SIZES = {"1440": {"width": 1440, "height": 900}, "390": {"width": 390, "height": 844}}


@dataclass
class Site:
    owner: Account
    newcomer: Account
    workspace: str
    empty_workspace: str
    project: str
    task: str


@pytest.fixture(scope="module")
def site(server: Server) -> Site:
    team = make_team(server, "A11Y")
    newcomer = register(server, "Nia Newcomer")
    with server.api() as c:
        bug = c.post(
            f"/projects/{team.project_id}/labels",
            json={"name": "bug", "color": "#ef4444"},
            headers=team.ada.headers,
        ).json()
        empty = c.post("/workspaces", json={"name": "Side project"}, headers=team.ada.headers)
        assert empty.status_code == 201, empty.text
    samples = [
        ("Fix login redirect loop", "urgent", "Todo", "2020-01-15"),
        ("Design the onboarding flow", "high", "In Progress", None),
        ("Write API docs for webhooks", "medium", "Backlog", None),
        ("Ship dark mode", "low", "Done", None),
        ("Crash when the title is empty", "high", "Todo", "2031-03-01"),
    ]
    keys = []
    for title, priority, status, due in samples:
        task = create_task(
            server,
            team.ada,
            team.project_id,
            title=title,
            priority=priority,
            status_id=team.statuses[status],
            assignee_ids=[team.ada.user_id] if priority == "urgent" else [],
            label_ids=[bug["id"]] if "Crash" in title or "Fix" in title else [],
            due_date=due,
            description="Steps:\n\n1. Sign in\n2. **Boom**\n\n`code`",
        )
        keys.append(task["key"])
    _attach_files(server, team.ada, keys[0])
    return Site(
        owner=team.ada,
        newcomer=newcomer,
        workspace=team.workspace_id,
        empty_workspace=empty.json()["id"],
        project=team.project_id,
        task=keys[0],
    )


def _attach_files(server: Server, who: Account, ref: str) -> None:
    """A screenshot and a PDF on the task, and a text file with a comment on it."""
    image = io.BytesIO()
    Image.new("RGB", (640, 400), "#0369a1").save(image, "PNG")
    with server.api() as c:
        for name, data, mime in [
            ("login-loop.png", image.getvalue(), "image/png"),
            ("har-export.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
            ("console.log", b"GET /signin 302\nGET /signin 302\n", "text/plain"),
        ]:
            r = c.post(
                f"/tasks/{ref}/attachments", files={"file": (name, data, mime)}, headers=who.headers
            )
            assert r.status_code == 201, r.text
        r = c.post(
            f"/tasks/{ref}/comments",
            json={"body": "The log shows the loop.", "attachment_ids": [r.json()["id"]]},
            headers=who.headers,
        )
        assert r.status_code == 201, r.text


def _sign_in(context: Any, who: Account) -> None:
    r = context.request.post(
        "/api/v1/auth/session", data={"email": who.email, "password": PASSWORD}
    )
    assert r.status == 200, r.text()


_OVERFLOW = """() => {
  const wide = [document.documentElement,
    ...document.querySelectorAll('.main, .project-view, .side-panel, .page')]
    .filter((e) => e.scrollWidth > e.clientWidth + 1 || e.scrollWidth > innerWidth + 1)
    .map((e) => `${e.className || e.tagName}: ${e.scrollWidth} > ${e.clientWidth}`);
  if (!wide.length) return [];
  // Name what sticks out past the window's right edge, for the failure message.
  const out = [...document.body.querySelectorAll('*')]
    .filter((e) => e.getBoundingClientRect().right > innerWidth + 1)
    .slice(0, 5)
    .map((e) => `${e.tagName.toLowerCase()}.${e.className}`);
  return [...wide, `sticking out: ${out.join(', ')}`];
}"""


def _go(page: Any, path: str) -> None:
    """Navigate inside the app (no page load), as a click on a link does."""
    page.evaluate(
        "p => { history.pushState({}, '', p); dispatchEvent(new PopStateEvent('popstate')); }",
        path,
    )


def _overflow(page: Any) -> list[str]:
    """The page frame must not scroll sideways on a phone: the board and tables scroll inside
    their own boxes."""
    return list(page.evaluate(_OVERFLOW))


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_passes_axe_and_is_photographed(
    browser: Any, server: Server, site: Site, artifacts: Path, size: str, scheme: str
) -> None:
    run_axe = size == "1440" or scheme == "light"
    context = browser.new_context(
        base_url=server.base,
        viewport=SIZES[size],
        color_scheme=scheme,
        reduced_motion="reduce",
        **axe.CONTEXT_OPTIONS,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    fields = {k: getattr(site, k) for k in ("workspace", "empty_workspace", "project", "task")}
    signed_in_as: str | None = None
    blocking: list[str] = []
    skipped: list[str] = []
    reports: list[str] = []
    for spec in sorted(PAGES, key=lambda p: ["nobody", "newcomer", "owner"].index(p.who)):
        path = spec.path.format(**fields)
        if spec.who == "nobody" or signed_in_as != spec.who:
            if spec.who != "nobody":
                _sign_in(context, site.owner if spec.who == "owner" else site.newcomer)
            signed_in_as = spec.who
            page.goto(path)
        else:
            _go(page, path)
        page.locator(f"{spec.ready}, {spec.missing}").first.wait_for()
        if page.locator(spec.missing).count():
            assert spec.optional, f"{spec.name}: the page is missing"
            skipped.append(spec.name)
            continue
        page.evaluate("document.fonts.ready")
        shot = artifacts / f"{spec.name}-{size}-{scheme}.png"
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 5_000
        if size == "390":
            assert _overflow(page) == [], f"{spec.name} scrolls sideways at 390 px"
        if run_axe:
            found = axe.check(page)
            reports.append(axe.report(f"{spec.name} ({size} px, {scheme})", found))
            blocking += [f"{spec.name}: {v.describe()}" for v in found if v.blocking]
    if skipped:
        reports.append(f"not in the app yet, skipped: {', '.join(skipped)}")
    context.close()
    # Every finding, the minor ones too, for a person to read (and in the output with -s).
    text = "\n".join(reports) + "\n"
    (artifacts / f"axe-{size}-{scheme}.txt").write_text(text)
    sys.stdout.write(text)
    assert blocking == [], "serious or critical accessibility problems:\n" + "\n".join(blocking)


def test_on_a_phone_the_sidebar_is_a_drawer_and_a_newcomer_is_shown_the_way(
    browser: Any, server: Server, site: Site, artifacts: Path
) -> None:
    newcomer = register(server, "Pia Phone")
    # Reduced motion: the drawer is there at once (no slide), for the screenshot.
    context = browser.new_context(
        base_url=server.base, viewport=SIZES["390"], reduced_motion="reduce"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    _sign_in(context, newcomer)

    # First run: no workspace yet. The welcome says what comes next and how to get sample data.
    page.goto("/")
    expect(page.get_by_role("heading", name="Welcome to Tasklane")).to_be_visible()
    panel = page.locator(".onboarding")
    expect(panel).to_contain_text("Create a project")
    expect(panel).to_contain_text("tasklane demo")
    expect(panel).to_contain_text("ada@demo.tasklane.dev")
    page.get_by_label("Workspace name").fill("Pia's team")
    page.get_by_role("button", name="Create workspace").click()

    # An empty workspace: the same panel, with the first step done and buttons for the next.
    expect(page.get_by_role("heading", name="Get your team started")).to_be_visible()
    expect(page.get_by_role("link", name="Invite people")).to_have_attribute(
        "href", "#members-title"
    )
    page.get_by_role("button", name="Create a project").click()
    expect(page.get_by_label("Key", exact=True)).to_be_focused()
    page.get_by_label("Key", exact=True).fill("PIA")
    page.get_by_label("Project name").fill("Phone work")
    page.get_by_role("button", name="Create project", exact=True).click()
    expect(page.locator(".board[data-ready='true']")).to_be_visible()

    # The sidebar is out of the way until the menu button opens it as a drawer.
    menu = page.get_by_role("button", name="Open menu")
    sidebar = page.get_by_role("navigation", name="Workspace")
    expect(sidebar).to_be_hidden()
    menu.click()
    expect(sidebar).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(sidebar.get_by_role("link", name="Tasklane")).to_be_focused()
    page.screenshot(path=str(artifacts / "drawer-390-light.png"))
    # Escape closes it and gives focus back to the menu button.
    page.keyboard.press("Escape")
    expect(sidebar).to_be_hidden()
    expect(menu).to_be_focused()
    # So does a tap outside it.
    menu.click()
    expect(sidebar).to_be_visible()
    page.mouse.click(370, 400)
    expect(sidebar).to_be_hidden()
    # And going somewhere from it.
    menu.click()
    sidebar.get_by_role("link", name="Projects").click()
    expect(page.get_by_role("heading", name="Pia's team", level=1)).to_be_visible()
    expect(sidebar).to_be_hidden()
    context.close()

    # The board scrolls by column, each about as wide as the screen.
    page = _phone_page(browser, server, site.owner)
    page.goto(f"/p/{site.project}/board")
    board = page.locator(".board[data-ready='true']")
    expect(board).to_be_visible()
    snap, column, scrolls = board.evaluate(
        """(b) => [getComputedStyle(b).scrollSnapType, b.querySelector('.column').offsetWidth,
                   b.scrollWidth > b.clientWidth]"""
    )
    assert snap.startswith("x mandatory")
    assert 300 <= column <= 390
    assert scrolls
    # The list's table scrolls inside its own box; the page does not.
    page.get_by_role("link", name="List").click()
    table = page.locator(".table-scroll")
    expect(table.locator("tbody tr")).to_have_count(5)
    assert table.evaluate("(t) => t.scrollWidth > t.clientWidth")
    assert _overflow(page) == []
    # A task opens as a full-screen sheet; the new-task dialog fits the screen.
    page.get_by_role("button", name="Fix login redirect loop").click()
    sheet = page.locator(".side-panel")
    expect(sheet.get_by_label("Title", exact=True)).to_have_value("Fix login redirect loop")
    box = sheet.bounding_box()
    assert box is not None
    assert (box["x"], box["width"]) == (0, 390)
    page.keyboard.press("Escape")
    expect(sheet).to_be_hidden()
    page.get_by_role("button", name="New task").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    box = dialog.bounding_box()
    assert box is not None
    assert 0 <= box["x"] <= box["x"] + box["width"] <= 390
    page.context.close()


def _phone_page(browser: Any, server: Server, who: Account) -> Any:
    context = browser.new_context(base_url=server.base, viewport=SIZES["390"])
    _sign_in(context, who)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page
