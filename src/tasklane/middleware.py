"""The edge: the one middleware layer every HTTP request passes through.

In order, for each request:

    request id, statement counting, cursor key (the request's context)
    → CORS (only for configured origins)
    → query-string length (414) and declared body size (413), before anything is read
    → writes only: the address's write budget (429), the body counted as it streams in (413),
      and the transaction retry (tasklane.db.RetryTransactions)
    → the app

and on the way out: the security headers (built once per kind of path), `X-Request-ID`,
`Server-Timing`, the request's metrics and one log line.

Reads pass through with no wrapper around their body and nothing awaited before the route.
It replaces six separate middlewares that each wrapped `send`, parsed the headers, or counted a
body; their rules are unchanged (tests/security). Forwarded headers from trusted proxies
(TASKLANE_TRUSTED_PROXIES) are applied outside it, so that every rule sees the real client.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Protocol

import structlog
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect, HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tasklane import metrics
from tasklane.auth.principal import WRITE_LIMITED
from tasklane.db import SAFE_METHODS, RetryTransactions, track_statements
from tasklane.errors import (
    PayloadTooLarge,
    RateLimited,
    TasklaneError,
    UriTooLong,
    problem_response,
)
from tasklane.kit.pagination import cursor_key, reset_cursor_key, set_cursor_key
from tasklane.kit.routes import route_template

REQUEST_ID_HEADER = "X-Request-ID"
CLIENT_CLOSED = 499
"""The status logged when the client went away before the request was read (nginx's code)."""
API_PREFIX = "/api/"

log = structlog.get_logger("tasklane.request")
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_REQUEST_ID = REQUEST_ID_HEADER.lower().encode("latin-1")
_SERVER_TIMING = b"server-timing"


RawHeaders = tuple[tuple[bytes, bytes], ...]


class HeaderSource(Protocol):
    """What `tasklane.security.HeaderPolicy` offers the edge: the headers for a path, encoded."""

    def raw_for_path(self, path: str) -> RawHeaders: ...


class WriteBudget(Protocol):
    """What `tasklane.security.WriteLimiter` offers the edge: one write from an address."""

    async def check_address(self, address: str) -> int | None: ...


def encode_headers(headers: dict[str, str]) -> RawHeaders:
    return tuple((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items())


async def refuse(scope: Scope, receive: Receive, send: Send, error: TasklaneError) -> None:
    """Answer `error` as a problem document without running the app."""
    response = problem_response(
        Request(scope),
        status=error.status,
        code=error.code,
        title=error.title,
        detail=error.detail,
        headers=error.headers,
    )
    await response(scope, receive, send)


class Edge:
    def __init__(
        self,
        app: ASGIApp,
        *,
        headers: HeaderSource,
        cursor_secret: Callable[[], str],
        max_body_bytes: int,
        max_query_bytes: int,
        large_bodies: Sequence[tuple[re.Pattern[str], int]] = (),
        write_budget: WriteBudget | None = None,
        cors: dict[str, object] | None = None,
        slow_request_ms: int = 500,
        client_address: Callable[[HTTPConnection], str],
    ) -> None:
        self.app = app
        self.writes: ASGIApp = RetryTransactions(app)
        self.headers = headers
        self.cursor_secret = cursor_secret
        self._cursor_key: bytes | None = None
        self.max_body = max_body_bytes
        self.large_bodies = tuple(large_bodies)
        """(path pattern, limit) of the routes that take more than max_body (uploads)."""
        self.max_query = max_query_bytes
        self.write_budget = write_budget
        self.client_address = client_address
        self.slow_seconds = slow_request_ms / 1000
        self.guarded: ASGIApp = CORSMiddleware(self._guarded, **cors) if cors else self._guarded  # type: ignore[arg-type]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope["headers"]:
            if name == _REQUEST_ID:
                incoming = value.decode("latin-1")
                break
        request_id = incoming if incoming and _VALID_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        stats = track_statements()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        if self._cursor_key is None:
            # Derived on the first request, not when the app is built: reading the development
            # secret may first write it to the data folder, which building the OpenAPI must not.
            self._cursor_key = cursor_key(self.cursor_secret())
        key_token = set_cursor_key(self._cursor_key)
        started = time.perf_counter()
        status = 500
        metrics.REQUESTS_IN_FLIGHT.inc()
        fixed = self.headers.raw_for_path(scope["path"])

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                own = list(message.get("headers", ()))
                present = {name.lower() for name, _ in own}
                own = [h for h in own if h[0].lower() not in (_REQUEST_ID, _SERVER_TIMING)]
                own.extend(h for h in fixed if h[0] not in present)
                own.append((_REQUEST_ID, request_id.encode("latin-1")))
                timing = f'db;dur={stats.seconds * 1000:.2f};desc="{stats.count} statements"'
                own.append((_SERVER_TIMING, timing.encode("latin-1")))
                message["headers"] = own
            await send(message)

        try:
            await self.guarded(scope, receive, send_with_headers)
        except ClientDisconnect:
            # It hung up while sending the body (less than its Content-Length): nobody is left
            # to answer, and nothing is wrong with us. One line below, no traceback.
            status = CLIENT_CLOSED
        finally:
            reset_cursor_key(key_token)
            self._finish(scope, status, time.perf_counter() - started, stats)

    def _finish(self, scope: Scope, status: int, elapsed: float, stats: object) -> None:
        metrics.REQUESTS_IN_FLIGHT.dec()
        route = scope.get("route")
        template = route_template(scope, route)
        method = scope["method"]
        metrics.observe_request(
            method=method,
            route=template,
            status=status,
            seconds=elapsed,
            stats=stats,  # type: ignore[arg-type]
        )
        principal = scope["state"].get("principal")
        fields = {
            "method": method,
            "route": template,
            # A path that carries a secret (an invitation link's token) is logged as its route.
            "path": template if template and "{token}" in template else scope["path"],
            "status": status,
            "duration_ms": round(elapsed * 1000, 2),
            "db_ms": round(stats.seconds * 1000, 2),  # type: ignore[attr-defined]
            "statements": stats.count,  # type: ignore[attr-defined]
            "user_id": str(principal.user_id) if principal is not None else None,
        }
        if status == CLIENT_CLOSED:
            log.info("client_disconnected", **fields)
        elif elapsed >= self.slow_seconds:
            log.warning("slow_request", **fields)
        else:
            log.info("request", **fields)
        structlog.contextvars.unbind_contextvars("request_id")

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        if len(scope.get("query_string", b"")) > self.max_query:
            detail = f"The query string is longer than {self.max_query} bytes."
            await refuse(scope, receive, send, UriTooLong(detail))
            return
        if scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        declared = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = value
                break
        limit = self._body_limit(scope["path"])
        if declared is not None and declared.isdigit() and int(declared) > limit:
            detail = f"The request body is larger than {limit} bytes."
            await refuse(scope, receive, send, PayloadTooLarge(detail))
            return
        if self.write_budget is not None and scope["path"].startswith(API_PREFIX):
            address = self.client_address(HTTPConnection(scope))
            wait = await self.write_budget.check_address(address)
            if wait is not None:
                await refuse(scope, receive, send, RateLimited(WRITE_LIMITED, retry_after=wait))
                return
        await self.writes(scope, self._counted(receive, limit), send)

    def _body_limit(self, path: str) -> int:
        for pattern, limit in self.large_bodies:
            if pattern.fullmatch(path):
                return limit
        return self.max_body

    def _counted(self, receive: Receive, limit: int) -> Receive:
        """`receive`, refusing a body (sent without a length, or longer than declared) as soon
        as it passes the limit: the app's error handlers answer the 413."""
        size = 0

        async def counted() -> Message:
            nonlocal size
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > limit:
                    raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
            return message

        return counted
