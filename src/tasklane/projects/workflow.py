"""Status categories, the default workflow, and what a category change means for a task."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum


class StatusCategory(StrEnum):
    BACKLOG = "backlog"
    UNSTARTED = "unstarted"
    STARTED = "started"
    DONE = "done"
    CANCELLED = "cancelled"


DEFAULT_WORKFLOW: tuple[tuple[str, StatusCategory, str], ...] = (
    ("Backlog", StatusCategory.BACKLOG, "#94a3b8"),
    ("Todo", StatusCategory.UNSTARTED, "#64748b"),
    ("In Progress", StatusCategory.STARTED, "#f59e0b"),
    ("Done", StatusCategory.DONE, "#22c55e"),
    ("Cancelled", StatusCategory.CANCELLED, "#ef4444"),
)


def completed_at_after_move(
    category: StatusCategory | str, previous: datetime | None, now: datetime
) -> datetime | None:
    """A task is completed from when it first enters a done status until it leaves done."""
    if StatusCategory(category) is StatusCategory.DONE:
        return previous or now
    return None
