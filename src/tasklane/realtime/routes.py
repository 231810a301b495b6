"""The WebSocket endpoint `/api/v1/ws`: authentication, the message loop, heartbeats and
session checks. The protocol is in docs/realtime.md; subscriptions live in hub.py."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

import structlog
from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketState

from tasklane.auth import apitokens
from tasklane.auth.principal import (
    ACCESS_COOKIE,
    Principal,
    authenticate,
    session_active,
    token_principal,
    token_signed_in,
)
from tasklane.errors import TasklaneError, Unauthenticated
from tasklane.realtime.hub import Connection, Hub
from tasklane.realtime.limits import ConnectionLimits, Holder
from tasklane.realtime.protocol import (
    InvalidMessage,
    Ping,
    Subscribe,
    encode,
    parse_client_message,
)
from tasklane.runtime import Runtime

log = structlog.get_logger(__name__)
router = APIRouter(tags=["live"])

CLOSE_UNAUTHENTICATED = 4401
CLOSE_TOO_SLOW = 4429
CLOSE_TOO_MANY = 4409
CLOSE_GOING_AWAY = 1001
CLEAN_CLOSE_CODES = frozenset({1000, 1001})


@router.websocket("/ws")
async def live_updates(websocket: WebSocket) -> None:
    """Live updates; see docs/realtime.md for the protocol."""
    runtime: Runtime = websocket.app.state.runtime
    await websocket.accept()
    try:
        principal = await _authenticate(runtime, websocket)
    except TasklaneError as exc:
        await websocket.send_text(
            encode({"type": "error", "code": "unauthenticated", "detail": exc.detail or str(exc)})
        )
        await websocket.close(CLOSE_UNAUTHENTICATED)
        return
    connection = Connection(principal)
    address = websocket.client.host if websocket.client else "unknown"
    holder = Holder(id=connection.id, user=str(principal.user_id), address=address)
    limits = _limits(websocket)
    if not await limits.acquire(holder):
        log.info("ws_refused_too_many", user_id=holder.user, address=address)
        detail = "Too many open connections for this user or address; close one first."
        await websocket.send_text(
            encode({"type": "error", "code": "too_many_connections", "detail": detail})
        )
        await websocket.close(CLOSE_TOO_MANY, "too many connections")
        return
    try:
        await _serve(runtime, websocket, connection, limits, holder)
    finally:
        await limits.release(holder)


def _limits(websocket: WebSocket) -> ConnectionLimits:
    """The app's connection counter, made on first use (shared by its connections)."""
    state = websocket.app.state
    limits: ConnectionLimits | None = getattr(state, "ws_limits", None)
    if limits is None:
        runtime: Runtime = state.runtime
        limits = state.ws_limits = ConnectionLimits(runtime.settings, runtime.redis)
    return limits


