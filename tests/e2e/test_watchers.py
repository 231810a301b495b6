"""Watching a task in the web app (issue 14, item 1): Bob opens a task Ada made, sees who
watches it, starts watching it and stops again; the API agrees at each step."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, Server, create_task, make_team, signed_in_page

SHOTS = ARTIFACTS / "watchers"


def test_watch_and_stop_watching_a_task(browser: Any, server: Server) -> None:
    team = make_team(server, "WAT")
    task = create_task(server, team.ada, team.project_id, title="Rotate the keys")

    def watchers() -> list[str]:
        with server.api() as c:
            r = c.get(f"/tasks/{task['id']}/watchers", headers=team.bob.headers)
            assert r.status_code == 200, r.text
            return [w["name"] for w in r.json()["items"]]

    page = signed_in_page(browser, server, team.bob)
    page.goto(f"/t/WAT-{task['number']}")
    section = page.get_by_role("region", name="Watchers")
    expect(section).to_contain_text("1 person watches this task: Ada Lovelace.")
    section.get_by_role("button", name="Watch", exact=True).click()
    expect(section).to_contain_text("2 people watch this task: Ada Lovelace, Bob Martin.")
    assert watchers() == ["Ada Lovelace", "Bob Martin"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    section.screenshot(path=str(SHOTS / "watching.png"))
    section.get_by_role("button", name="Stop watching").click()
    expect(section).to_contain_text("1 person watches this task: Ada Lovelace.")
    expect(section.get_by_role("button", name="Watch", exact=True)).to_be_enabled()
    assert watchers() == ["Ada Lovelace"]
