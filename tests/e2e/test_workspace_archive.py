"""Workspace archives in a real browser against a real server (its worker writes the export
and runs the import): the owner exports the workspace from its settings, sees the export
ready, downloads it, imports it on the new workspace page as a new workspace, and opens it;
another member of the original accepts the invitation to the copy the import made him; a file
that is not an archive is refused with a clear message. Checked with axe, at desktop
and phone widths, and photographed into test-artifacts/archive/."""

from __future__ import annotations

import re
from pathlib import Path
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

SHOTS = ARTIFACTS / "archive"
PHONE = {"width": 390, "height": 844}
WIDE = """() => [document.documentElement, ...document.querySelectorAll('.main, .page')]
  .filter((e) => e.scrollWidth > e.clientWidth + 1 || e.scrollWidth > innerWidth + 1)
  .map((e) => `${e.className || e.tagName}: ${e.scrollWidth} > ${e.clientWidth}`)"""


def _accessible(page: Any, name: str) -> None:
    found = axe.check(page)
    blocking = [v.describe() for v in found if v.blocking]
    assert blocking == [], axe.report(name, found)


def _on_a_phone(
    browser: Any, server: Server, who: Account, path: str, ready: str, name: str
) -> None:
    """`path` at 390 px, in a context of its own: accessible, nothing scrolls sideways,
    photographed."""
    page = signed_in_page(browser, server, who, reduced_motion="reduce", **axe.CONTEXT_OPTIONS)
    page.set_viewport_size(PHONE)
    page.goto(path)
    target = page.locator(ready)
    expect(target).to_be_visible()
    target.scroll_into_view_if_needed()
    _accessible(page, f"{name} at 390 px")
    assert page.evaluate(WIDE) == [], f"{name} scrolls sideways at 390 px"
    page.screenshot(path=str(SHOTS / f"{name}-390.png"))
    page.context.close()


def test_export_a_workspace_then_import_it_as_a_new_one(browser: Any, server: Server) -> None:
    team = make_team(server, "ARC")
    create_task(server, team.ada, team.project_id, title="Ship the archive screen")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = signed_in_page(browser, server, team.ada, accept_downloads=True, **axe.CONTEXT_OPTIONS)

    # The owner's settings: export, follow it to ready.
    page.goto(f"/w/{team.workspace_id}/settings")
    panel = page.get_by_role("region", name="Archive")
    expect(panel.get_by_role("heading", name="Archive")).to_be_visible()
    panel.get_by_role("button", name="Export workspace").click()
    exports = panel.get_by_role("table", name="Exports")
    expect(exports.get_by_role("row")).to_have_count(2)  # the header and the export
    expect(exports.get_by_role("row").nth(1)).to_contain_text("Ready", timeout=60_000)
    expect(panel.get_by_role("status")).to_contain_text("Export ready")
    expect(panel.get_by_role("button", name="Export workspace")).to_be_enabled()
    _accessible(page, "workspace settings, an export ready")
    panel.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "export-ready.png"), full_page=True)
    _on_a_phone(
        browser,
        server,
        team.ada,
        f"/w/{team.workspace_id}/settings",
        ".archive-table",
        "export-ready",
    )

    with page.expect_download() as download_info:
        panel.get_by_role("link", name=re.compile(r"^Download ")).click()
    download = download_info.value
    assert re.fullmatch(r"team-arc-\d{8}-\d{6}\.tar\.gz", download.suggested_filename)
    archive = Path(download.path()).read_bytes()
    assert archive[:2] == b"\x1f\x8b"  # gzip

    # The new workspace page: upload it, follow the import to the link, open the copy.
    page.goto("/?new=workspace")
    section = page.get_by_role("region", name="Import a workspace archive")
    expect(section).to_be_visible()
    _accessible(page, "new workspace page")
    section.get_by_label("Workspace archive").set_input_files(
        {"name": download.suggested_filename, "mimeType": "application/gzip", "buffer": archive}
    )
    section.get_by_label("Address (optional)").fill("team-arc-copy")
    section.get_by_role("button", name="Import", exact=True).click()
    opened = section.get_by_role("link", name="Open Team ARC")
    expect(opened).to_be_visible(timeout=90_000)
    expect(section.get_by_role("status")).to_contain_text("Team ARC is ready")
    _accessible(page, "new workspace page, an import done")
    page.screenshot(path=str(SHOTS / "import-done.png"), full_page=True)
    _on_a_phone(browser, server, team.ada, "/?new=workspace", ".import-archive", "import-archive")
    opened.click()
    expect(page).to_have_url(re.compile(r"/w/[0-9a-f-]{36}$"))
    assert team.workspace_id not in page.url  # a new workspace, not the original
    expect(page.get_by_role("heading", name="Team ARC", level=1)).to_be_visible()
    page.get_by_role("main").get_by_role("link", name=re.compile("Project ARC")).click()
    expect(page.get_by_text("Ship the archive screen")).to_be_visible()
    page.screenshot(path=str(SHOTS / "imported-board.png"))
    # Both are in the switcher's list: the original and the copy.
    with server.api() as c:
        slugs = {
            w["slug"]
            for w in c.get("/workspaces", headers=team.ada.headers).json()["items"]
            if w["name"] == "Team ARC"
        }
    assert slugs == {"team-arc", "team-arc-copy"}

    # Bob, a member of the original, is invited to the copy, not put in it: he sees it once he
    # accepts, with the role he had.
    bob = signed_in_page(browser, server, team.bob)
    bob.goto("/?new=workspace")
    invitations = bob.get_by_role("region", name="Invitations")
    expect(invitations).to_contain_text("Ada")
    expect(invitations).to_contain_text("invited you to Team ARC as member")
    invitations.get_by_role("button", name="Accept").click()
    expect(bob.get_by_role("heading", name="Team ARC", level=1)).to_be_visible()
    with server.api() as c:
        his = c.get("/workspaces", headers=team.bob.headers).json()["items"]
    assert {w["slug"]: w["role"] for w in his}["team-arc-copy"] == "member"
    bob.context.close()

    # Not an archive: refused at once, saying so; nothing is made.
    page.goto("/?new=workspace")
    section = page.get_by_role("region", name="Import a workspace archive")
    section.get_by_label("Workspace archive").set_input_files(
        {"name": "tasks.csv", "mimeType": "text/csv", "buffer": b"id,title\n1,Hello\n"}
    )
    section.get_by_role("button", name="Import", exact=True).click()
    alert = section.get_by_role("alert")
    expect(alert).to_contain_text("tasks.csv is not a Tasklane archive")
    _accessible(page, "new workspace page, a file refused")
    page.screenshot(path=str(SHOTS / "import-refused.png"), full_page=True)
    page.context.close()


def test_only_owners_see_the_archive_section(browser: Any, server: Server) -> None:
    team = make_team(server, "ARM")
    page = signed_in_page(browser, server, team.bob, **axe.CONTEXT_OPTIONS)
    page.goto(f"/w/{team.workspace_id}/settings")
    expect(page.get_by_role("heading", name="Workspace settings")).to_be_visible()
    expect(page.get_by_role("heading", name="Leave workspace")).to_be_visible()
    expect(page.get_by_role("region", name="Archive")).to_have_count(0)
    page.context.close()
