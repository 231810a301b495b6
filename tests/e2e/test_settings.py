"""The account page and workspace settings (issue 12), in a real browser against a real server:
one journey through every setting, checked on screen and through the API."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import (
    ARTIFACTS,
    PASSWORD,
    VIEWPORT,
    Account,
    Server,
    make_team,
    register,
    signed_in_page,
)

SHOTS = ARTIFACTS / "settings"
NEW_PASSWORD = "violet harbour lantern morning"


def _shot(where: Any, name: str) -> None:
    """A screenshot of a page or of one element, for a person to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    where.screenshot(path=str(SHOTS / f"{name}.png"))


def _join(server: Server, owner: Account, workspace_id: str, who: Account) -> None:
    with server.api() as c:
        r = c.post(
            f"/workspaces/{workspace_id}/members",
            json={"email": who.email, "role": "member"},
            headers=owner.headers,
        )
        assert r.status_code == 201, r.text
        r = c.post(f"/invitations/{r.json()['id']}/accept", headers=who.headers)
        assert r.status_code == 200, r.text


def _me(page: Any) -> dict[str, Any]:
    r = page.request.get("/api/v1/users/me")
    assert r.status == 200, r.text()
    return dict(r.json())


def _workspace_ids(page: Any) -> set[str]:
    r = page.request.get("/api/v1/workspaces")
    assert r.status == 200, r.text()
    return {w["id"] for w in r.json()["items"]}


