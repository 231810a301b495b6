from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

Body = Annotated[str, Field(min_length=1, max_length=20_000, description="Markdown.")]


class CommentWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: Body

    @field_validator("body")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


class CommentCreate(CommentWrite):
    attachment_ids: list[UUID] = Field(
        default_factory=list,
        max_length=20,
        description="Files you attached to the task for this comment (uploaded first, on no "
        "comment yet); they are shown with it.",
    )


class Author(BaseModel):
    id: UUID
    name: str


class CommentRead(BaseModel):
    id: UUID
    task_id: UUID
    author_id: UUID | None
    author: Author | None = Field(description="Null when the author's account is gone.")
    body: str
    created_at: datetime
    updated_at: datetime
    edited_at: datetime | None
