from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from tasklane.auth.schemas import TimeZone
from tasklane.notifications.kinds import Email, InApp, Kind, Mute

MAX_IDS = 200


class NotificationRead(BaseModel):
    id: UUID
    type: Kind
    created_at: datetime
    updated_at: datetime = Field(description="When it last changed: a burst folds into one.")
    read_at: datetime | None
    archived_at: datetime | None
    snoozed_until: datetime | None
    actor_id: UUID | None
    actor_name: str | None
    workspace_id: UUID | None
    project_id: UUID | None
    task_id: UUID | None
    task_key: str | None = Field(description="Null when the task is gone or out of your sight.")
    task_title: str | None
    comment_id: UUID | None
    summary: str
    count: int = Field(description="How many changes it stands for (a burst folds into one).")


class Box(StrEnum):
    INBOX = "inbox"
    SNOOZED = "snoozed"
    ARCHIVED = "archived"


class UnreadCount(BaseModel):
    count: int = Field(description="Unread in the inbox (not archived, not snoozed); at most 1000.")


class Selection(BaseModel):
    """Which notifications: `ids`, or `all` of your inbox."""

    model_config = ConfigDict(extra="forbid")

    ids: Annotated[list[UUID], Field(max_length=MAX_IDS)] = Field(default_factory=list)
    all: bool = False

    @model_validator(mode="after")
    def _one(self) -> Selection:
        if self.all == bool(self.ids):
            raise ValueError("send either ids or all: true")
        return self


class Changed(BaseModel):
    changed: int


class Snooze(BaseModel):
    model_config = ConfigDict(extra="forbid")

    until: AwareDatetime = Field(description="It comes back to the inbox, unread, then.")


class Channels(BaseModel):
    model_config = ConfigDict(extra="forbid")

    in_app: InApp
    email: Email


class KindChannels(BaseModel):
    """Channels per kind of notification (see `Kind`)."""

    model_config = ConfigDict(extra="forbid")

    assigned: Channels
    mentioned: Channels
    commented: Channels
    status_changed: Channels
    due_soon: Channels
    added: Channels
    webhook_disabled: Channels


class KindChannelsWrite(BaseModel):
    """The kinds to change; the others stay as they are."""

    model_config = ConfigDict(extra="forbid")

    assigned: Channels | None = None
    mentioned: Channels | None = None
    commented: Channels | None = None
    status_changed: Channels | None = None
    due_soon: Channels | None = None
    added: Channels | None = None
    webhook_disabled: Channels | None = None


class ProjectMute(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project_id: UUID
    level: Mute = Field(
        description="`watching`: nothing from watching (comments, status changes) in it; "
        "`all`: nothing from it at all."
    )


class NotificationSettingsRead(BaseModel):
    types: KindChannels
    digest_hour: int
    time_zone: str | None = Field(description="Your account's zone; null: UTC for digests.")
    projects: list[ProjectMute]
    email_enabled: bool = Field(description="Whether this installation can send mail.")


class NotificationSettingsWrite(BaseModel):
    """Only what is sent changes; `types` may name some kinds only, `projects` replaces the
    whole list of project overrides."""

    model_config = ConfigDict(extra="forbid")

    types: KindChannelsWrite | None = None
    digest_hour: Annotated[int, Field(ge=0, le=23)] | None = None
    time_zone: TimeZone | None = None
    projects: Annotated[list[ProjectMute], Field(max_length=200)] | None = None


assert set(KindChannels.model_fields) == {k.value for k in Kind}, "a field per kind"
assert set(KindChannelsWrite.model_fields) == {k.value for k in Kind}, "a field per kind"
