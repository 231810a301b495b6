"""A real WebSocket client for the live-updates protocol, and a real server to talk to."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
import websockets
from fastapi import FastAPI
from sqlalchemy import func, select
from websockets.asyncio.client import ClientConnection

from tasklane.models import Event

QUIET = frozenset({"hello", "heartbeat", "presence"})


@asynccontextmanager
async def running_server(app: FastAPI) -> AsyncIterator[str]:
    """Serve `app` (its lifespan already started by the caller) with uvicorn on a free
    loopback port; yields the base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    ping = app.state.runtime.settings.ws_ping_seconds
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_level="warning",
        ws="websockets-sansio",
        ws_ping_interval=ping,
        ws_ping_timeout=ping,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        assert not task.done(), task.exception()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=15)
        sock.close()


class LiveClient:
    """Reads messages one at a time; `expect` skips presence and heartbeats unless asked."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.log: list[dict[str, Any]] = []

    async def recv(self, within: float = 5.0) -> dict[str, Any]:
        message = json.loads(await asyncio.wait_for(self.ws.recv(), within))
        self.log.append(message)
        return dict(message)

    async def send(self, **message: Any) -> None:
        await self.ws.send(json.dumps(message))

    async def expect(
        self, type: str, within: float = 5.0, skip: frozenset[str] = QUIET
    ) -> dict[str, Any]:
        while True:
            message = await self.recv(within)
            if message["type"] == type:
                return message
            assert message["type"] in skip, f"expected {type}, got {message}"

    async def expect_task_event(self, task_id: str, within: float = 5.0) -> dict[str, Any]:
        """The next event about `task_id`, skipping events about anything else (a hub may
        subscribe a client before it has handled the latest events; those come first)."""
        while True:
            message = await self.expect("event", within)
            if message["event"].get("task_id") == task_id:
                return message

    async def subscribe(self, **scope: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Subscribe; the `subscribed` answer and the events replayed before it."""
        await self.send(type="subscribe", **scope)
        events = []
        while True:
            message = await self.recv()
            if message["type"] == "subscribed":
                return message, events
            if message["type"] == "event":
                events.append(message)
            else:
                assert message["type"] in QUIET | {"reset"}, message

    async def events_until(self, seq: int, within: float = 5.0) -> list[dict[str, Any]]:
        """Every event received until the server has handled everything up to `seq` (known
        from a pong whose `seq` reaches it: the hub queued all earlier events before it)."""
        events: list[dict[str, Any]] = []
        deadline = asyncio.get_running_loop().time() + within
        while True:
            await self.send(type="ping")
            while True:
                message = await self.recv(within)
                if message["type"] == "event":
                    events.append(message)
                elif message["type"] == "pong":
                    break
                else:
                    assert message["type"] in QUIET, message
            if message["seq"] >= seq:
                return events
            assert asyncio.get_running_loop().time() < deadline, f"never reached seq {seq}"
            await asyncio.sleep(0.05)


@asynccontextmanager
async def live_client(
    base_url: str, token: str | None = None, **kwargs: Any
) -> AsyncIterator[LiveClient]:
    url = base_url.replace("http://", "ws://") + "/api/v1/ws"
    if token is not None:
        url += f"?token={token}"
    async with websockets.connect(url, open_timeout=5, **kwargs) as ws:
        yield LiveClient(ws)


async def head(app: FastAPI) -> int:
    async with app.state.runtime.db.transaction(write=False) as session:
        return int(await session.scalar(select(func.max(Event.seq))) or 0)


async def events_after(app: FastAPI, seq: int, **where: Any) -> list[Event]:
    async with app.state.runtime.db.transaction(write=False) as session:
        stmt = select(Event).where(Event.seq > seq).order_by(Event.seq)
        for name, value in where.items():
            stmt = stmt.where(getattr(Event, name) == value)
        return list((await session.scalars(stmt)).all())
