from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, Field


class RowAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    SKIP = "skip"
    ERROR = "error"


class ImportFormat(StrEnum):
    CSV = "csv"
    TRELLO = "trello"
    JIRA = "jira"


class MappingNote(BaseModel):
    kind: str = Field(description="`status`, `person`, `label`, `column` or `content`.")
    source: str = Field(description="What the file has.")
    target: str = Field(description="What it becomes in the project.")


class ImportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class RowProblem(BaseModel):
    column: str | None = Field(description="The column at fault, when one is.")
    message: str
    severity: str = Field(description="`error` (the row is not imported) or `warning`.")


class RowReport(BaseModel):
    row: int = Field(description="The row's line in the file, the header being line 1.")
    action: RowAction
    external_id: str = Field(description="What identifies the row across imports.")
    key: str | None = Field(description="The task it updates or skips (created: after the run).")
    title: str
    changes: list[str] = Field(description="For an update, the fields it changes.")
    problems: list[RowProblem]


class ImportCounts(BaseModel):
    create: int = 0
    update: int = 0
    skip: int = 0
    error: int = 0


class ImportPreview(BaseModel):
    """What a dry run found: nothing was changed."""

    dry_run: bool = True
    format: ImportFormat
    filename: str
    columns: list[str]
    total_rows: int
    counts: ImportCounts
    mapping: list[MappingNote] = Field(
        description="Trello and Jira: what their statuses, people, labels and other content "
        "become (at most one line per distinct value)."
    )
    rows: list[RowReport] = Field(description="Every row of the file, in order (at most 5000).")


class ImportRunRead(BaseModel):
    id: UUID
    project_id: UUID
    format: ImportFormat
    status: ImportStatus
    filename: str
    total_rows: int
    rows_done: int = Field(description="Rows handled so far: the progress is this / total_rows.")
    counts: ImportCounts
    error: str | None = Field(description="Why the run stopped, when it failed.")
    created_by: UUID | None
    created_at: datetime
    finished_at: datetime | None
    mapping: list[MappingNote] = Field(description="As the dry run's, when the run started.")
    rows: list[RowReport] = Field(
        description="The report of the rows handled so far, in order (at most 5000)."
    )
