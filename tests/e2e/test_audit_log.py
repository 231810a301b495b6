"""The audit log page (issue 15, items 7 and 8) in a real browser against a real server: an
admin opens it from the workspace settings, sees a member's role change and a sign-in, filters
by action (kept in the URL), and downloads the CSV export with the filter."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, Server, make_team, signed_in_page

SHOTS = ARTIFACTS / "audit"


def test_admin_reads_filters_and_exports_the_audit_log(browser: Any, server: Server) -> None:
    team = make_team(server, "AUD")
    with server.api() as c:
        r = c.patch(
            f"/workspaces/{team.workspace_id}/members/{team.bob.user_id}",
            json={"role": "admin"},
            headers=team.ada.headers,
        )
        assert r.status_code == 200, r.text
    page = signed_in_page(browser, server, team.ada, accept_downloads=True)
    page.goto(f"/w/{team.workspace_id}/settings")
    page.get_by_role("link", name="Audit log").click()
    expect(page).to_have_url(f"{server.base}/w/{team.workspace_id}/audit")
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    table = page.get_by_role("table")
    changed = table.get_by_role("row").filter(has_text="Changed a member's role")
    expect(changed).to_have_count(1)
    expect(changed).to_contain_text(f"{team.bob.email}: member → admin")
    expect(changed).to_contain_text("127.0.0.1")
    bob_signed_in = (
        table.get_by_role("row").filter(has_text="Signed in").filter(has_text=team.bob.email)
    )
    expect(bob_signed_in.first).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "audit-log.png"), full_page=True)

    # Filter by a kind of action: the URL keeps it, the table shows only that kind.
    page.get_by_label("Action").select_option(label="Role changes only")
    expect(page).to_have_url(
        f"{server.base}/w/{team.workspace_id}/audit?action=member.role_changed"
    )
    expect(table.get_by_role("row")).to_have_count(2)  # the header and the change
    page.screenshot(path=str(SHOTS / "audit-log-filtered.png"), full_page=True)

    # Export CSV with the filter.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert [row["action"] for row in rows] == ["member.role_changed"]
    assert rows[0]["actor_email"] == team.ada.email

    # The export is itself on the record.
    page.get_by_label("Action").select_option(label="Audit log exports")
    expect(table.get_by_role("row").filter(has_text="Exported the audit log")).to_have_count(1)
    page.context.close()
