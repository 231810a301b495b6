from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from tasklane.events.types import EventType

PATTERN_DOC = (
    "Event types to send: exact (`comment.created`), a family (`task.*`), or `*` for all. "
    "`ping` is always sent by the test button."
)
EventPattern = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Url = Annotated[str, StringConstraints(min_length=8, max_length=2000)]
Description = Annotated[str, StringConstraints(max_length=500)]
SUBSCRIBABLE = sorted(str(t) for t in EventType if t is not EventType.NOTIFICATIONS_CREATED)


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url
    event_types: Annotated[list[EventPattern], Field(min_length=1, max_length=50)] = Field(
        description=PATTERN_DOC
    )
    project_id: UUID | None = Field(
        default=None, description="Only this project's events; null: the whole workspace's."
    )
    description: Description = ""


class WebhookUpdate(BaseModel):
    """Only the fields sent change. Enabling a disabled webhook sends what waited meanwhile."""

    model_config = ConfigDict(extra="forbid")

    url: Url | None = None
    event_types: Annotated[list[EventPattern], Field(min_length=1, max_length=50)] | None = None
    description: Description | None = None
    enabled: bool | None = None


class WebhookRead(BaseModel):
    id: UUID
    workspace_id: UUID
    project_id: UUID | None
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime
    secret_hint: str = Field(description="The secret's first characters, to tell secrets apart.")


class WebhookWithSecret(WebhookRead):
    secret: str = Field(description="`whsec_...`: shown only now; verify deliveries with it.")


class DeliveryRead(BaseModel):
    id: UUID
    message_id: str = Field(description="The `webhook-id` header: the same on every attempt.")
    event_seq: int | None
    event_type: str
    manual: bool = Field(description="A redelivery, a replay or a test ping.")
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime | None
    first_attempt_at: datetime | None
    last_attempt_at: datetime | None
    response_status: int | None
    response_body: str | None = Field(description="The first 2,000 characters of the answer.")
    duration_ms: int | None
    error: str | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryDetail(DeliveryRead):
    request_headers: dict[str, Any]
    payload: dict[str, Any] = Field(description="The body as sent (JSON).")


class Replay(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: AwareDatetime
    until: AwareDatetime


class Replayed(BaseModel):
    queued: int = Field(description="Failed deliveries sent again (at most 1,000 per call).")
