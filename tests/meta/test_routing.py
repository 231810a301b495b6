"""Requests are matched against the routes in another order than the OpenAPI document lists
them (app._match_hot_routes_first). Order decides which route gets a request that two of them
could take, so every documented operation is sent a request here, and the route that took it
must be that operation's own: a literal path (`/tasks/bulk`) never taken by a parameter of
another (`/tasks/{task_ref}`)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from tasklane.kit.routes import route_template

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])

_SAMPLE = {"task_ref": "ENG-1"}
"""A value for each path parameter; every other one is an id."""
_ID = "01933f1a-c7e0-79ef-bf38-062a14cd7c29"


def _operations(app: FastAPI) -> list[tuple[str, str, str]]:
    """(method, template, a concrete path) for every documented operation."""
    found = []
    for template, item in app.openapi()["paths"].items():
        path = re.sub(r"{([^}]+)}", lambda m: _SAMPLE.get(m.group(1), _ID), template)
        found += [(method.upper(), template, path) for method in item]
    return found


async def test_every_documented_operation_gets_its_own_requests(app: FastAPI) -> None:
    taken: dict[tuple[str, str], str | None] = {}

    async def recording(scope: Scope, receive: Receive, send: Send) -> None:
        await app(scope, receive, send)
        if scope["type"] == "http":
            taken[scope["method"], scope["path"]] = route_template(scope, scope.get("route"))

    operations = _operations(app)
    assert len(operations) > 60  # the whole API, not a part of it
    transport = httpx.ASGITransport(app=recording)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for method, _template_path, path in operations:
            body: dict[str, Any] | None = {} if method in {"POST", "PUT", "PATCH"} else None
            await client.request(method, path, json=body)  # anonymous: refused, but routed
    wrong = {
        (method, template): taken.get((method, path))
        for method, template, path in operations
        if taken.get((method, path)) != template
    }
    assert wrong == {}


async def test_the_hot_routes_are_matched_first_and_documented_in_their_own_order(
    app: FastAPI,
) -> None:
    documented = list(app.openapi()["paths"])
    assert documented.index("/api/v1/auth/register") < documented.index("/api/v1/tasks/{task_ref}")
    first = app.router.routes[0]
    assert getattr(first, "original_router", None) is not None  # a router, not the docs' routes
