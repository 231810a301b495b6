"""Issue 12, bug 2, in a real browser: the same project key in two of a person's workspaces
leaves every task reachable, and nobody joins a workspace without accepting."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, Server, create_task, register, signed_in_page

SHOTS = ARTIFACTS / "workspace-keys"


def _shot(where: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    where.screenshot(path=str(SHOTS / f"{name}.png"))


def _title(scope: Any) -> Any:
    """The open task's title (a text box for those who may edit it)."""
    return scope.get_by_role("textbox", name="Title", exact=True)


def _workspace_with_web(server: Server, who: Any, name: str) -> tuple[dict[str, Any], str]:
    with server.api() as c:
        r = c.post("/workspaces", json={"name": name}, headers=who.headers)
        assert r.status_code == 201, r.text
        ws = r.json()
        r = c.post(
            f"/workspaces/{ws['id']}/projects",
            json={"key": "WEB", "name": f"{name} web"},
            headers=who.headers,
        )
        assert r.status_code == 201, r.text
        return ws, r.json()["id"]


def test_same_key_in_two_workspaces_and_an_invitation_accepted_in_the_app(
    browser: Any, server: Server
) -> None:
    tag = uuid.uuid4().hex[:6]
    bob = register(server, "Bob Martin")
    ada = register(server, "Ada Lovelace")
    acme, acme_web = _workspace_with_web(server, bob, f"Acme {tag}")
    home = create_task(server, bob, acme_web, title="Acme home page")
    create_task(server, bob, acme_web, title="Acme footer", parent_id=home["id"])
    nora, nora_web = _workspace_with_web(server, ada, f"Nora {tag}")
    create_task(server, ada, nora_web, title="Nora landing")

    # Ada invites Bob from the members screen; he is pending, not a member.
    ada_page = signed_in_page(browser, server, ada)
    ada_page.goto(f"/w/{nora['id']}")
    invite = ada_page.get_by_role("form", name="Invite a member")
    invite.get_by_label("E-mail", exact=True).fill(bob.email)
    invite.get_by_role("button", name="Invite").click()
    pending = ada_page.get_by_role("list", name="Pending invitations")
    expect(pending).to_contain_text(bob.email)
    expect(
        pending.get_by_role("button", name=f"Cancel the invitation of {bob.email}")
    ).to_be_visible()
    _shot(ada_page, "1-pending-invitation")
    with server.api() as c:
        assert c.get(f"/workspaces/{nora['id']}", headers=bob.headers).status_code == 404

    # Bob sees the invitation on his home page and accepts it.
    page = signed_in_page(browser, server, bob)
    page.goto("/")
    invitations = page.get_by_role("region", name="Invitations")
    expect(invitations).to_contain_text(f"Ada Lovelace invited you to Nora {tag}")
    _shot(page, "2-invitation")
    invitations.get_by_role("button", name="Accept").click()
    expect(page).to_have_url(re.compile(rf"/w/{nora['id']}$"))
    expect(page.get_by_role("heading", name=f"Nora {tag}", level=1)).to_be_visible()
    expect(page.get_by_role("region", name="Invitations")).to_have_count(0)
    ada_page.reload()
    expect(ada_page.get_by_role("list", name="Pending invitations")).to_have_count(0)
    expect(ada_page.locator(".member-list").first).to_contain_text("Bob Martin")

    # The bug: his Acme tasks still open, by their workspace address and by its links.
    page.goto(f"/{acme['slug']}/t/WEB-1")
    detail = page.locator(".task-detail")
    expect(_title(detail)).to_have_value("Acme home page")
    subtask = detail.get_by_role("link", name=re.compile("WEB-2"))
    expect(subtask).to_have_attribute("href", f"/{acme['slug']}/t/WEB-2")
    subtask.click()
    expect(page).to_have_url(re.compile(rf"/{acme['slug']}/t/WEB-2$"))
    expect(_title(page)).to_have_value("Acme footer")
    expect(page.get_by_text("More than one")).to_have_count(0)
    _shot(page, "3-acme-task")

    # And in the project's side panel (the board names the workspace by its project).
    page.goto(f"/p/{acme_web}/board/WEB-1")
    expect(_title(page.locator(".side-panel"))).to_have_value("Acme home page")

    # An old address with a key of both workspaces offers the choice instead of an error.
    page.goto("/t/WEB-1")
    expect(page.get_by_role("heading", name="Which WEB-1?")).to_be_visible()
    expect(page.locator("main")).to_contain_text(
        f"WEB-1 exists in two of your workspaces: Acme {tag}, Nora {tag}"
    )
    expect(page.get_by_role("button", name="Try again")).to_have_count(0)
    _shot(page, "4-chooser")
    page.get_by_role("link", name=f"WEB-1 in Nora {tag}").click()
    expect(page).to_have_url(re.compile(rf"/{nora['slug']}/t/WEB-1$"))
    expect(_title(page)).to_have_value("Nora landing")

    # An old address with a key only one workspace has goes straight to it.
    page.goto("/t/WEB-2")
    expect(page).to_have_url(re.compile(rf"/{acme['slug']}/t/WEB-2$"))
    expect(_title(page)).to_have_value("Acme footer")
