"""create_app(): routers, middleware, error handlers, lifespan."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.routing import BaseRoute

from tasklane import __version__
from tasklane.api import install_idempotency_handler
from tasklane.apidocs import install_api_docs
from tasklane.archive.routes import router as archives_router
from tasklane.archive.routes import uploads as archive_uploads_router
from tasklane.attachments.routes import router as attachments_router
from tasklane.attachments.routes import uploads as uploads_router
from tasklane.audit.routes import router as audit_router
from tasklane.auth.routes import router as auth_router
from tasklane.calendar.routes import public_router as calendar_feed_router
from tasklane.calendar.routes import router as calendar_router
from tasklane.comments.routes import router as comments_router
from tasklane.config import Settings
from tasklane.errors import install_error_handlers
from tasklane.events.types import DESCRIPTIONS, EventType
from tasklane.health.routes import router as health_router
from tasklane.imports.routes import router as imports_router
from tasklane.imports.routes import uploads as imports_uploads_router
from tasklane.insights.routes import router as insights_router
from tasklane.logs import configure_logging
from tasklane.metrics import install_metrics
from tasklane.notifications.routes import public_router as unsubscribe_router
from tasklane.notifications.routes import router as notifications_router
from tasklane.notifications.routes import settings_router as notification_settings_router
from tasklane.projects.routes import router as projects_router
from tasklane.realtime.routes import router as realtime_router
from tasklane.runtime import Runtime
from tasklane.search.routes import router as search_router
from tasklane.security import install_security
from tasklane.tasks.routes import router as tasks_router
from tasklane.tasks.search import router as task_search_router
from tasklane.tasks.stats import router as task_stats_router
from tasklane.users.routes import router as users_router
from tasklane.views.routes import router as views_router
from tasklane.webapp import install_web_app
from tasklane.webhooks.routes import router as webhooks_router
from tasklane.workspaces.routes import invitations_router
from tasklane.workspaces.routes import router as workspaces_router

API_PREFIX = "/api/v1"
GC_OLDER_THRESHOLD = 20
"""Young collections between middle ones, and middle between full ones (see
Settings.gc_young_threshold); Python's default is 10."""

DESCRIPTION = """
Tasklane's REST API. Every list is cursor-paginated (`limit`, `cursor` → `next_cursor`);
every error is an RFC 9457 problem document with a stable `code`; a resource you cannot see
answers 404. Creating `POST`s accept an `Idempotency-Key` header; task `PATCH`es accept
`If-Match` with the task's version (the `ETag`) and answer 412 when it is stale.

Authenticate with `Authorization: Bearer <access token>` from `POST /api/v1/auth/login`, or
in a browser with the cookies set by `POST /api/v1/auth/session` plus the `X-CSRF-Token`
header on writes.

Live updates: a WebSocket at `/api/v1/ws` streams every committed change (the events below)
to subscribers of a workspace, project or task, replays what a reconnecting client missed,
and reports who is viewing what. The protocol is in `docs/realtime.md`.

| event type | meaning |
| --- | --- |
"""


def _description() -> str:
    """The API description, with the table of event types (activity and live updates)."""
    return DESCRIPTION + "\n".join(f"| `{t}` | {DESCRIPTIONS[t]} |" for t in EventType) + "\n"


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or (runtime.settings if runtime else Settings())
    runtime = runtime or Runtime.build(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if settings.gc_young_threshold:
            gc.set_threshold(settings.gc_young_threshold, GC_OLDER_THRESHOLD, GC_OLDER_THRESHOLD)
        await runtime.start(worker=settings.run_worker)
        try:
            yield
        finally:
            await runtime.close()

    app = FastAPI(
        title="Tasklane",
        version=__version__,
        description=_description(),
        openapi_url="/api/openapi.json",
        docs_url=None,  # FastAPI's own pages load from a CDN: see tasklane.apidocs
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.docs_csp = install_api_docs(app)
    app.state.runtime = runtime
    install_error_handlers(app)
    install_idempotency_handler(app)
    configure_logging(settings)
    install_security(app, settings, cursor_secret=lambda: runtime.settings.signing_key)
    app.include_router(health_router)
    install_metrics(app, runtime)
    # The OpenAPI document lists the routes in this order (the stateful contract fuzz,
    # tests/fuzz/test_contract.py, explores them in it); requests are matched in another, below.
    for router in (
        auth_router,
        users_router,
        calendar_router,
        notification_settings_router,
        archive_uploads_router,
        archives_router,
        workspaces_router,
        invitations_router,
        audit_router,
        projects_router,
        tasks_router,
        task_search_router,
        task_stats_router,
        search_router,
        views_router,
        insights_router,
        imports_router,
        imports_uploads_router,
        comments_router,
        attachments_router,
        uploads_router,
        notifications_router,
        webhooks_router,
        realtime_router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(calendar_feed_router)  # calendar apps fetch `/ical/{token}.ics`
    app.include_router(unsubscribe_router)  # e-mails' links: `/unsubscribe/{token}`
    install_web_app(app, settings)
    _document_in_order(app, list(app.router.routes))
    _match_hot_routes_first(app, (health_router, tasks_router, comments_router, task_stats_router))
    return app


def _document_in_order(app: FastAPI, documented: list[BaseRoute]) -> None:
    """The OpenAPI document lists the routes in `documented` order whatever order requests are
    matched in. It is made when first asked for, not with the app: making it costs about as
    much as the rest of create_app, and most apps (a test's, a worker's) never serve it."""
    make = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            matched = app.router.routes[:]
            app.router.routes[:] = documented  # no await in between: no request sees this order
            try:
                make()
            finally:
                app.router.routes[:] = matched
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def _match_hot_routes_first(app: FastAPI, hot: Sequence[APIRouter]) -> None:
    """FastAPI matches a request against the app's routes in order, scanning each included
    router's routes in turn: a task get walked nine routers first, and that walk was a third of
    its CPU. So the routers boards and lists call all day go first. Order decides only between
    two routes whose paths can both match a request with the same method;
    tests/meta/test_routing.py checks that every documented route still gets its own requests."""
    routes = app.router.routes
    first = [r for r in routes if getattr(r, "original_router", None) in hot]
    routes[:] = [*first, *[r for r in routes if r not in first]]
