"""Request logs: one JSON line per request with its id, and no secret ever written."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tasklane.config import Settings
from tasklane.logs import configure_logging
from tests.factories import PASSWORD, make_user


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"log_format": "json", "slow_request_ms": 100_000}


@pytest.fixture
def log_lines(app: FastAPI, settings: Settings) -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    configure_logging(settings, stream=buffer)
    yield buffer
    configure_logging(settings)


def _records(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


async def test_request_lines_carry_id_route_user_and_no_secrets(
    client: httpx.AsyncClient, log_lines: io.StringIO
) -> None:
    user = await make_user(client)
    await client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": "wrong-password-x"}
    )
    r = await client.get(
        "/api/v1/workspaces", headers={**user.headers, "X-Request-ID": "trace-me-1"}
    )
    assert r.status_code == 200
    records = _records(log_lines)
    listed = next(rec for rec in records if rec.get("request_id") == "trace-me-1")
    assert listed["event"] == "request"
    assert listed["route"] == "/api/v1/workspaces"
    assert listed["status"] == 200
    assert listed["user_id"] == user.id
    assert listed["statements"] >= 1
    # An invitation link's token is in its path: the line names the route instead.
    link_token = "an-invitation-token-that-must-not-be-logged"
    r = await client.get(f"/api/v1/invitations/by-token/{link_token}")
    assert r.status_code == 404
    text = log_lines.getvalue()
    for secret in (PASSWORD, "wrong-password-x", user.access_token, user.refresh_token, link_token):
        assert secret not in text


def test_secret_fields_are_redacted(settings: Settings) -> None:
    import structlog

    buffer = io.StringIO()
    configure_logging(settings, stream=buffer)
    try:
        structlog.get_logger().info("oops", password="hunter2", refresh_token="abc", user="ada")
    finally:
        configure_logging(settings)
    record = json.loads(buffer.getvalue())
    assert record["password"] == "[redacted]"
    assert record["refresh_token"] == "[redacted]"
    assert record["user"] == "ada"
