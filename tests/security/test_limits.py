"""Request limits: body size (413 before the body is read), query length (414), page size, and
a bound on every string and list a request body can carry."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tasklane.archive import service as archives
from tasklane.attachments import service as attachments
from tasklane.auth import apitokens, passkeys, sessions
from tasklane.kit.pagination import MAX_LIMIT
from tasklane.openapi import document
from tasklane.projects.service import MAX_LABELS, MAX_STATUSES
from tasklane.tasks import watchers
from tasklane.tasks.service import MAX_RELATIONS
from tasklane.views import service as views
from tasklane.webhooks import service as webhooks
from tasklane.workspaces import invitations
from tests.factories import Board, expect, make_task


@pytest.fixture
def backend() -> str:
    """Not about data: SQLite is enough."""
    return "sqlite"


MAX_BODY = 4096
MAX_QUERY = 1024


def tasks_url(board: Board) -> str:
    return f"/api/v1/projects/{board.pid}/tasks"


async def titles(client: httpx.AsyncClient, board: Board) -> list[str]:
    listed = expect(await client.get(tasks_url(board), headers=board.owner.headers), 200)
    return [t["title"] for t in listed["items"]]


def assert_problem(r: httpx.Response, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["request_id"] == r.headers["x-request-id"]


class TestBodySize:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"max_body_bytes": MAX_BODY}

    async def test_under_the_limit_is_served(self, client: httpx.AsyncClient, board: Board) -> None:
        await make_task(client, board.member, board.pid, title="small", description="x" * 3000)
        assert await titles(client, board) == ["small"]

    async def test_declared_length_over_the_limit_is_413(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        r = await client.post(
            tasks_url(board),
            json={"title": "big", "description": "x" * MAX_BODY},
            headers=board.member.headers,
        )
        assert_problem(r, 413, "payload_too_large")
        assert str(MAX_BODY) in r.json()["detail"]
        assert await titles(client, board) == []

    async def test_refused_before_authentication(self, client: httpx.AsyncClient) -> None:
        r = await client.post("/api/v1/workspaces", content=b"x" * (MAX_BODY + 1))
        assert_problem(r, 413, "payload_too_large")

    async def test_streamed_body_over_the_limit_is_413(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        chunk = b'{"title": "streamed", "description": "' + b"x" * 1000
        sent: list[int] = []

        async def body() -> AsyncIterator[bytes]:
            yield chunk
            for _ in range(20):
                sent.append(1)
                yield b"x" * 1000
            yield b'"}'

        r = await client.post(
            tasks_url(board),
            content=body(),
            headers={**board.member.headers, "content-type": "application/json"},
        )
        assert r.status_code == 413, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "payload_too_large"
        assert len(sent) < 20, "the server read the whole body"
        assert await titles(client, board) == []

    async def test_streamed_body_under_the_limit_is_served(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        async def body() -> AsyncIterator[bytes]:
            yield b'{"title": "streamed", '
            yield b'"description": "ok"}'

        r = await client.post(
            tasks_url(board),
            content=body(),
            headers={**board.member.headers, "content-type": "application/json"},
        )
        assert r.status_code == 201, r.text
        assert await titles(client, board) == ["streamed"]


class TestQueryLength:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"max_query_bytes": MAX_QUERY}

    async def test_long_query_is_414(self, client: httpx.AsyncClient, board: Board) -> None:
        ids = "&".join(f"status_id={s['id']}" for s in board.statuses.values())
        ok = await client.get(f"{tasks_url(board)}?{ids}", headers=board.member.headers)
        assert ok.status_code == 200
        many = "&".join([ids] * 10)
        assert len(many) > MAX_QUERY
        r = await client.get(f"{tasks_url(board)}?{many}", headers=board.member.headers)
        assert_problem(r, 414, "uri_too_long")

    async def test_long_query_on_a_write_is_414_and_writes_nothing(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        r = await client.post(
            f"{tasks_url(board)}?pad={'x' * MAX_QUERY}",
            json={"title": "x"},
            headers=board.member.headers,
        )
        assert_problem(r, 414, "uri_too_long")
        assert await titles(client, board) == []


def _paged_operations() -> list[tuple[str, str]]:
    ops = []
    for path, item in document()["paths"].items():
        for method, op in item.items():
            if any(p["name"] == "limit" for p in op.get("parameters", [])):
                ops.append((method.upper(), path))
    return sorted(ops)


PAGED = _paged_operations()


def test_paged_operations_are_found() -> None:
    assert ("GET", "/api/v1/projects/{project_id}/tasks") in PAGED
    assert len(PAGED) >= 5


@pytest.mark.parametrize(("method", "path"), PAGED, ids=[f"{m} {p}" for m, p in PAGED])
async def test_page_size_is_bounded(
    client: httpx.AsyncClient, board: Board, method: str, path: str
) -> None:
    # The owner: some lists (the audit log) are for owners and admins only.
    task = await make_task(client, board.member, board.pid)
    webhook = ""
    if "{webhook_id}" in path:  # an address that needs no DNS; nothing is sent here
        webhook = expect(
            await client.post(
                f"/api/v1/workspaces/{board.workspace['id']}/webhooks",
                json={"url": "https://1.1.1.1/hook", "event_types": ["*"]},
                headers=board.owner.headers,
            ),
            201,
        )["id"]
    view = ""
    if "{view_id}" in path:
        view = expect(
            await client.post(
                f"/api/v1/workspaces/{board.workspace['id']}/views",
                json={"name": "Everything"},
                headers=board.owner.headers,
            ),
            201,
        )["id"]
    url = path.format(
        workspace_id=board.workspace["id"],
        project_id=board.pid,
        task_ref=task["key"],
        webhook_id=webhook,
        view_id=view,
        metric="status-counts",
    )
    assert "{" not in url, f"no value for a path parameter of {path}"
    # An operation may cap its page lower than the general limit (a search answers one page);
    # its other required query parameters get a plain value (the board's, for a workspace).
    parameters = document()["paths"][path][method.lower()]["parameters"]
    plain = {"workspace_id": board.workspace["id"], "point": 0}
    limit = next(p for p in parameters if p["name"] == "limit")
    most = limit["schema"].get("maximum", MAX_LIMIT)
    assert most <= MAX_LIMIT
    required = {
        p["name"]: plain.get(p["name"], "x")
        for p in parameters
        if p["in"] == "query" and p.get("required") and p["name"] != "limit"
    }
    for bad in (0, -1, most + 1, 10**12, "many"):
        params = {**required, "limit": bad}
        r = await client.request(method, url, params=params, headers=board.owner.headers)
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["errors"][0]["field"] == "limit"
    params = {**required, "limit": most}
    r = await client.request(method, url, params=params, headers=board.owner.headers)
    assert r.status_code == 200, r.text
    assert len(r.json()["items"]) <= most


# --- every list answer is bounded ----------------------------------------------------------

BOUNDED_AT_WRITE = {
    "/api/v1/projects/{project_id}/statuses": MAX_STATUSES,
    "/api/v1/projects/{project_id}/labels": MAX_LABELS,
    "/api/v1/tasks/{task_ref}/relations": MAX_RELATIONS,
    "/api/v1/users/me/tokens": apitokens.MAX_TOKENS,
    "/api/v1/workspaces/{workspace_id}/invitations": invitations.MAX_PENDING,
    "/api/v1/users/me/passkeys": passkeys.MAX_PASSKEYS,
    "/api/v1/workspaces/{workspace_id}/webhooks": webhooks.MAX_WEBHOOKS,
}
"""Collections small by nature, answered whole: creating one more past the limit is a 409
(tests/projects/test_statuses.py, test_labels.py, tests/tasks/test_routes.py)."""
BOUNDED_AT_READ = {
    "/api/v1/users/me/sessions": sessions.MAX_LISTED,
    "/api/v1/workspaces/{workspace_id}/views": views.MAX_LISTED,
    "/api/v1/users/me/invitations": invitations.MAX_MINE,
    "/api/v1/tasks/{task_ref}/watchers": watchers.MAX_LISTED,
    "/api/v1/tasks/{task_ref}/attachments": attachments.MAX_LISTED,
    "/api/v1/workspaces/{workspace_id}/archives": archives.MAX_LISTED,
}
"""Answered up to a number, the most relevant first (sessions: every sign-in adds one, and
only the recent ones matter)."""
NOT_YET_BOUNDED = {
    "/api/v1/projects/{project_id}/members",
    "/api/v1/projects/{project_id}/people",
}
"""Explicit project roles, and the people who can see a project, can be as many as the
workspace's members and are answered whole. Paging them changes what the web client must
read (pickers and filters want everyone); listed so that no other list joins them unnoticed."""


def _page_lists() -> dict[str, dict[str, Any]]:
    """GET operations that answer a Page, or a bare list, by path."""
    found = {}
    for path, item in document()["paths"].items():
        op = item.get("get")
        content = (op or {}).get("responses", {}).get("200", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema", {})
        ref = schema.get("$ref", "")
        if ref.rsplit("/", 1)[-1].startswith("Page_") or schema.get("type") == "array":
            found[path] = item
    return found


def test_every_list_is_paged_or_bounded_when_written() -> None:
    lists = _page_lists()
    unbounded = []
    for path, item in lists.items():
        if any(p["name"] == "limit" for p in item["get"].get("parameters", [])):
            assert path not in BOUNDED_AT_WRITE, f"{path} is paged now: drop it from the table"
        elif path in BOUNDED_AT_WRITE:
            # The documented numbers are the enforced ones.
            limit = f"at most {BOUNDED_AT_WRITE[path]}"
            for method in ("get", "post"):
                assert limit in " ".join(item[method]["description"].split()), (method, path)
        elif path in BOUNDED_AT_READ:
            limit = f"At most {BOUNDED_AT_READ[path]} are listed"
            assert limit in " ".join(item["get"]["description"].split()), path
        elif path not in NOT_YET_BOUNDED:
            unbounded.append(path)
    assert not unbounded, f"lists with neither `limit` nor a limit on writes: {unbounded}"
    assert set(BOUNDED_AT_WRITE) | set(BOUNDED_AT_READ) | NOT_YET_BOUNDED <= set(lists)


# --- every string and list in a request body is bounded -----------------------------------

_UNBOUNDED_QUANTIFIER = re.compile(r"(?<!\\)[*+]|\{\d+,\}")


def _bounded_string(schema: dict[str, Any]) -> bool:
    if any(key in schema for key in ("maxLength", "enum", "const", "format")):
        return True
    pattern = schema.get("pattern")
    return bool(
        pattern
        and pattern.startswith("^")
        and pattern.endswith("$")
        and not _UNBOUNDED_QUANTIFIER.search(pattern)
    )


def _unbounded(schema: dict[str, Any], where: str, components: dict[str, Any]) -> list[str]:
    if "$ref" in schema:
        return _unbounded(components[schema["$ref"].rsplit("/", 1)[1]], where, components)
    found: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            found += _unbounded(sub, where, components)
    kind = schema.get("type")
    if kind == "string" and not _bounded_string(schema):
        found.append(f"{where}: string without maxLength")
    elif kind == "array":
        if "maxItems" not in schema:
            found.append(f"{where}: list without maxItems")
        found += _unbounded(schema.get("items", {}), f"{where}[]", components)
    elif kind == "object" or "properties" in schema:
        if schema.get("additionalProperties", False) not in (False, None):
            found.append(f"{where}: object open to any keys")
        for name, sub in schema.get("properties", {}).items():
            found += _unbounded(sub, f"{where}.{name}", components)
    return found


def test_request_bodies_bound_every_string_and_list() -> None:
    doc = document()
    components = doc["components"]["schemas"]
    problems = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            content = op.get("requestBody", {}).get("content", {})
            for media, spec in content.items():
                where = f"{method.upper()} {path} ({media})"
                problems += _unbounded(spec["schema"], where, components)
    assert not problems, "\n".join(problems)


def test_query_strings_are_bounded_as_a_whole() -> None:
    """List filters (`status_id=…&status_id=…`) are bounded by the query-string limit."""
    from tasklane.config import Settings

    assert Settings().max_query_bytes <= 16 * 1024
