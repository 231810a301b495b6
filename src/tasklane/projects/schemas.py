from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from tasklane.authz.roles import ProjectRole, WorkspaceRole
from tasklane.projects.workflow import StatusCategory

ProjectKey = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_upper=True,
        min_length=2,
        max_length=10,
        pattern=r"^[A-Za-z][A-Za-z0-9]+$",
    ),
    Field(
        description="2 to 10 letters or digits, starting with a letter; stored upper-case. "
        "Unique in the workspace and prefixes every task key (`ENG-42`).",
        examples=["ENG"],
    ),
]
ProjectName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Description = Annotated[str, StringConstraints(max_length=10_000)]
ShortName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Color = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^#[0-9A-Fa-f]{6}$"),
    Field(description="`#rrggbb`; stored lower-case.", examples=["#22c55e"]),
]
Position = Annotated[
    int,
    Field(
        ge=0,
        le=10_000,
        description="0-based place in the workflow; past the end means last. The other "
        "statuses are renumbered 0..n-1.",
    ),
]
DEFAULT_STATUS_COLOR = "#94a3b8"


class _Input(BaseModel):
    """Inputs reject unknown fields and explicit nulls: leave a field out to keep its value."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null; leave the field out instead")
        return value


# Projects


class ProjectCreate(_Input):
    key: ProjectKey
    name: ProjectName
    description: Description = ""


class ProjectUpdate(_Input):
    name: ProjectName | None = None
    description: Description | None = None
    archived: bool | None = Field(
        default=None, description="Archive (true) or restore (false) the project."
    )


class ArchivedFilter(StrEnum):
    FALSE = "false"
    TRUE = "true"
    ANY = "any"


class ProjectRead(BaseModel):
    id: UUID
    workspace_id: UUID
    key: str
    name: str
    description: str
    archived: bool
    archived_at: datetime | None
    role: ProjectRole = Field(description="The caller's effective role in this project.")
    created_at: datetime
    updated_at: datetime


# Statuses


class StatusCreate(_Input):
    name: ShortName
    category: StatusCategory
    color: Color = DEFAULT_STATUS_COLOR
    position: Position | None = Field(default=None, description="Left out: last.")


class StatusUpdate(_Input):
    name: ShortName | None = None
    category: StatusCategory | None = None
    color: Color | None = None
    position: Position | None = None


class StatusRead(BaseModel):
    id: UUID
    project_id: UUID
    name: str
    category: StatusCategory
    color: str
    position: int


# Labels


class LabelCreate(_Input):
    name: ShortName
    color: Color


class LabelUpdate(_Input):
    name: ShortName | None = None
    color: Color | None = None


class LabelRead(BaseModel):
    id: UUID
    project_id: UUID
    name: str
    color: str


# Project members


class ProjectMemberAdd(_Input):
    user_id: UUID = Field(description="A member of the project's workspace.")
    role: ProjectRole = ProjectRole.MEMBER


class ProjectMemberUpdate(_Input):
    role: ProjectRole


class PersonRead(BaseModel):
    """Someone who can see a project, as every project role may see them."""

    user_id: UUID
    name: str
    initials: str = Field(description="One or two capital letters for an avatar.")
    email: str | None = Field(
        description="Only for callers whose workspace role may read member details (not "
        "guests); otherwise null."
    )
    handle: str | None = None
    avatar_color: str | None = Field(default=None, description="A palette name or #rrggbb.")


def initials(name: str) -> str:
    """The avatar letters the web app shows: first and last word's first letters, or the first
    two letters of a one-word name."""
    parts = name.split()
    letters = parts[0][0] + parts[-1][0] if len(parts) > 1 else name.strip()[:2]
    return letters.upper() or "?"


class ProjectMemberRead(BaseModel):
    user_id: UUID
    email: str | None = Field(
        description="Null for callers who are workspace guests (they see names only)."
    )
    name: str
    role: ProjectRole = Field(description="The explicit role given in this project.")
    workspace_role: WorkspaceRole = Field(
        description="Their workspace role. Workspace owners and admins administer every "
        "project whatever their project role."
    )
