"""Single sign-on (issue 15, item 4) in a real browser: a real `tasklane serve` set up for a
real OpenID provider on loopback (oidc-provider-mock), whose sign-in form the browser fills.
A first SSO sign-in makes the account, which then sets a first password; an address the
provider does not confirm does not take over an existing account; an account with two-factor
sign-in gives its code after SSO.

The provider's page links a stylesheet from a CDN: the browser is stopped from fetching it
(nothing here leaves the machine)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pyotp
import pytest
from oidc_provider_mock import run_server_in_thread
from playwright.sync_api import expect

from tests.e2e.conftest import (
    ARTIFACTS,
    PASSWORD,
    VIEWPORT,
    WEB_DIST,
    Server,
    register,
    signed_in_page,
)
from tests.faults.live import LiveServer, running, server_env

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
SHOTS = ARTIFACTS / "sso"


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with run_server_in_thread() as running_provider:
        yield f"http://127.0.0.1:{running_provider.server_port}"


@pytest.fixture(scope="module")
def sso_server(tmp_path_factory: pytest.TempPathFactory, provider: str) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("e2e-sso")
    env = server_env(tmp / "data", "", log_level="WARNING", web_dir=WEB_DIST, redis_url="")
    env.update(
        TASKLANE_OIDC_ISSUER=provider,
        TASKLANE_OIDC_CLIENT_ID="tasklane-e2e",
        TASKLANE_OIDC_CLIENT_SECRET="e2e-client-secret",
        TASKLANE_OIDC_DISPLAY_NAME="Acme SSO",
    )
    live = LiveServer(env=env, cwd=tmp)
    env["TASKLANE_PUBLIC_URL"] = live.url
    with running(live):
        yield Server(base=live.url, data_dir=tmp / "data")


def at_provider(provider: str, sub: str, **claims: object) -> None:
    r = httpx.put(f"{provider}/users/{sub}", json=claims, timeout=10)
    assert r.status_code == 204, r.text


def new_page(browser: Any, server: Server) -> Any:
    context = browser.new_context(base_url=server.base, viewport=VIEWPORT)
    context.route("https://cdn.jsdelivr.net/**", lambda route: route.abort())
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def sign_in_with_sso(page: Any, sub: str) -> None:
    page.get_by_role("link", name="Sign in with Acme SSO").click()
    # The provider's own sign-in form.
    page.wait_for_url("**/oauth2/authorize**")
    page.locator("input[name=sub]").fill(sub)
    page.get_by_role("button", name="Authorize").click()


def test_a_first_sso_sign_in_makes_the_account_which_then_sets_a_password(
    browser: Any, sso_server: Server, provider: str
) -> None:
    sub = f"carol-{uuid.uuid4().hex[:8]}"
    email = f"{sub}@example.com"
    at_provider(provider, sub, email=email, email_verified=True, name="Carol Shaw")
    page = new_page(browser, sso_server)
    page.goto("/signin?next=/account")
    expect(page.get_by_role("link", name="Sign in with Acme SSO")).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "sign-in.png"))
    sign_in_with_sso(page, sub)

    # Back on Tasklane, signed in, on the page asked for.
    page.wait_for_url("**/account")
    password = page.get_by_role("region", name="Password")
    expect(password).to_contain_text("You sign in with single sign-on")
    expect(password.get_by_label("Current password")).to_have_count(0)
    password.screenshot(path=str(SHOTS / "set-a-password.png"))
    password.get_by_label("New password").fill(PASSWORD)
    password.get_by_role("button", name="Set password").click()
    expect(password.get_by_role("status")).to_contain_text("Password changed")
    expect(password.get_by_label("Current password")).to_be_visible()

    # The account now signs in with that password as well.
    with sso_server.api() as c:
        r = c.post("/auth/login", json={"email": email, "password": PASSWORD})
        assert r.status_code == 200, r.text
        me = c.get("/users/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"})
        assert me.json()["name"] == "Carol Shaw"
        assert me.json()["has_password"] is True


def test_an_address_the_provider_does_not_confirm_does_not_take_over_an_account(
    browser: Any, sso_server: Server, provider: str
) -> None:
    dave = register(sso_server, "Dave Existing")
    sub = f"mallory-{uuid.uuid4().hex[:8]}"
    at_provider(provider, sub, email=dave.email, email_verified=False, name="Mallory")
    page = new_page(browser, sso_server)
    page.goto("/signin")
    sign_in_with_sso(page, sub)
    expect(page.get_by_role("alert")).to_contain_text("does not confirm the address is verified")
    # The problem is shown once: a reload does not bring it back.
    assert page.url.endswith("/signin")
    page.screenshot(path=str(SHOTS / "unverified.png"))
    # Not signed in: the app's API answers 401 to this browser.
    assert page.request.get("/api/v1/users/me").status == 401


def test_an_account_with_two_factor_gives_its_code_after_sso(
    browser: Any, sso_server: Server, provider: str
) -> None:
    erin = register(sso_server, "Erin Twofactor")
    with sso_server.api() as c:
        started = c.post("/users/me/mfa/totp", headers=erin.headers)
        assert started.status_code == 201, started.text
        totp = pyotp.TOTP(started.json()["secret"])
        r = c.post("/users/me/mfa/totp/confirm", json={"code": totp.now()}, headers=erin.headers)
        assert r.status_code == 200, r.text
    sub = f"erin-{uuid.uuid4().hex[:8]}"
    at_provider(provider, sub, email=erin.email, email_verified=True, name="Erin")
    page = new_page(browser, sso_server)
    page.goto("/signin")
    sign_in_with_sso(page, sub)
    expect(page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
    # The step's token left the address bar at once.
    assert "mfa_token" not in page.url
    page.screenshot(path=str(SHOTS / "code-step.png"))
    page.get_by_label("Code").fill(totp.at(datetime.now(UTC) + timedelta(seconds=30)))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()


def test_a_workspace_that_requires_sso_signs_its_password_sessions_out(
    browser: Any, sso_server: Server, provider: str
) -> None:
    owner, member = register(sso_server, "Olga Owner"), register(sso_server, "Milo Member")
    with sso_server.api() as c:
        r = c.post("/workspaces", json={"name": "Acme Corp"}, headers=owner.headers)
        assert r.status_code == 201, r.text
        workspace_id = r.json()["id"]
        r = c.post(
            f"/workspaces/{workspace_id}/members",
            json={"email": member.email, "role": "member"},
            headers=owner.headers,
        )
        assert r.status_code == 201, r.text
        r = c.post(f"/invitations/{r.json()['id']}/accept", headers=member.headers)
        assert r.status_code == 200, r.text
    milo = signed_in_page(browser, sso_server, member)
    milo.goto(f"/w/{workspace_id}")
    expect(milo.get_by_role("button", name="Sign out", exact=True)).to_be_visible()

    # Olga signs in through SSO and requires it of the workspace.
    sub = f"olga-{uuid.uuid4().hex[:8]}"
    at_provider(provider, sub, email=owner.email, email_verified=True, name="Olga")
    page = new_page(browser, sso_server)
    page.goto(f"/signin?next=/w/{workspace_id}/settings")
    sign_in_with_sso(page, sub)
    page.wait_for_url(f"**/w/{workspace_id}/settings")
    security = page.get_by_role("region", name="Security")
    security.get_by_label("Require single sign-on").click()
    expect(security.get_by_label("Require single sign-on")).to_be_checked()
    expect(page.get_by_text("Members now sign in only through single sign-on.")).to_be_visible()
    security.screenshot(path=str(SHOTS / "require-sso.png"))
    # Her own session was signed in through SSO, and says so.
    page.goto("/account")
    current = page.get_by_role("listitem").filter(has_text="This session")
    expect(current).to_contain_text("Single sign-on")

    # Milo's password session has ended: the app sends him to sign in, where his password
    # is refused with what to do instead.
    milo.reload()
    milo.wait_for_url("**/signin**")
    milo.get_by_label("E-mail", exact=True).fill(member.email)
    milo.get_by_label("Password").fill(PASSWORD)
    milo.get_by_role("button", name="Sign in", exact=True).click()
    expect(milo.get_by_role("alert")).to_contain_text("requires single sign-on")
    expect(milo.get_by_role("link", name="Sign in with Acme SSO")).to_be_visible()
    milo.screenshot(path=str(SHOTS / "password-refused.png"))
