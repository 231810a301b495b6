"""Caps on open WebSockets per user and per client address: one more is refused with an
`error` message and close code 4409, and a freed place can be taken again. Counted in the
process, or in Redis (across processes) when it is configured."""

from __future__ import annotations

import secrets
from contextlib import AsyncExitStack

import httpx
import pytest
import redis.asyncio as redis
import websockets

from tasklane.config import Settings
from tests.factories import make_user
from tests.realtime.conftest import LIVE_SETTINGS
from tests.realtime.helpers import LiveClient, live_client

CLOSE_TOO_MANY = 4409


@pytest.fixture(params=["memory", "redis"])
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, object]:
    extra: dict[str, object] = {"ws_max_per_user": 2, "ws_max_per_address": 3}
    if request.param == "redis":
        extra |= {
            "redis_url": "redis://127.0.0.1:6379/0",
            "redis_prefix": f"test-caps-{secrets.token_hex(4)}",
        }
    return {**LIVE_SETTINGS, **extra}


async def _opened(stack: AsyncExitStack, base_url: str, token: str) -> LiveClient:
    live = await stack.enter_async_context(live_client(base_url, token))
    assert (await live.recv())["type"] == "hello"
    return live


async def _refused(base_url: str, token: str) -> str:
    async with live_client(base_url, token) as live:
        message = await live.recv()
        assert message["type"] == "error", message
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await live.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == CLOSE_TOO_MANY
    return str(message["code"])


async def test_one_connection_over_the_user_cap_is_refused_until_one_closes(
    base_url: str, http: httpx.AsyncClient, settings: Settings
) -> None:
    user = await make_user(http)
    async with AsyncExitStack() as stack:
        first = await _opened(stack, base_url, user.access_token)
        await _opened(stack, base_url, user.access_token)
        assert await _refused(base_url, user.access_token) == "too_many_connections"
        if settings.redis_url:  # counted where every process sees it
            client = redis.Redis.from_url(settings.redis_url)
            try:
                key = f"{settings.redis_prefix}:ws:user:{user.id}"
                assert await client.zcard(key) == 2
            finally:
                await client.aclose()
        await first.ws.close()
        await first.ws.wait_closed()
        for _ in range(50):  # the server notices the close right after it
            async with live_client(base_url, user.access_token) as again:
                if (await again.recv())["type"] == "hello":
                    break
        else:
            pytest.fail("a freed place could not be taken again")


async def test_one_connection_over_the_address_cap_is_refused(
    base_url: str, http: httpx.AsyncClient
) -> None:
    alice, bob = await make_user(http), await make_user(http)
    async with AsyncExitStack() as stack:
        await _opened(stack, base_url, alice.access_token)
        await _opened(stack, base_url, alice.access_token)
        await _opened(stack, base_url, bob.access_token)  # under bob's cap, at the address cap
        assert await _refused(base_url, bob.access_token) == "too_many_connections"
