from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import Depends, Path, Query, status

from tasklane.api import new_router
from tasklane.audit.address import ClientAddress
from tasklane.auth.principal import CurrentPrincipal
from tasklane.db import DbSession
from tasklane.kit.pagination import Page, PageParams, page_params
from tasklane.runtime import CurrentRuntime
from tasklane.webhooks import service
from tasklane.webhooks.schemas import (
    DeliveryDetail,
    DeliveryRead,
    Replay,
    Replayed,
    WebhookCreate,
    WebhookRead,
    WebhookUpdate,
    WebhookWithSecret,
)

router = new_router(tags=["webhooks"])
Paging = Annotated[PageParams, Depends(page_params)]
WorkspaceId = Annotated[UUID, Path()]
WebhookId = Annotated[UUID, Path()]
ONE = "/workspaces/{workspace_id}/webhooks/{webhook_id}"


@router.post("/workspaces/{workspace_id}/webhooks", status_code=status.HTTP_201_CREATED)
async def create_webhook(
    session: DbSession,
    principal: CurrentPrincipal,
    rt: CurrentRuntime,
    address: ClientAddress,
    workspace_id: WorkspaceId,
    body: WebhookCreate,
) -> WebhookWithSecret:
    """Register a webhook (workspace owners and admins): the workspace's events of the types
    named (of one project, if `project_id`) are POSTed to `url` as JSON, signed per the
    Standard Webhooks specification with the `secret` returned here, and only here. The URL
    must resolve to public addresses. A workspace has at most 25 (409 beyond)."""
    return await service.create_webhook(
        session, principal, rt.settings, workspace_id=workspace_id, data=body, address=address
    )


@router.get("/workspaces/{workspace_id}/webhooks")
async def list_webhooks(
    session: DbSession, principal: CurrentPrincipal, workspace_id: WorkspaceId
) -> list[WebhookRead]:
    """The workspace's webhooks (no secrets), all of them: a workspace has at most 25."""
    return await service.list_webhooks(session, principal, workspace_id=workspace_id)


@router.get(ONE)
async def get_webhook(
    session: DbSession,
    principal: CurrentPrincipal,
    workspace_id: WorkspaceId,
    webhook_id: WebhookId,
) -> WebhookRead:
    """One webhook; `disabled_reason` says why it stopped, when it did."""
    webhook = await service.get_webhook_row(
        session, principal, webhook_id=webhook_id, workspace_id=workspace_id
    )
    return service.read(webhook)


@router.patch(ONE)
async def update_webhook(
    session: DbSession,
    principal: CurrentPrincipal,
    rt: CurrentRuntime,
    address: ClientAddress,
    workspace_id: WorkspaceId,
    webhook_id: WebhookId,
    body: WebhookUpdate,
) -> WebhookRead:
    """Change the URL, event types, description, or turn it off and on. Turned on again, it
    sends what waited in its queue."""
    return await service.update_webhook(
        session,
        principal,
        rt.settings,
        workspace_id=workspace_id,
        webhook_id=webhook_id,
        data=body,
        address=address,
    )


@router.delete(ONE, status_code=status.HTTP_204_NO_CONTENT)
async def delete_webhook(
    session: DbSession,
    principal: CurrentPrincipal,
    address: ClientAddress,
    workspace_id: WorkspaceId,
    webhook_id: WebhookId,
) -> None:
    """Delete a webhook and its delivery log; nothing more is sent."""
    await service.delete_webhook(
        session, principal, workspace_id=workspace_id, webhook_id=webhook_id, address=address
    )


@router.post(f"{ONE}/rotate-secret")
async def rotate_webhook_secret(
    session: DbSession,
    principal: CurrentPrincipal,
    address: ClientAddress,
    workspace_id: WorkspaceId,
    webhook_id: WebhookId,
) -> WebhookWithSecret:
    """A new secret, shown only now; the next attempt is signed with it."""
    return await service.rotate_secret(
        session, principal, workspace_id=workspace_id, webhook_id=webhook_id, address=address
    )


@router.post(f"{ONE}/test", status_code=status.HTTP_202_ACCEPTED)
async def test_webhook(
    session: DbSession,
    principal: CurrentPrincipal,
    workspace_id: WorkspaceId,
    webhook_id: WebhookId,
) -> DeliveryRead:
    """Send a `ping` message now; follow it in the deliveries."""
    return await service.send_test(
        session, principal, workspace_id=workspace_id, webhook_id=webhook_id
    )


@router.get("/webhooks/{webhook_id}/deliveries")
async def list_deliveries(
    session: DbSession,
    principal: CurrentPrincipal,
    paging: Paging,
    webhook_id: WebhookId,
    status: Annotated[
        Literal["pending", "delivered", "failed"] | None, Query(description="Only these.")
    ] = None,
) -> Page[DeliveryRead]:
    """A webhook's deliveries, newest first: each message's attempts, last answer and timing.
    At most 200 are listed per page; follow `next_cursor` for more."""
    return await service.list_deliveries(
        session,
        principal,
        webhook_id=webhook_id,
        status=status,
        limit=paging.limit,
        cursor=paging.cursor,
    )


@router.get("/webhooks/{webhook_id}/deliveries/{delivery_id}")
async def get_delivery(
    session: DbSession,
    principal: CurrentPrincipal,
    webhook_id: WebhookId,
    delivery_id: Annotated[UUID, Path()],
) -> DeliveryDetail:
    """One delivery with the request as sent (headers and body) and the answer."""
    return await service.get_delivery(
        session, principal, webhook_id=webhook_id, delivery_id=delivery_id
    )


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=status.HTTP_202_ACCEPTED,
)
async def redeliver(
    session: DbSession,
    principal: CurrentPrincipal,
    webhook_id: WebhookId,
    delivery_id: Annotated[UUID, Path()],
) -> DeliveryRead:
    """Send a delivery's message again (the same `webhook-id`, so a receiver that already has
    it can tell), as a new delivery."""
    return await service.redeliver(
        session, principal, webhook_id=webhook_id, delivery_id=delivery_id
    )


@router.post("/webhooks/{webhook_id}/replay", status_code=status.HTTP_202_ACCEPTED)
async def replay(
    session: DbSession, principal: CurrentPrincipal, webhook_id: WebhookId, body: Replay
) -> Replayed:
    """Send again every delivery that failed for good between `since` and `until` (at most
    1,000 per call), in their order."""
    queued = await service.replay(session, principal, webhook_id=webhook_id, window=body)
    return Replayed(queued=queued)
