"""Calls the webhook tests share: register, read the log, verify what the receiver got."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook as Verifier

from tests.factories import Board, User, expect
from tests.webhooks.conftest import Received


def hooks_url(workspace_id: str) -> str:
    return f"/api/v1/workspaces/{workspace_id}/webhooks"


def hook_url(hook: dict[str, Any]) -> str:
    return f"{hooks_url(hook['workspace_id'])}/{hook['id']}"


async def register(
    client: httpx.AsyncClient,
    board: Board,
    url: str,
    event_types: list[str] | None = None,
    *,
    who: User | None = None,
    workspace_id: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A new webhook (201): as the API returns it, with its secret."""
    return expect(
        await client.post(
            hooks_url(workspace_id or board.workspace["id"]),
            json={"url": url, "event_types": event_types or ["*"], **fields},
            headers=(who or board.owner).headers,
        ),
        201,
    )


async def deliveries(
    client: httpx.AsyncClient, who: User, hook: dict[str, Any], **params: Any
) -> list[dict[str, Any]]:
    """One page of the log, newest first."""
    body = expect(
        await client.get(
            f"/api/v1/webhooks/{hook['id']}/deliveries", params=params, headers=who.headers
        ),
        200,
    )
    return list(body["items"])


async def delivery(
    client: httpx.AsyncClient, who: User, hook: dict[str, Any], delivery_id: str
) -> dict[str, Any]:
    return expect(
        await client.get(
            f"/api/v1/webhooks/{hook['id']}/deliveries/{delivery_id}", headers=who.headers
        ),
        200,
    )


async def get_hook(client: httpx.AsyncClient, who: User, hook: dict[str, Any]) -> dict[str, Any]:
    return expect(await client.get(hook_url(hook), headers=who.headers), 200)


async def patch_hook(
    client: httpx.AsyncClient, who: User, hook: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    return expect(await client.patch(hook_url(hook), json=fields, headers=who.headers), 200)


def verified(secret: str, got: Received) -> dict[str, Any]:
    """The body, after checking its Standard Webhooks signature (raises if it is off)."""
    payload = Verifier(secret).verify(got.body, got.headers)
    assert isinstance(payload, dict)
    return payload


def body(got: Received) -> dict[str, Any]:
    payload = json.loads(got.body)
    assert isinstance(payload, dict)
    return payload


def types(received: list[Received]) -> list[str]:
    return [str(body(r)["type"]) for r in received]


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


def just_after(value: str) -> datetime:
    return moment(value) + timedelta(milliseconds=1)


def once_each(received: list[Received]) -> list[dict[str, Any]]:
    """What a receiver that drops repeats by `webhook-id` processed: the bodies it accepted
    (answered 2xx), the first of each id, in arrival order."""
    seen: set[str] = set()
    kept: list[dict[str, Any]] = []
    for got in received:
        if not 200 <= got.status < 300 or got.headers["webhook-id"] in seen:
            continue
        seen.add(got.headers["webhook-id"])
        kept.append(body(got))
    return kept
