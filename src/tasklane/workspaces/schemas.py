from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from tasklane.authz.roles import WorkspaceRole

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Slug = Annotated[
    str, StringConstraints(min_length=2, max_length=64, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
]


class WorkspaceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    slug: Slug | None = Field(default=None, description="Made from the name when left out.")


class WorkspaceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    slug: Slug | None = None


class WorkspaceRead(BaseModel):
    id: UUID
    name: str
    slug: str
    role: WorkspaceRole = Field(description="The caller's role in this workspace.")
    created_at: datetime
    updated_at: datetime


class MemberAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: EmailStr
    role: WorkspaceRole = WorkspaceRole.MEMBER


class MemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: WorkspaceRole


class MemberRead(BaseModel):
    user_id: UUID
    email: str
    name: str
    role: WorkspaceRole
    joined_at: datetime
