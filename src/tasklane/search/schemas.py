from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field


class SnippetSegment(BaseModel):
    text: str
    match: bool = Field(description="A word that matched the query: show it highlighted.")


class SearchHit(BaseModel):
    kind: Literal["task", "comment"] = Field(
        description="Where the words were found: the task (key, title, description) or one of "
        "its comments (`comment_id`)."
    )
    task_id: UUID
    task_key: str
    title: str
    comment_id: UUID | None
    project_id: UUID
    snippet: list[SnippetSegment] = Field(
        description="A passage of the text around the matches, as plain text segments; the "
        "matching words are the segments with `match` true."
    )
    score: float | None = Field(
        description="Relevance within the hit's tier (tasks whose title holds every word "
        "come before the rest), higher first. Null for the task whose key is the whole query, "
        "which comes first."
    )


class SearchPage(BaseModel):
    items: list[SearchHit]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` to get the next page; null on the last page."
    )
