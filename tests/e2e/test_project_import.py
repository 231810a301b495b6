"""A project's "Import and export" screen in a real browser against a real server (its worker
runs the import job): upload a CSV, read the dry run's table, import, follow the progress to
the summary, download the export, see a Trello board's mapping, and find the tasks on the
board. Checked with axe."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.e2e import axe
from tests.e2e.conftest import ARTIFACTS, Server, make_team, signed_in_page

SAMPLES = Path(__file__).resolve().parents[1] / "imports" / "samples"
SHOTS = ARTIFACTS / "imports"


def test_import_a_csv_and_export_it_back(browser: Any, server: Server) -> None:
    team = make_team(server, "IMP")
    page = signed_in_page(browser, server, team.bob, accept_downloads=True, **axe.CONTEXT_OPTIONS)
    page.goto(f"/p/{team.project_id}/board")
    page.get_by_role("link", name="Import and export").click()
    expect(page).to_have_url(f"{server.base}/p/{team.project_id}/import")
    expect(page.get_by_role("heading", name="Import and export")).to_be_visible()

    # A file with a row in error: the dry run says which, and changes nothing.
    page.get_by_label("CSV file").set_input_files(str(SAMPLES / "problems.csv"))
    dry = page.get_by_role("table", name="What the import would do")
    expect(dry.get_by_role("row")).to_have_count(10)  # the header and nine rows
    unknown = dry.get_by_role("row").filter(has_text="Unknown status")
    expect(unknown).to_contain_text("Error")
    expect(unknown).to_contain_text("status: No status 'Waiting for review' in this project")
    expect(page.get_by_role("button", name="Import 3 rows")).to_be_enabled()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "dry-run-problems.png"), full_page=True)
    page.get_by_role("button", name="Cancel").click()
    expect(dry).to_have_count(0)

    # A good file: every row is a create; import, then the progress reaches the summary.
    page.get_by_label("CSV file").set_input_files(str(SAMPLES / "planning.csv"))
    dry = page.get_by_role("table", name="What the import would do")
    expect(dry.get_by_role("row")).to_have_count(11)
    expect(dry.get_by_role("row").filter(has_text="Checkout redesign")).to_contain_text("Create")
    expect(page.get_by_role("status").first).to_contain_text("10 to create")
    found = axe.check(page)
    blocking = [v.describe() for v in found if v.blocking]
    assert blocking == [], axe.report("import dry run", found)
    page.screenshot(path=str(SHOTS / "dry-run.png"), full_page=True)

    page.get_by_role("button", name="Import 10 rows").click()
    expect(page.get_by_label("Import progress")).to_be_visible()
    expect(page.get_by_text("Import finished: 10 created, 0 updated, 0 skipped")).to_be_visible(
        timeout=30_000
    )
    expect(page.get_by_label("Import progress")).to_have_attribute("value", "10")
    # The sample's people are not members here: those rows came in unassigned, and say so.
    warnings = page.get_by_role("table", name="Rows with errors or warnings")
    expect(warnings.get_by_role("row").filter(has_text="ada@example.com").first).to_be_visible()
    page.screenshot(path=str(SHOTS / "import-finished.png"), full_page=True)

    # The export has them, formula-looking titles guarded.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("imp-tasks-")
    text = Path(download.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 10
    assert "'=SUM(A1:A3) budget line" in [r["title"] for r in rows]

    # From Trello: the dry run says what each list, person and label becomes.
    page.get_by_label("Source").select_option(label="Trello board (JSON export)")
    page.get_by_label("JSON file").set_input_files(str(SAMPLES / "trello_board.json"))
    mapping = page.get_by_role("table", name="What maps to what")
    doing = mapping.get_by_role("row").filter(has_text="Doing")
    expect(doing).to_contain_text("In Progress (started)")
    expect(mapping.get_by_role("row").filter(has_text="Zed Outsider")).to_contain_text(
        "not assigned (not a project member)"
    )
    trello_rows = page.get_by_role("table", name="What the import would do")
    expect(trello_rows.get_by_role("row").filter(has_text="Hero")).to_contain_text("Create")
    expect(page.get_by_role("button", name="Import 7 rows")).to_be_enabled()
    page.screenshot(path=str(SHOTS / "trello-dry-run.png"), full_page=True)

    page.get_by_role("link", name="Board").click()
    expect(page.get_by_text("Checkout redesign")).to_be_visible()
    page.context.close()