def _origin_allowed(runtime: Runtime, websocket: WebSocket) -> bool:
    """Cookies ride along on cross-site WebSocket requests, so a cookie-authenticated socket
    must come from our own pages: the public URL's origin or the requested host's."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser; browsers always send Origin on WebSockets
    parts = urlsplit(origin)
    public = urlsplit(runtime.settings.public_url)
    allowed_extra = set(getattr(runtime.settings, "cors_origins", []) or [])
    return (
        (parts.scheme, parts.netloc) == (public.scheme, public.netloc)
        or parts.netloc == websocket.headers.get("host")
        or origin in allowed_extra
    )


async def _authenticate(runtime: Runtime, websocket: WebSocket) -> Principal:
    header = websocket.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        token, via = header[7:].strip(), "bearer"
    elif websocket.query_params.get("token"):
        token, via = websocket.query_params["token"], "query"
    elif websocket.cookies.get(ACCESS_COOKIE):
        token, via = websocket.cookies[ACCESS_COOKIE], "cookie"
        if not _origin_allowed(runtime, websocket):
            raise Unauthenticated("This origin may not use the session cookie here.")
    else:
        raise Unauthenticated("Send an access token (Authorization header or ?token=).")
    if token.startswith(apitokens.PREFIX):  # every scope may follow what its owner sees
        if via == "query":  # a long-lived secret in a URL ends up in proxies' logs
            raise Unauthenticated("Send an API token in the Authorization header, not ?token=.")
        return token_principal(await token_signed_in(runtime, token))
    async with runtime.db.transaction(write=False) as session:
        return await authenticate(session, runtime.settings, token, via)


async def _serve(
    runtime: Runtime,
    websocket: WebSocket,
    connection: Connection,
    limits: ConnectionLimits,
    holder: Holder,
) -> None:
    hub = runtime.hub
    hub.attach(connection)
    reader = asyncio.create_task(_read(hub, websocket, connection))
    writer = asyncio.create_task(_write(websocket, connection))
    session = asyncio.create_task(_watch_session(runtime, connection))
    heartbeat = asyncio.create_task(_heartbeat(runtime, connection, limits, holder))
    too_slow = asyncio.create_task(connection.overflowed.wait())
    shutting_down = asyncio.create_task(connection.closing.wait())
    tasks = [reader, writer, session, heartbeat, too_slow, shutting_down]
    clean = False
    farewell: dict[str, str] | None = None
    close: tuple[int, str] | None = None
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        if reader in done:
            failed = reader.cancelled() or reader.exception() is not None
            clean = not failed and reader.result() in CLEAN_CLOSE_CODES
        elif session in done:
            farewell = {"type": "error", "code": "unauthenticated", "detail": "The session ended."}
            close = (CLOSE_UNAUTHENTICATED, "session ended")
        elif too_slow in done:
            close = (CLOSE_TOO_SLOW, "too slow; reconnect with since")
        elif shutting_down in done:
            close, clean = (CLOSE_GOING_AWAY, "server shutting down"), True
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await hub.detach(connection, clean=clean)
        if close is not None and websocket.application_state is WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                if close[0] != CLOSE_TOO_SLOW:
                    while not connection.outbox.empty():
                        await websocket.send_text(connection.outbox.get_nowait())
                if farewell is not None:
                    await websocket.send_text(encode(farewell))
                await websocket.close(*close)


async def _read(hub: Hub, websocket: WebSocket, connection: Connection) -> int:
    """Handle client messages until the client goes; the close code it sent."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return int(message.get("code") or 1000)
        text = message.get("text")
        if text is None:
            connection.error("invalid_message", "Send JSON text messages.")
            continue
        try:
            parsed = parse_client_message(text)
        except InvalidMessage as exc:
            connection.error("invalid_message", str(exc))
            continue
        if isinstance(parsed, Ping):
            connection.send_json({"type": "pong", "seq": hub.position})
        elif parsed.user:
            hub.follow_user(connection, on=isinstance(parsed, Subscribe))
        elif isinstance(parsed, Subscribe):
            await hub.subscribe(connection, parsed)
        else:
            await hub.unsubscribe(connection, parsed.kind, parsed.ref)


async def _write(websocket: WebSocket, connection: Connection) -> None:
    while True:
        await websocket.send_text(await connection.outbox.get())


async def _heartbeat(
    runtime: Runtime, connection: Connection, limits: ConnectionLimits, holder: Holder
) -> None:
    while True:
        await asyncio.sleep(runtime.settings.heartbeat_seconds)
        connection.send_json({"type": "heartbeat", "seq": runtime.hub.position})
        await limits.renew(holder)  # keeps its place counted across processes


async def _watch_session(runtime: Runtime, connection: Connection) -> None:
    """Return when the connection's sign-in session has ended."""
    while True:
        await asyncio.sleep(runtime.settings.session_check_seconds)
        try:
            async with runtime.db.transaction(write=False) as session:
                if not await session_active(session, connection.principal):
                    return
        except Exception:
            log.warning("session_check_failed", exc_info=True)  # the database will be back
