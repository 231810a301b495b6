from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, Field


class ArchiveState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ArchiveContents(BaseModel):
    rows: int = Field(description="Rows of every table, the event log's included.")
    files: int = Field(description="Attachments and thumbnails.")
    tables: dict[str, int] = Field(description="Rows per table.")


class WorkspaceExportRead(BaseModel):
    """An archive of a workspace made for download (docs/archive.md)."""

    id: UUID
    workspace_id: UUID
    state: ArchiveState = Field(
        description="`queued`, `running` (the worker is writing it), `done` (download it) or "
        "`failed` (`error` says why)."
    )
    filename: str = Field(description="What the download is called.")
    size: int | None = Field(description="The archive's bytes, once done.")
    contents: ArchiveContents | None = Field(description="What it holds, once done.")
    error: str | None
    created_by: UUID | None
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime = Field(
        description="When the housekeeping removes it (TASKLANE_ARCHIVE_RETENTION_DAYS), "
        "unless newer exports of the workspace replace it sooner (TASKLANE_ARCHIVE_KEEP)."
    )


class ImportedWorkspace(BaseModel):
    id: UUID
    slug: str
    name: str


class ArchivedWorkspace(BaseModel):
    """The workspace as the archive names it."""

    slug: str
    name: str
    made_at: str | None = Field(description="When the archive was made (its manifest's).")


class ImportSummary(BaseModel):
    rows: int
    files: int
    accounts_matched: int = Field(
        description="Accounts of the archive that have an account here (by e-mail address)."
    )
    accounts_created: int = Field(
        description="Accounts made, without a password: they reset it, or sign in with "
        "single sign-on."
    )
    handles_changed: list[str] = Field(description="`@old -> @new`, where a handle was taken.")
    owner_added: bool = Field(
        description="Whether the uploader was made an owner (they were not one in the archive)."
    )
    members_invited: int = Field(
        default=0,
        description="The archive's other members, each invited with their role (a pending "
        "invitation, accepted in the app): nobody joins without accepting.",
    )
    webhooks_paused: int = Field(
        default=0,
        description="The archive's webhooks, each made but turned off: check where they send, "
        "then turn them on (their receivers would otherwise hear of two workspaces).",
    )


class WorkspaceImportRead(BaseModel):
    """An uploaded archive becoming a new workspace."""

    id: UUID
    state: ArchiveState = Field(
        description="`queued`, `running`, `done` (`workspace` is the new workspace) or "
        "`failed` (`error` says why; nothing was created)."
    )
    filename: str
    size: int
    source: ArchivedWorkspace
    workspace: ImportedWorkspace | None = Field(
        description="The new workspace, once done (while it exists)."
    )
    summary: ImportSummary | None = Field(description="What the import made, once done.")
    error: str | None
    created_at: datetime
    finished_at: datetime | None
