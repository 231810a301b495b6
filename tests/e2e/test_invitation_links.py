"""Invitation links (issue 15, item 5), in a real browser against a real server: an admin
invites an address and copies the link shown once; someone new opens it signed out, signs up
with the address filled in, accepts, and lands in the workspace."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import expect

from tests.e2e import axe
from tests.e2e.conftest import ARTIFACTS, PASSWORD, VIEWPORT, Server, register, signed_in_page

SHOTS = ARTIFACTS / "invitations"


def _shot(where: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    where.screenshot(path=str(SHOTS / f"{name}.png"))


def _no_blocking_axe(page: Any, where: str) -> None:
    blocking = [v.describe() for v in axe.check(page) if v.blocking]
    assert blocking == [], f"{where}: serious or critical accessibility problems:\n" + "\n".join(
        blocking
    )


def test_an_invitation_link_takes_someone_new_into_the_workspace(
    browser: Any, server: Server
) -> None:
    tag = uuid.uuid4().hex[:6]
    ada = register(server, "Ada Lovelace")
    with server.api() as c:
        r = c.post("/workspaces", json={"name": f"Acme {tag}"}, headers=ada.headers)
        assert r.status_code == 201, r.text
        workspace = r.json()
    carol_email = f"carol-{tag}@example.com"

    # Ada invites Carol from the members section and copies the link, shown this once.
    page = signed_in_page(
        browser,
        server,
        ada,
        permissions=["clipboard-read", "clipboard-write"],
        reduced_motion="reduce",
        **axe.CONTEXT_OPTIONS,
    )
    page.goto(f"/w/{workspace['id']}")
    invite = page.get_by_role("form", name="Invite a member")
    invite.get_by_label("E-mail", exact=True).fill(carol_email)
    invite.get_by_label("Role").select_option("member")
    invite.get_by_role("button", name="Invite").click()
    panel = page.get_by_role("region", name=f"{carol_email} is invited as member")
    expect(panel).to_contain_text("shown only this once")
    expect(panel).to_contain_text("expires in 7 days")
    field = panel.get_by_label("Invitation link")
    expect(field).to_have_value(re.compile(rf"^{re.escape(server.base)}/invite/[\w-]{{43}}$"))
    panel.get_by_role("button", name="Copy").click()
    expect(panel.get_by_role("status")).to_have_text("Copied.")
    link = page.evaluate("navigator.clipboard.readText()")
    assert link == field.input_value()
    pending = page.get_by_role("list", name="Pending invitations")
    expect(pending).to_contain_text(carol_email)
    expect(pending).to_contain_text("expires")
    _shot(page.locator("#members-title").locator(".."), "1-link-shown-once")
    _no_blocking_axe(page, "the members section with a new link")
    panel.get_by_role("button", name="Done").click()
    expect(panel).to_have_count(0)
    # Opened by another account, the link says whom it is for, and accepts nothing.
    page.goto(link)
    expect(page.get_by_role("note")).to_contain_text(f"You are signed in as {ada.email}")
    expect(page.get_by_role("button", name=re.compile("^Accept"))).to_have_count(0)
    _shot(page, "2-landing-another-account")

    # Carol, signed out, opens the link: it says who invited her to what.
    context = browser.new_context(base_url=server.base, viewport=VIEWPORT, **axe.CONTEXT_OPTIONS)
    carol = context.new_page()
    carol.goto(link)
    card = carol.get_by_role("region", name=f"Join Acme {tag}")
    expect(card).to_contain_text(f"Ada Lovelace invited you to join Acme {tag} as member")
    expect(card).to_contain_text(carol_email)
    _shot(carol, "3-landing-signed-out")
    _no_blocking_axe(carol, "the invitation page, signed out")

    # She signs up with the invited address, filled in, and comes back to the invitation.
    card.get_by_role("link", name="Create an account to accept").click()
    expect(carol).to_have_url(re.compile(r"/signup\?"))
    expect(carol.get_by_label("E-mail", exact=True)).to_have_value(carol_email)
    carol.get_by_label("Name").fill("Carol Shaw")
    carol.get_by_label("Password", exact=True).fill(PASSWORD)
    carol.get_by_role("button", name="Sign up").click()
    expect(carol).to_have_url(link)
    accept = carol.get_by_role("button", name=f"Accept and join Acme {tag}")
    expect(accept).to_be_visible()
    _shot(carol, "4-landing-signed-in")
    accept.click()
    expect(carol).to_have_url(re.compile(rf"/w/{workspace['id']}$"))
    expect(carol.get_by_role("heading", name=f"Acme {tag}", level=1)).to_be_visible()
    expect(carol.locator(".member-list").first).to_contain_text("Carol Shaw")
    _shot(carol, "5-in-the-workspace")

    # The link worked once.
    carol.goto(link)
    expect(carol.get_by_role("heading", name="This invitation link does not work")).to_be_visible()
    _shot(carol, "6-link-used")
    page.goto(f"/w/{workspace['id']}")
    expect(page.get_by_role("list", name="Pending invitations")).to_have_count(0)
    expect(page.locator(".member-list").first).to_contain_text("Carol Shaw")
    context.close()
    page.context.close()
