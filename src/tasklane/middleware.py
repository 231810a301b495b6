"""Request context: a request id on every response and log line, and SQL statement counts."""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.datastructures import MutableHeaders
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tasklane import metrics
from tasklane.db import track_statements

REQUEST_ID_HEADER = "X-Request-ID"
CLIENT_CLOSED = 499
"""The status logged when the client went away before the request was read (nginx's code)."""
log = structlog.get_logger("tasklane.request")
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _template(scope: Scope, route: object) -> str | None:
    """The route's path template (`/api/v1/tasks/{task_ref}`), so ids do not split metrics."""
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return None
    # An included router's route knows only its own part of the path; the rest is the prefix.
    try:
        own = path.format(**scope.get("path_params", {}))
    except (KeyError, IndexError, ValueError):
        return path
    full = str(scope["path"])
    return full[: len(full) - len(own)] + path if full.endswith(own) else path


class RequestContextMiddleware:
    """Request id, statement counting, Server-Timing, and one log line per request."""

    def __init__(self, app: ASGIApp, *, slow_request_ms: int = 500) -> None:
        self.app = app
        self.slow_seconds = slow_request_ms / 1000

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        stats = track_statements()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500
        metrics.REQUESTS_IN_FLIGHT.inc()

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                headers["Server-Timing"] = (
                    f'db;dur={stats.seconds * 1000:.2f};desc="{stats.count} statements"'
                )
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except ClientDisconnect:
            # It hung up while sending the body (less than its Content-Length): nobody is left
            # to answer, and nothing is wrong with us. One line below, no traceback.
            status = CLIENT_CLOSED
        finally:
            elapsed = time.perf_counter() - started
            metrics.REQUESTS_IN_FLIGHT.dec()
            route = scope.get("route")
            principal = scope["state"].get("principal")
            template = _template(scope, route)
            metrics.observe_request(
                method=scope["method"],
                route=template,
                status=status,
                seconds=elapsed,
                stats=stats,
            )
            fields = {
                "method": scope["method"],
                "route": template,
                "path": scope["path"],
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
                "db_ms": round(stats.seconds * 1000, 2),
                "statements": stats.count,
                "user_id": str(principal.user_id) if principal is not None else None,
            }
            if status == CLIENT_CLOSED:
                log.info("client_disconnected", **fields)
            elif elapsed >= self.slow_seconds:
                log.warning("slow_request", **fields)
            else:
                log.info("request", **fields)
            structlog.contextvars.unbind_contextvars("request_id")
