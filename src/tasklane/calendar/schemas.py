from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class CalendarFeedRead(BaseModel):
    url: str = Field(
        description="The private address (`/ical/{token}.ics`); `?scope=watching` lists the "
        "tasks you watch instead, `?project=KEY` one project's."
    )
    created_at: datetime
    rotated_at: datetime | None = Field(description="When the address last changed.")
