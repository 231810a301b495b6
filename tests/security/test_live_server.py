"""Against a real `tasklane serve` over real sockets: oversized bodies are refused before they
are read; no password, token, cookie or secret of a whole run reaches its logs or its error
bodies; and in a real browser, the Content-Security-Policy lets only the app's own scripts
run."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser import chromium
from tests.faults.live import SECRET_KEY, LiveServer, running, server_env

MAX_BODY = 64 * 1024
REAL_BUILD = Path(__file__).resolve().parents[2] / "web" / "dist"
# Like web/index.html: an inline script that applies the saved theme, then the app.
STAND_IN = """<!doctype html>
<html><head><meta charset="utf-8"><title>Tasklane</title>
<script>
  try {
    var t = localStorage.getItem("tasklane.theme");
    if (t === "light" || t === "dark") document.documentElement.dataset.theme = t;
  } catch (e) {}
</script>
<script type="module" src="/assets/app.js"></script>
</head><body><div id="root"></div></body></html>
"""
STAND_IN_APP = "document.getElementById('root').innerHTML = '<main>app</main>';"
# What a careless renderer might do with stored text, run inside the page.
INJECT = """() => {
  document.getElementById("root").insertAdjacentHTML("beforeend",
    '<img src="/missing.png" onerror="window.storedHandlerRan = true">' +
    '<a id="stored-link" href="javascript:window.storedLinkRan = true">x</a>');
  const s = document.createElement("script");
  s.textContent = "window.addedScriptRan = true";
  document.body.appendChild(s);
}"""


def web_dir(folder: Path) -> Path:
    if (REAL_BUILD / "index.html").exists():
        return REAL_BUILD
    stand_in = folder / "web"
    (stand_in / "assets").mkdir(parents=True)
    (stand_in / "index.html").write_text(STAND_IN)
    (stand_in / "assets" / "app.js").write_text(STAND_IN_APP)
    return stand_in


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("live")
    env = server_env(
        folder / "data",
        "",
        log_level="DEBUG",
        max_body_bytes=MAX_BODY,
        web_dir=web_dir(folder),
        login_failures_per_account=1000,
    )
    with running(LiveServer(env=env, cwd=folder)) as live:
        yield live


def raw_request(server: LiveServer, head: str, chunks: Iterator[bytes]) -> tuple[str, int]:
    """Send `head`, then `chunks` until the server answers; returns (status line, bytes of
    body sent before the answer came)."""
    sent = 0
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(head.encode())
        s.setblocking(False)
        answer = b""
        deadline = time.monotonic() + 20
        for chunk in chunks:
            with contextlib.suppress(BlockingIOError):
                answer += s.recv(65536)
            if answer:
                break
            try:
                s.sendall(chunk)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
            assert time.monotonic() < deadline
        s.setblocking(True)
        while b"\r\n" not in answer:
            data = s.recv(65536)
            if not data:
                break
            answer += data
    return answer.split(b"\r\n", 1)[0].decode(), sent


def test_declared_oversize_is_refused_without_waiting_for_the_body(server: LiveServer) -> None:
    head = (
        "POST /api/v1/workspaces HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/json\r\nContent-Length: 50000000\r\n\r\n"
    )
    status, sent = raw_request(server, head, iter([b""]))
    assert status == "HTTP/1.1 413 Request Entity Too Large" or status.startswith("HTTP/1.1 413")
    assert sent == 0


def test_chunked_oversize_is_cut_off(server: LiveServer) -> None:
    head = (
        "POST /api/v1/auth/register HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    piece = b"x" * 16384

    def chunks() -> Iterator[bytes]:
        opening = b'{"name": "'
        yield f"{len(opening):x}\r\n".encode() + opening + b"\r\n"
        for _ in range(2000):  # 32 MB if nobody stops it
            yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
            time.sleep(0.001)

    status, sent = raw_request(server, head, chunks())
    assert status.startswith("HTTP/1.1 413"), status
    # The answer came while the client was still sending: past the limit plus what the
    # kernel's socket buffers held, not the whole 32 MB.
    assert sent < 8 * 1024 * 1024, f"sent {sent} bytes before the refusal"


def test_no_secret_reaches_the_logs_or_error_bodies(server: LiveServer) -> None:
    secrets = {
        "password": "first correct horse 11",
        "new password": "second correct horse 22",
        "wrong password": "wrong horse battery 33",
        "wrong current password": "not my password 44",
        "too long password": "L0ng" * 80,
        "password in a bad body": "bad body password 55",
        "csrf guess": "forged-csrf-value-123456",
        "secret key": SECRET_KEY,
    }
    bodies: list[str] = []  # of error answers
    email = "secret-keeper@example.com"
    with httpx.Client(base_url=server.url, timeout=10) as c:

        def send(method: str, url: str, status: int, **kwargs: object) -> httpx.Response:
            r = c.request(method, url, **kwargs)  # type: ignore[arg-type]
            assert r.status_code == status, (method, url, r.text)
            if r.status_code >= 400:
                bodies.append(r.text)
            return r

        send(
            "POST",
            "/api/v1/auth/register",
            422,
            json={"email": email, "password": secrets["too long password"], "name": "K"},
        )
        send(
            "POST",
            "/api/v1/auth/register",
            201,
            json={"email": email, "password": secrets["password"], "name": "Keeper"},
        )
        send(
            "POST",
            "/api/v1/auth/login",
            401,
            json={"email": email, "password": secrets["wrong password"]},
        )
        send(
            "POST",
            "/api/v1/auth/login",
            422,
            json={"email": "not-an-email", "password": secrets["password in a bad body"]},
        )
        first = send(
            "POST",
            "/api/v1/auth/login",
            200,
            json={"email": email, "password": secrets["password"]},
        ).json()
        second = send(
            "POST", "/api/v1/auth/refresh", 200, json={"refresh_token": first["refresh_token"]}
        ).json()
        bearer = {"Authorization": f"Bearer {second['access_token']}"}
        send("GET", "/api/v1/users/me", 200, headers=bearer)
        send("GET", f"/api/v1/users/me?token={second['access_token']}", 401)
        send("GET", "/api/v1/users/me", 401, headers={"Authorization": "Bearer forged.token.x"})
        session = send(
            "POST",
            "/api/v1/auth/session",
            200,
            json={"email": email, "password": secrets["password"]},
        )
        cookies = dict(session.cookies)
        send("PATCH", "/api/v1/users/me", 403, json={"name": "N"})
        send(
            "PATCH",
            "/api/v1/users/me",
            403,
            json={"name": "N"},
            headers={"X-CSRF-Token": secrets["csrf guess"]},
        )
        c.cookies.clear()
        send(
            "POST",
            "/api/v1/users/me/password",
            422,
            json={
                "current_password": secrets["wrong current password"],
                "new_password": secrets["new password"],
            },
            headers=bearer,
        )
        send(
            "POST",
            "/api/v1/users/me/password",
            204,
            json={"current_password": secrets["password"], "new_password": secrets["new password"]},
            headers=bearer,
        )
        send(
            "POST",
            "/api/v1/auth/session",
            401,
            json={"email": email, "password": secrets["password"]},
        )
        send("POST", "/api/v1/auth/logout", 204, headers=bearer)
        send("POST", "/api/v1/auth/refresh", 401, json={"refresh_token": first["refresh_token"]})
    tokens = {
        "first access token": first["access_token"],
        "first refresh token": first["refresh_token"],
        "second access token": second["access_token"],
        "second refresh token": second["refresh_token"],
        "csrf token": session.json()["csrf_token"],
        **{f"cookie {k}": v for k, v in cookies.items()},
    }
    time.sleep(0.2)  # let the last log lines through the pipe
    logs = server.log_text
    assert '"event":"request"' in logs, "the run logged nothing: the check would prove nothing"
    assert "/api/v1/users/me/password" in logs
    errors = "\n".join(bodies)
    leaks = [
        f"{name} in {where}"
        for name, value in {**secrets, **tokens}.items()
        for where, text in (("the logs", logs), ("an error body", errors))
        if value in text
    ]
    assert not leaks, leaks


def test_the_secret_key_is_not_written_to_the_data_folder(server: LiveServer) -> None:
    """The server was given its secret in the environment: it stays there."""
    data_dir = Path(server.env["TASKLANE_DATA_DIR"])
    assert not (data_dir / "secret_key").exists()
    for path in data_dir.iterdir():
        if path.is_file() and path.suffix not in {".db-shm"}:
            assert SECRET_KEY.encode() not in path.read_bytes(), path.name


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def test_only_the_apps_own_scripts_run_in_a_browser(browser: Any, server: LiveServer) -> None:
    """The Content-Security-Policy in Debian's Chromium, on the real web build (or, without
    one, a page built like it): the page's own inline script runs, the app starts with no
    violation, script that reaches the page any other way (stored text rendered as HTML, an
    added script element, a `javascript:` link) never runs, and no other site can frame it."""
    context = browser.new_context()
    context.add_init_script("localStorage.setItem('tasklane.theme', 'dark')")
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(f"{server.url}/", wait_until="load")
    page.wait_for_function(
        "() => document.getElementById('root').childElementCount > 0", timeout=15_000
    )
    # The inline theme script ran: its hash is in the policy.
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    assert violations == [], "the app itself breaks the policy"

    page.evaluate(INJECT)
    page.click("#stored-link")
    page.wait_for_timeout(300)
    ran = page.evaluate(
        "() => [window.storedHandlerRan, window.storedLinkRan, window.addedScriptRan]"
    )
    assert ran == [None, None, None]
    assert len(violations) >= 3, violations

    framer = context.new_page()
    framer.set_content(f'<iframe id="f" src="{server.url}/"></iframe>')
    framer.wait_for_timeout(500)
    assert framer.frame_locator("#f").locator("#root").count() == 0
    context.close()
