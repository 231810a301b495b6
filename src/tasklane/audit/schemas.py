from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel


class AuditEntryRead(BaseModel):
    seq: int
    at: datetime
    actor_id: UUID | None
    actor_email: str | None
    workspace_id: UUID | None
    action: str
    ip: str | None
    details: dict[str, Any]
    hash: str
