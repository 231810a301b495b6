"""A client that goes away in the middle of sending its body is an ordinary event of the
network, not a bug: one log line that says so, no traceback, no "Exception in ASGI application"."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from tests.faults.live import LiveServer, running, server_env, wait_until

BODY = b'{"email": "someone@example.com", "pass'


def _short_body(port: int, path: str) -> None:
    """Promise 200 bytes, send fewer, and hang up."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n"
        ).encode()
        sock.sendall(head + BODY)
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(5)
        try:
            while sock.recv(4096):
                pass
        except OSError:
            pass


def test_a_body_shorter_than_its_content_length_is_logged_as_a_disconnect(
    tmp_path: Path,
) -> None:
    env = server_env(tmp_path / "data", "")
    with running(LiveServer(env=env, cwd=tmp_path)) as server:
        for path in ("/api/v1/auth/login", "/api/v1/workspaces"):
            _short_body(server.port, path)
        lines = wait_until(
            lambda: (
                [line for line in server.log_text.splitlines() if "client_disconnected" in line]
                if server.log_text.count("client_disconnected") >= 2
                else None
            ),
            timeout=10,
        )
        log_text = server.log_text
    assert "Exception in ASGI application" not in log_text
    assert "Traceback" not in log_text
    assert "unhandled_exception" not in log_text
    records = [json.loads(line) for line in lines]
    assert {r["path"] for r in records} == {"/api/v1/auth/login", "/api/v1/workspaces"}
    assert all(r["level"] in ("info", "warning") for r in records), records
