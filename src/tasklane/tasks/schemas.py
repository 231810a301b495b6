from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from tasklane.events.types import EventType
from tasklane.kit.refs import MAX_REF_LENGTH

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Description = Annotated[str, Field(max_length=100_000)]
Estimate = Annotated[float, Field(ge=0, le=10_000)]
TaskRef = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_REF_LENGTH,
        description="The task's id (UUID) or its key, like `ENG-42`.",
        examples=["ENG-42"],
    ),
]


class Priority(StrEnum):
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        return PRIORITY_RANK[self]

    @classmethod
    def from_rank(cls, rank: int) -> Priority:
        return _BY_RANK[rank]


PRIORITY_RANK = {
    Priority.NONE: 0,
    Priority.LOW: 1,
    Priority.MEDIUM: 2,
    Priority.HIGH: 3,
    Priority.URGENT: 4,
}
_BY_RANK = {rank: p for p, rank in PRIORITY_RANK.items()}


class _DatesInOrder(BaseModel):
    @model_validator(mode="after")
    def _start_before_due(self) -> Self:
        start = getattr(self, "start_date", None)
        due = getattr(self, "due_date", None)
        if start is not None and due is not None and start > due:
            raise ValueError("start_date must not be after due_date")
        return self


def _unique(values: list[UUID]) -> list[UUID]:
    return list(dict.fromkeys(values))


class TaskCreate(_DatesInOrder):
    model_config = ConfigDict(extra="forbid")
    title: Title
    description: Description = ""
    status_id: UUID | None = Field(
        default=None, description="Defaults to the project's first unstarted status."
    )
    priority: Priority = Priority.NONE
    assignee_ids: Annotated[list[UUID], Field(max_length=20)] = []
    label_ids: Annotated[list[UUID], Field(max_length=50)] = []
    start_date: date | None = None
    due_date: date | None = None
    estimate: Estimate | None = None
    parent_id: UUID | None = None
    placement: Literal["top", "bottom"] = Field(
        default="bottom", description="Where the task goes in its status column."
    )

    @model_validator(mode="after")
    def _dedupe(self) -> Self:
        self.assignee_ids = _unique(self.assignee_ids)
        self.label_ids = _unique(self.label_ids)
        return self


class TaskUpdate(_DatesInOrder):
    """Only the fields sent change. Send null to clear a date, the estimate or the parent."""

    model_config = ConfigDict(extra="forbid")
    title: Title | None = None
    description: Description | None = None
    status_id: UUID | None = None
    priority: Priority | None = None
    assignee_ids: Annotated[list[UUID], Field(max_length=20)] | None = None
    label_ids: Annotated[list[UUID], Field(max_length=50)] | None = None
    start_date: date | None = None
    due_date: date | None = None
    estimate: Estimate | None = None
    parent_id: UUID | None = None

    @model_validator(mode="after")
    def _no_null_for_required(self) -> Self:
        for name in ("title", "description", "status_id", "priority", "assignee_ids", "label_ids"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        if self.assignee_ids is not None:
            self.assignee_ids = _unique(self.assignee_ids)
        if self.label_ids is not None:
            self.label_ids = _unique(self.label_ids)
        return self


class TaskMove(BaseModel):
    """Put the task in `status_id`, right after `after_id` or right before `before_id` (tasks
    of that status). With neither, it goes to the bottom of the column."""

    model_config = ConfigDict(extra="forbid")
    status_id: UUID
    before_id: UUID | None = None
    after_id: UUID | None = None


class TaskRead(BaseModel):
    id: UUID
    key: str
    number: int
    project_id: UUID
    title: str
    description: str
    status_id: UUID
    priority: Priority
    assignee_ids: list[UUID]
    label_ids: list[UUID]
    start_date: date | None
    due_date: date | None
    estimate: float | None
    parent_id: UUID | None
    position: str = Field(description="Ordering key within the status column; compare as bytes.")
    version: int = Field(description="Increases with every change; send it back in If-Match.")
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    deleted_at: datetime | None = None


class TaskSort(StrEnum):
    POSITION = "position"
    CREATED = "created"
    CREATED_DESC = "-created"
    UPDATED = "updated"
    UPDATED_DESC = "-updated"
    DUE = "due"
    DUE_DESC = "-due"
    PRIORITY = "priority"
    PRIORITY_DESC = "-priority"


class RelationType(StrEnum):
    BLOCKS = "blocks"
    BLOCKED_BY = "blocked_by"
    RELATES_TO = "relates_to"
    DUPLICATES = "duplicates"
    DUPLICATED_BY = "duplicated_by"


class RelationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: RelationType
    task_id: TaskRef = Field(description="The other task: id or key.")


class RelatedTask(BaseModel):
    id: UUID
    key: str
    title: str
    status_id: UUID


class RelationRead(BaseModel):
    id: UUID
    type: RelationType = Field(description="Seen from the task in the URL.")
    task: RelatedTask
    created_at: datetime


class WatcherAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: UUID = Field(description="Yourself, or (project admins) anyone who can see the task.")


class WatcherRead(BaseModel):
    user_id: UUID
    name: str
    handle: str | None
    avatar_color: str | None


class ActivityItem(BaseModel):
    seq: int
    type: EventType
    actor_id: UUID | None
    created_at: datetime
    changes: dict[str, Any]


BULK_LIMIT = 200


class BulkItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: UUID = Field(description="A task of the project in the URL.")
    version: int | None = Field(
        default=None, ge=1, description="The version you edited (like If-Match); stale is 412."
    )
    changes: TaskUpdate


class BulkUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: Annotated[list[BulkItem], Field(min_length=1, max_length=BULK_LIMIT)]

    @model_validator(mode="after")
    def _each_task_once(self) -> Self:
        ids = [item.id for item in self.items]
        if len(set(ids)) != len(ids):
            raise ValueError("name each task at most once")
        return self


class BulkFailure(BaseModel):
    id: UUID
    status: int = Field(description="The status this change alone would have had (404, 412, ...).")
    code: str
    detail: str | None = None


class BulkResult(BaseModel):
    updated: list[TaskRead] = Field(description="The tasks changed, in the order sent.")
    failed: list[BulkFailure] = Field(description="The items that changed nothing, and why.")


class StatusCount(BaseModel):
    status_id: UUID
    count: int


class TaskCounts(BaseModel):
    total: int
    by_status: list[StatusCount] = Field(description="Every status of the project, in order.")
