from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_TASK_IDS = 100
"""Task ids listed behind one point at most (`task_ids_truncated` says when there are more;
`count` is always the whole number)."""
MAX_POINTS = 2000
"""Points in one answer at most (`points_truncated` says when there were more)."""
MAX_DAYS = 366
"""The longest period a metric covers."""
MAX_QUERY_LENGTH = 500
MAX_SCOPE_IDS = 1000
"""Task ids a burndown or forecast scope can name."""


class InsightMetric(StrEnum):
    STATUS_COUNTS = "status-counts"
    THROUGHPUT = "throughput"
    CYCLE_TIME = "cycle-time"
    LEAD_TIME = "lead-time"
    CUMULATIVE_FLOW = "cumulative-flow"
    BURNDOWN = "burndown"
    WORKLOAD = "workload"
    AGING_WIP = "aging-wip"
    OVERDUE = "overdue"


class InsightInterval(StrEnum):
    DAY = "day"
    WEEK = "week"


class InsightPoint(BaseModel):
    """One figure of a chart and the tasks behind it. Which fields are set depends on the
    metric (docs/metrics.md)."""

    date: dt.date | None = None
    """The day (interval `day`) or the Monday of the ISO week (`week`) of the point; for
    per-task points the day the figure was taken (finished, started, due)."""
    project_id: UUID | None = None
    status_id: UUID | None = None
    status_name: str | None = None
    category: str | None = None
    assignee_id: UUID | None = None
    """workload: whose work it is; null for unassigned tasks."""
    count: int = 0
    estimate: float | None = None
    """The sum of the tasks' estimates (tasks without one count 0)."""
    days: float | None = None
    """cycle-time, lead-time, aging-wip: the task's time in days; overdue: days past due."""
    scope: int | None = None
    done: int | None = None
    remaining: int | None = None
    ideal: float | None = None
    """burndown: the straight line from the remaining work at `from` to 0 at `target`."""
    over_usual: bool | None = None
    """aging-wip: in progress longer than the 85th percentile of cycle time."""
    task_ids: list[UUID] = Field(default_factory=list)
    task_ids_truncated: bool = False


class InsightRead(BaseModel):
    metric: InsightMetric
    project_id: UUID | None
    workspace_id: UUID | None
    from_: dt.date = Field(alias="from")
    to: dt.date
    interval: InsightInterval
    query: str
    target: dt.date | None = None
    generated_at: str
    """When the figures were taken (UTC, ISO 8601)."""
    summary: dict[str, float | None]
    """Totals and statistics of the metric, e.g. `count`, `median_days`, `p85_days`."""
    points: list[InsightPoint]
    points_truncated: bool = False
    max_task_ids: int = MAX_TASK_IDS

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class InsightTasks(BaseModel):
    """The tasks behind one point of a metric, a page of their ids at a time, in the order
    the point lists them (the tasks' order of making)."""

    count: int = Field(description="The point's figure: how many tasks are behind it.")
    listed: int = Field(
        description="How many of them can be paged through: all of them, or the first 1,000."
    )
    items: list[UUID]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` to get the next page; null on the last page."
    )


class ForecastRequest(BaseModel):
    """What to forecast: the open tasks among `task_ids`, or those matching `query` (neither:
    every open task of the project)."""

    model_config = ConfigDict(extra="forbid")

    task_ids: list[UUID] | None = Field(default=None, max_length=MAX_SCOPE_IDS)
    query: str | None = Field(default=None, max_length=MAX_QUERY_LENGTH)
    samples: int = Field(default=10_000, ge=100, le=100_000)
    history_weeks: int = Field(default=12, ge=2, le=52)
    seed: int | None = Field(default=None, ge=0, le=2**32 - 1)
    """The same seed, history and scope give the same answer; without one a seed is chosen
    and returned."""
    by_date: dt.date | None = None
    """Also answer the inverse question: how many tasks will be finished by this day."""

    @model_validator(mode="after")
    def _one_scope(self) -> ForecastRequest:
        if self.task_ids is not None and self.query is not None:
            raise ValueError("Give task_ids or query, not both.")
        return self


class ForecastPercentile(BaseModel):
    percent: Literal[50, 70, 85, 95]
    date: dt.date
    days: int
    """Days from today: finished by the end of `date`."""


class ForecastBar(BaseModel):
    date: dt.date
    count: int
    """Simulated runs that finished on this day."""
    cumulative: float
    """The share of runs finished by the end of this day."""


class ForecastTasksByDate(BaseModel):
    percent: Literal[50, 70, 85, 95]
    tasks: int
    """With this confidence, at least this many tasks are finished by the date."""


class ForecastByDate(BaseModel):
    date: dt.date
    days: int
    percentiles: list[ForecastTasksByDate]


class ForecastHistory(BaseModel):
    from_: dt.date = Field(alias="from")
    to: dt.date
    days: int
    finished: int
    per_day: float

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class ForecastRead(BaseModel):
    project_id: UUID
    remaining: int
    """Open tasks in the scope (not done, not cancelled, not in the trash)."""
    task_ids: list[UUID]
    task_ids_truncated: bool
    samples: int
    seed: int
    today: dt.date
    history: ForecastHistory
    percentiles: list[ForecastPercentile]
    histogram: list[ForecastBar]
    by_date: ForecastByDate | None = None
