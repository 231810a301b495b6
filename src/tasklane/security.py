"""HTTP hygiene: security headers, CORS, request size limits and write rate limits.

`install_security(app, settings, cursor_secret=...)` puts one middleware in front of the app,
the edge (tasklane.middleware), with the rules defined here: the headers of each kind of path
(`HeaderPolicy`), the CORS origins, the body and query limits, and the per-address write budget
(`WriteLimiter`). With TASKLANE_TRUSTED_PROXIES, uvicorn's ProxyHeaders middleware goes outside
it: the client's address is decided in one place, the socket's peer, or, when that peer is one
of the trusted proxies, the address it forwarded (uvicorn's own forwarded-header handling is
off). The write budget per user is spent by the Principal dependency, once the caller's sign-in
session is known to be live (`tasklane.auth.principal.charge_user_write`).

Every refusal is an RFC 9457 problem document with a request id, like the app's own errors.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import math
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import structlog
from fastapi import FastAPI
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import ConnectionPool
from starlette.requests import HTTPConnection
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from tasklane.apidocs import DOCS_PAGES
from tasklane.attachments.upload import FORM_OVERHEAD
from tasklane.auth.principal import CSRF_HEADER
from tasklane.config import Settings
from tasklane.db import SAFE_METHODS, install_database_errors
from tasklane.errors import (
    PROBLEM_JSON,
)
from tasklane.middleware import Edge, RawHeaders, encode_headers

log = structlog.get_logger(__name__)

API_PREFIX = "/api/"
UPLOAD_PATHS = re.compile(r"/api/v1/(tasks/[^/]+/attachments|files/uploads/[^/]+)")
"""Where files are posted: bodies up to TASKLANE_MAX_UPLOAD_BYTES (and a form's overhead)."""
ARCHIVE_UPLOAD_PATH = re.compile(r"/api/v1/workspaces/imports")
"""Where workspace archives are posted: up to TASKLANE_ARCHIVE_MAX_UPLOAD_BYTES (and a form's
overhead)."""
IMPORT_UPLOAD_PATH = re.compile(r"/api/v1/projects/[^/]+/imports")
"""Where project imports are posted: up to TASKLANE_IMPORT_MAX_FILE_BYTES (and a form's
overhead)."""
ONE_YEAR = 365 * 24 * 3600
REDIS_RETRY_SECONDS = 5.0
"""After a Redis error, count in this process's memory for this long before trying again."""

# JSON answers never need to load anything, or be framed.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
STATIC_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Secret-bearing URLs (calendar feeds, signed downloads) must not leak to other sites.
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
CORS_HEADERS = (
    "Authorization",
    "Content-Type",
    CSRF_HEADER,
    "Idempotency-Key",
    "If-Match",
    "X-Request-ID",
)
CORS_EXPOSED = (
    "ETag",
    "X-Request-ID",
    "X-Event-Seq",
    "Idempotent-Replayed",
    "Retry-After",
    "Server-Timing",
)

_INLINE_SCRIPT = re.compile(
    r"<script\b(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL
)


def install_security(app: FastAPI, settings: Settings, *, cursor_secret: Callable[[], str]) -> None:
    """Put the edge middleware (tasklane.middleware) in front of the app with this module's
    rules, and document its refusals in the OpenAPI."""
    limiter = WriteLimiter(settings) if settings.rate_limit_enabled else None
    app.state.write_limiter = limiter
    # The API docs pages (tasklane.apidocs) load their own assets from this server only.
    docs_csp: str | None = getattr(app.state, "docs_csp", None)
    docs_paths = DOCS_PAGES if docs_csp else frozenset()
    policy = HeaderPolicy(settings, docs_paths=docs_paths, docs_csp=docs_csp or API_CSP)
    cors: dict[str, object] | None = None
    if settings.cors_origins:
        cors = {
            "allow_origins": settings.cors_origins,
            "allow_methods": ("GET", "POST", "PATCH", "PUT", "DELETE"),
            "allow_headers": CORS_HEADERS,
            "allow_credentials": True,
            "expose_headers": CORS_EXPOSED,
            "max_age": 600,
        }
    app.add_middleware(
        Edge,
        headers=policy,
        cursor_secret=cursor_secret,
        max_body_bytes=settings.max_body_bytes,
        max_query_bytes=settings.max_query_bytes,
        large_bodies=[
            (UPLOAD_PATHS, settings.max_upload_bytes + FORM_OVERHEAD),
            (ARCHIVE_UPLOAD_PATH, settings.archive_max_upload_bytes + FORM_OVERHEAD),
            (IMPORT_UPLOAD_PATH, settings.import_max_file_bytes + FORM_OVERHEAD),
        ],
        write_budget=limiter,
        cors=cors,
        slow_request_ms=settings.slow_request_ms,
        client_address=client_address,
    )
    if settings.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    _document_refusals(app)
    # A database that cannot serve (down, read-only, full) is a 503 problem, never a 500.
    install_database_errors(app)
    if limiter is not None:
        _close_on_shutdown(app, limiter)


# --- headers ---------------------------------------------------------------------------------


class HeaderPolicy:
    """Which headers each response gets. The web app's policy allows the inline scripts of its
    built index.html by hash, and a WebSocket to the server's public origin."""

    def __init__(
        self, settings: Settings, *, docs_paths: frozenset[str], docs_csp: str = API_CSP
    ) -> None:
        self.docs_paths = docs_paths
        self.docs_csp = docs_csp
        self.index_html = settings.resolved_web_dir / "index.html"
        public = urlsplit(settings.public_url)
        ws_scheme = "wss" if public.scheme == "https" else "ws"
        self.ws_origin = f"{ws_scheme}://{public.netloc}" if public.netloc else ""
        self.storage_origin = settings.storage_origin
        self.common = dict(STATIC_HEADERS)
        if public.scheme == "https":
            self.common["Strict-Transport-Security"] = f"max-age={ONE_YEAR}; includeSubDomains"
        self._app_csp: tuple[int, str] | None = None
        # Every API answer gets the same headers: built and encoded once.
        self._api = encode_headers(self.for_path(API_PREFIX))

    def raw_for_path(self, path: str) -> RawHeaders:
        if path.startswith(API_PREFIX) and path not in self.docs_paths:
            return self._api
        return encode_headers(self.for_path(path))

    def for_path(self, path: str) -> dict[str, str]:
        headers = dict(self.common)
        if path in self.docs_paths:
            headers["Content-Security-Policy"] = self.docs_csp
        elif path.startswith(API_PREFIX):
            headers["Content-Security-Policy"] = API_CSP
            # Answers hold a team's data: no shared cache may keep them.
            headers["Cache-Control"] = "no-store"
        else:
            headers["Content-Security-Policy"] = self.app_csp()
        return headers

    def app_csp(self) -> str:
        try:
            stamp = self.index_html.stat().st_mtime_ns
        except OSError:
            stamp = 0
        if self._app_csp is None or self._app_csp[0] != stamp:
            self._app_csp = (stamp, self._build_app_csp(_inline_script_hashes(self.index_html)))
        return self._app_csp[1]

    def _build_app_csp(self, script_hashes: list[str]) -> str:
        scripts = " ".join(["'self'", *script_hashes])
        # An S3 store serves images and takes direct uploads itself (pre-signed links).
        connect = " ".join(filter(None, ["'self'", self.ws_origin, self.storage_origin]))
        images = " ".join(filter(None, ["'self'", "data:", "blob:", self.storage_origin]))
        return (
            f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
            f"img-src {images}; font-src 'self' data:; "
            f"connect-src {connect}; worker-src 'self' blob:; object-src 'none'; "
            "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
        )


def _inline_script_hashes(index_html: Path) -> list[str]:
    try:
        page = index_html.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    hashes = []
    for match in _INLINE_SCRIPT.finditer(page):
        digest = hashlib.sha256(match.group(1).encode("utf-8")).digest()
        hashes.append(f"'sha256-{base64.b64encode(digest).decode()}'")
    return sorted(set(hashes))


# --- write rate limits -----------------------------------------------------------------------


def address_key(host: str) -> str:
    """The client address as counted: IPv6 clients by their /64, which one host usually has."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def client_address(connection: HTTPConnection) -> str:
    """The caller's address as counted by every limit. Forwarded headers were already applied,
    from trusted proxies only, by the outermost middleware."""
    client = connection.client
    return address_key(client.host) if client else "unknown"


class WriteLimiter:
    """Moving-window write budgets per user and per address: in Redis when configured (so they
    hold across processes), else in this process. If Redis fails, this process counts alone
    for a few seconds and then tries Redis again: the API keeps answering."""

    def __init__(self, settings: Settings) -> None:
        window = settings.rate_limit_window_seconds
        self.per_user: RateLimitItem = RateLimitItemPerSecond(
            settings.rate_limit_writes_per_user, window
        )
        self.per_address: RateLimitItem = RateLimitItemPerSecond(
            settings.rate_limit_writes_per_address, window
        )
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._pool: ConnectionPool | None = None
        self._shared: MovingWindowRateLimiter | None = None
        self._shared_down_until = 0.0
        if settings.redis_url:
            self._pool = ConnectionPool.from_url(
                settings.redis_url, socket_connect_timeout=1.0, socket_timeout=1.0
            )
            storage = RedisStorage(
                f"async+{settings.redis_url}",
                implementation="redispy",
                wrap_exceptions=True,
                key_prefix=f"{settings.redis_prefix}:limits",
                # limits passes it to redis-py; its annotation only lists scalar options.
                connection_pool=self._pool,  # type: ignore[arg-type]
            )
            self._shared = MovingWindowRateLimiter(storage)

    @property
    def shared(self) -> bool:
        """True when the budgets are counted in Redis right now."""
        return self._shared is not None and time.monotonic() >= self._shared_down_until

    async def check_user(self, user: str) -> int | None:
        """Spend one write of a signed-in user (whose session is live); None if allowed."""
        return await self._check([(self.per_user, "user", user)])

    async def check_address(self, address: str) -> int | None:
        """Spend one write from an address; None if allowed."""
        return await self._check([(self.per_address, "address", address)])

    async def check(self, *, user: str | None, address: str) -> int | None:
        """Spend one write; None if allowed, else the seconds until one is free again."""
        budgets: list[tuple[RateLimitItem, str, str]] = [(self.per_address, "address", address)]
        if user is not None:
            budgets.append((self.per_user, "user", user))
        return await self._check(budgets)

    async def _check(self, budgets: list[tuple[RateLimitItem, str, str]]) -> int | None:
        if self._shared is not None and time.monotonic() >= self._shared_down_until:
            try:
                wait = await self._spend(self._shared, budgets)
            except StorageError as exc:
                self._shared_down_until = time.monotonic() + REDIS_RETRY_SECONDS
                log.warning(
                    "rate_limit_storage_unavailable",
                    error=f"{type(exc.storage_error).__name__}: {exc.storage_error}",
                    retry_seconds=REDIS_RETRY_SECONDS,
                )
            else:
                return wait
        return await self._spend(self._local, budgets)

    async def _spend(
        self, limiter: MovingWindowRateLimiter, budgets: list[tuple[RateLimitItem, str, str]]
    ) -> int | None:
        for item, kind, key in budgets:
            if not await limiter.hit(item, "writes", kind, key):
                stats = await limiter.get_window_stats(item, "writes", kind, key)
                return max(1, math.ceil(stats.reset_time - time.time()))
        return None

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()


# --- wiring ----------------------------------------------------------------------------------


def _document_refusals(app: FastAPI) -> None:
    """Add the answers given before a route runs to the OpenAPI document: 414 for every API
    operation, 413 and 429 for every write, and 400 where a body that is not UTF-8 can come."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def ref(description: str) -> dict[str, Any]:
        schema = {"$ref": "#/components/schemas/Problem"}
        return {"description": description, "content": {PROBLEM_JSON: {"schema": schema}}}

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        for path, item in schema.get("paths", {}).items():
            if not path.startswith(API_PREFIX):
                continue
            for method, operation in item.items():
                responses = operation.setdefault("responses", {})
                responses.setdefault("414", ref("The query string is too long."))
                if "requestBody" in operation:
                    responses.setdefault("400", ref("The body is not readable text (UTF-8)."))
                if method.upper() not in SAFE_METHODS:
                    responses.setdefault("413", ref("The request body is too large."))
                    responses.setdefault(
                        "429",
                        ref("Too many writes from this user or address; see `Retry-After`."),
                    )
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _close_on_shutdown(app: FastAPI, limiter: WriteLimiter) -> None:
    lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def with_limiter(application: Any) -> AsyncIterator[Any]:
        try:
            async with lifespan(application) as state:
                yield state
        finally:
            await limiter.aclose()

    app.router.lifespan_context = with_limiter
