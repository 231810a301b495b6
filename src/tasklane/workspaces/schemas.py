from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from tasklane.authz.roles import WorkspaceRole

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
"""Lower-case letters and digits in dash-separated runs."""
Slug = Annotated[str, StringConstraints(min_length=2, max_length=64, pattern=SLUG_PATTERN)]


class WorkspaceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    slug: Slug | None = Field(
        default=None,
        description="Made from the name when left out. Not a word of Tasklane's own addresses "
        "(`api`, `signin`, ...: 422 `slug_reserved`), as tasks live at `/{slug}/t/{key}`.",
    )


class WorkspaceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    slug: Slug | None = None
    require_mfa: bool | None = Field(
        default=None,
        description="Members without two-factor sign-in can do nothing in the workspace until "
        "they turn it on (403 `mfa_required`). Turning it on needs it on your own account "
        "(409 `mfa_not_enabled`).",
    )
    require_sso: bool | None = Field(
        default=None,
        description="Members sign in only through single sign-on: turning it on ends their "
        "other sessions, and a password or passkey sign-in is refused (403 `sso_required`). "
        "Needs SSO set up on the installation (409 `sso_not_configured`) and your own current "
        "session signed in through it (409 `sso_session_required`).",
    )


class WorkspaceRead(BaseModel):
    id: UUID
    name: str
    slug: str
    role: WorkspaceRole = Field(description="The caller's role in this workspace.")
    require_mfa: bool = Field(description="Members must have two-factor sign-in on.")
    require_sso: bool = Field(description="Members sign in only through single sign-on.")
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
    handle: str | None = None
    avatar_color: str | None = Field(default=None, description="A palette name or #rrggbb.")
    role: WorkspaceRole
    joined_at: datetime


class InvitationRead(BaseModel):
    """A pending invitation to a workspace."""

    id: UUID
    workspace_id: UUID
    workspace_name: str
    workspace_slug: str
    email: str = Field(description="Who is invited (lower case); they accept signed in with it.")
    role: WorkspaceRole = Field(description="The role they get when they accept.")
    invited_by: UUID | None
    invited_by_name: str | None
    created_at: datetime
    expires_at: datetime = Field(description="After this it cannot be accepted.")


class InvitationCreate(MemberAdd):
    """Whom to invite, and the role they get: not above the inviter's own."""


class InvitationCreated(InvitationRead):
    link: str = Field(
        description="The invitation link's path (`/invite/<token>`), shown this once: the "
        "server keeps only a hash of its token. Open it on this Tasklane's address."
    )


class InvitationPreview(BaseModel):
    """What an invitation link's page shows before it is accepted."""

    workspace_name: str
    invited_by_name: str | None
    email: str = Field(description="The invited address: the account that accepts must have it.")
    role: WorkspaceRole
    expires_at: datetime
