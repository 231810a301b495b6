from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from tasklane.query.language import MAX_QUERY_LENGTH
from tasklane.tasks.schemas import TaskSort

Layout = Literal["list", "board", "calendar"]
GroupBy = Literal["status", "assignee", "priority", "project"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
QueryText = Annotated[
    str,
    Field(
        max_length=MAX_QUERY_LENGTH,
        description='A query of the query language (README, "Query language"); empty: every task.',
        examples=["assignee:me status:started label:bug"],
    ),
]


class ViewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    query: QueryText = ""
    project_id: UUID | None = Field(
        default=None, description="Only this project's tasks; none: every project you can see."
    )
    layout: Layout = "list"
    sort: TaskSort = TaskSort.UPDATED_DESC
    group_by: GroupBy | None = None
    shared: bool = Field(
        default=False,
        description="Everyone in the workspace sees the view (each sees the tasks they may).",
    )


class ViewUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    query: QueryText | None = None
    project_id: UUID | None = None
    layout: Layout | None = None
    sort: TaskSort | None = None
    group_by: GroupBy | None = None
    shared: bool | None = None


class ViewRead(BaseModel):
    id: UUID
    workspace_id: UUID
    owner_id: UUID
    project_id: UUID | None
    name: str
    query: str
    layout: Layout
    sort: TaskSort
    group_by: GroupBy | None
    shared: bool
    editable: bool = Field(description="You may change or delete it (its owner, or an admin).")
    created_at: datetime
    updated_at: datetime
