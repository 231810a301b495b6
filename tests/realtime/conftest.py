from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from tests.realtime.helpers import running_server

LIVE_SETTINGS: dict[str, object] = {
    "run_worker": True,
    "dispatch_poll_seconds": 0.2,
    "presence_grace_seconds": 0.4,
    "session_check_seconds": 0.3,
}


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return dict(LIVE_SETTINGS)


@pytest.fixture
async def base_url(app: FastAPI) -> AsyncIterator[str]:
    async with running_server(app) as url:
        yield url


@pytest.fixture
async def http(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Real HTTP to the running server (changes that live clients should see)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as c:
        yield c