def test_account_and_workspace_settings(browser: Any, server: Server) -> None:
    team = make_team(server, "SET")
    ada, bob, ws = team.ada, team.bob, team.workspace_id
    cy = register(server, "Cy Young")
    _join(server, ada, ws, cy)
    with server.api() as c:
        r = c.patch("/users/me", json={"avatar_color": "#112233"}, headers=bob.headers)
        assert r.status_code == 200, r.text

    # The account page, from the user menu.
    page = signed_in_page(browser, server, ada)
    page.goto("/")
    # "/" sends a signed-in user on to their workspace once the list of workspaces has come;
    # a click made before that could be overtaken by it.
    expect(page).to_have_url(re.compile(r"/w/[^/]+$"))
    page.get_by_role("link", name=re.compile("account settings")).click()
    expect(page).to_have_url(re.compile(r"/account$"))
    page.get_by_label("Name", exact=True).fill("Ada King")
    page.get_by_label("Handle").fill("Ada_K")
    page.get_by_role("radio", name="teal").check()
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    me_area = page.locator(".sidebar .me")
    expect(me_area.get_by_role("link")).to_contain_text("Ada King")
    expect(me_area.locator(".avatar")).to_have_css("background-color", "rgb(15, 118, 110)")

    # A handle someone else holds is refused at the field, and nothing changes.
    with server.api() as c:
        r = c.patch("/users/me", json={"handle": "bobby"}, headers=bob.headers)
        assert r.status_code == 200, r.text
    page.get_by_label("Handle").fill("bobby")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("alert")).to_contain_text("taken")
    page.get_by_label("Handle").fill("ada_k")

    # Time zone from a searchable list, and the theme.
    page.get_by_label("Find a time zone").fill("tokyo")
    page.get_by_label("Time zone", exact=True).select_option("Asia/Tokyo")
    expect(page.get_by_text("Times now show in Asia/Tokyo.")).to_be_visible()
    page.get_by_role("radio", name="Dark").check()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert _wait_for(lambda: _me(page)["theme"] == "dark", page)
    me = _me(page)
    assert (me["name"], me["handle"], me["avatar_color"]) == ("Ada King", "ada_k", "teal")
    assert (me["time_zone"], me["theme"]) == ("Asia/Tokyo", "dark")

    # The password, with the sign-up page's strength meter.
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password").fill("password1")
    expect(page.locator(".strength")).to_contain_text("Too common")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    expect(page.locator(".strength")).to_contain_text("Strong")
    _shot(page, "account")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Password changed.")).to_be_visible()
    page.context.close()

    # Sign in with the new password in a fresh browser: the account's dark theme comes along.
    context = browser.new_context(base_url=server.base, viewport=VIEWPORT)
    page = context.new_page()
    page.goto("/signin")
    page.get_by_label("E-mail", exact=True).fill(ada.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator(".sidebar .me")).to_contain_text("Ada King")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    # The sidebar toggle writes to the account too.
    page.get_by_role("button", name=re.compile("switch theme")).click()
    expect(page.locator("html")).not_to_have_attribute("data-theme", "dark")
    assert _wait_for(lambda: _me(page)["theme"] == "system", page)

    # Workspace settings, from the sidebar: rename, and the sidebar follows.
    page.get_by_role("link", name="Settings of Team SET").click()
    expect(page).to_have_url(re.compile(rf"/w/{ws}/settings$"))
    page.get_by_label("Workspace name").fill("Renamed Team")
    page.get_by_role("button", name="Rename").click()
    expect(page.get_by_role("status").filter(has_text="Renamed.")).to_be_visible()
    expect(page.locator(".switcher select option:checked")).to_have_text("Renamed Team")

    # Members show their chosen colour; remove one after confirming.
    members = page.locator(".settings-card").filter(has_text="Members")
    bob_row = members.get_by_role("listitem").filter(has_text="Bob Martin")
    expect(bob_row).to_contain_text("@bobby")
    expect(bob_row.locator(".avatar")).to_have_css("background-color", "rgb(17, 34, 51)")
    members.get_by_role("button", name="Remove Cy Young").click()
    dialog = page.get_by_role("dialog", name="Remove member")
    expect(dialog).to_contain_text("Remove Cy Young?")
    dialog.get_by_role("button", name="Remove").click()
    expect(members.get_by_role("listitem").filter(has_text="Cy Young")).to_have_count(0)
    r = page.request.get(f"/api/v1/workspaces/{ws}/members")
    assert cy.user_id not in {m["user_id"] for m in r.json()["items"]}

    # The last owner cannot leave: the page says why.
    page.get_by_role("button", name="Leave Renamed Team").click()
    page.get_by_role("dialog", name="Leave workspace").get_by_role("button", name="Leave").click()
    expect(page.get_by_role("alert")).to_contain_text("at least one owner")

    # A member leaves on their own.
    bob_page = signed_in_page(browser, server, bob)
    bob_page.goto(f"/w/{ws}/settings")
    expect(bob_page.get_by_role("heading", name="Delete workspace")).to_have_count(0)
    expect(bob_page.get_by_label("Workspace name")).to_have_attribute("readonly", "")
    bob_page.get_by_role("button", name="Leave Renamed Team").click()
    bob_page.get_by_role("dialog", name="Leave workspace").get_by_role(
        "button", name="Leave"
    ).click()
    expect(bob_page).to_have_url(re.compile(r"/$|/w/[^/]+$"))
    assert ws not in _workspace_ids(bob_page)
    bob_page.context.close()

    # The owner deletes the workspace after typing its name.
    page.reload()
    delete = page.get_by_role("button", name="Delete this workspace")
    expect(delete).to_be_disabled()
    page.get_by_label(re.compile("to confirm")).fill("Renamed")
    expect(delete).to_be_disabled()
    page.get_by_label(re.compile("to confirm")).fill("Renamed Team")
    expect(delete).to_be_enabled()
    _shot(page, "workspace-settings")
    delete.click()
    expect(page).not_to_have_url(re.compile(r"/settings$"))
    expect(page.get_by_text("Renamed Team was deleted.")).to_be_visible()
    assert ws not in _workspace_ids(page)
    context.close()


def _wait_for(check: Any, page: Any, attempts: int = 50) -> bool:
    """Poll a server-side condition the page's last action leads to (saved in the background)."""
    for _ in range(attempts):
        if check():
            return True
        page.wait_for_timeout(100)
    return False
