"""When will these tasks be done? A Monte Carlo simulation over the project's own daily
throughput (docs/metrics.md, "Forecast")."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, time, timedelta
from typing import Literal
from uuid import UUID

import numpy as np
import numpy.typing as npt
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.auth.principal import Principal
from tasklane.authz.access import access_project
from tasklane.authz.roles import Action
from tasklane.errors import ValidationFailed
from tasklane.insights.schemas import (
    MAX_TASK_IDS,
    ForecastBar,
    ForecastByDate,
    ForecastHistory,
    ForecastPercentile,
    ForecastRead,
    ForecastRequest,
    ForecastTasksByDate,
)
from tasklane.insights.service import OPEN, Filter, Reading, end_of, tasks_in_scope
from tasklane.kit.clock import utcnow
from tasklane.models import Task

PERCENTS: tuple[Literal[50, 70, 85, 95], ...] = (50, 70, 85, 95)
MIN_HISTORY_DAYS = 14
"""Days of history the simulation needs at least (and some tasks finished in them)."""
HORIZON_DAYS = 3650
"""A run that has not finished the work in ten years is not a forecast."""
_CHUNK = 64

Ints = npt.NDArray[np.int64]


class InsufficientHistory(ValidationFailed):
    code = "insufficient_history"


def simulate(daily: Ints, remaining: int, samples: int, seed: int) -> Ints:
    """For each run, the days (1 = tomorrow) until `remaining` tasks are finished, each day's
    throughput drawn with replacement from `daily`."""
    result = np.zeros(samples, dtype=np.int64)
    if remaining <= 0:
        return result
    rng = np.random.default_rng(seed)
    finished = np.zeros(samples, dtype=np.int64)
    pending = np.arange(samples)
    offset = 0
    while pending.size:
        if offset >= HORIZON_DAYS:
            raise InsufficientHistory(
                "At the throughput of the chosen history this work would take more than "
                f"{HORIZON_DAYS} days; choose a longer history or a smaller scope."
            )
        draws = rng.choice(daily, size=(pending.size, _CHUNK))
        totals = finished[pending][:, None] + np.cumsum(draws, axis=1)
        reached = totals >= remaining
        hit = reached.any(axis=1)
        result[pending[hit]] = offset + reached.argmax(axis=1)[hit] + 1
        finished[pending] = totals[:, -1]
        pending = pending[~hit]
        offset += _CHUNK
    return result


def finished_by(daily: Ints, days: int, samples: int, seed: int) -> Ints:
    """For each run, the tasks finished in the next `days` days (the inverse question)."""
    rng = np.random.default_rng([seed, 1])
    totals = np.zeros(samples, dtype=np.int64)
    for start in range(0, days, _CHUNK):
        width = min(_CHUNK, days - start)
        totals += rng.choice(daily, size=(samples, width)).sum(axis=1)
    return totals


def nearest_rank(ordered: Ints, percent: int) -> int:
    rank = max(1, -(-percent * len(ordered) // 100))
    return int(ordered[rank - 1])


async def forecast(
    session: AsyncSession, principal: Principal, *, project_id: UUID, data: ForecastRequest
) -> ForecastRead:
    access = await access_project(session, principal, project_id, Action.PROJECT_READ)
    today = utcnow().date()
    if data.by_date is not None and not today < data.by_date <= today + timedelta(HORIZON_DAYS):
        raise ValidationFailed.for_field(
            "by_date", f"by_date must be after today and at most {HORIZON_DAYS} days ahead."
        )
    # The history: whole days before today, from when the project began at the earliest.
    end = today - timedelta(days=1)
    start = max(today - timedelta(weeks=data.history_weeks), access.project.created_at.date())
    reading = await Reading.of(session, principal, [project_id], Filter(), utcnow())
    daily = np.zeros(max(0, (end - start).days + 1), dtype=np.int64)
    if daily.size:
        window = (datetime.combine(start, time.min, tzinfo=UTC), end_of(end))
        finished = await reading.outlines(await reading.finished_in(*window))
        for task in finished.tasks:
            if task.finished_at is None:
                continue
            done = finished.time(task.finished_at).date()
            if start <= done <= end:
                daily[(done - start).days] += 1
    finished_count = int(daily.sum())
    if daily.size < MIN_HISTORY_DAYS or finished_count == 0:
        raise InsufficientHistory(
            f"A forecast needs at least {MIN_HISTORY_DAYS} days of history with finished "
            f"tasks in them; the last {data.history_weeks} weeks of this project give "
            f"{daily.size} days and {finished_count} finished tasks. Try again once the team "
            "has finished some work over two weeks or more."
        )
    scope = Filter(data.query or "", data.task_ids)
    open_tasks = tasks_in_scope([project_id], principal, scope, today).where(
        Task.status_id.in_([s[0] for s in reading.flow.statuses if s[3] in OPEN])
    )
    remaining = await session.scalar(open_tasks.with_only_columns(func.count())) or 0
    first_ids = list(
        await session.scalars(
            open_tasks.with_only_columns(Task.id)
            .order_by(Task.created_at, Task.id)
            .limit(MAX_TASK_IDS + 1)
        )
    )
    seed = data.seed if data.seed is not None else secrets.randbits(32)
    runs = np.sort(simulate(daily, remaining, data.samples, seed))
    percentiles = [
        ForecastPercentile(
            percent=p, days=(d := nearest_rank(runs, p)), date=today + timedelta(days=d)
        )
        for p in PERCENTS
    ]
    values, counts = np.unique(runs, return_counts=True)
    cumulative = np.cumsum(counts) / data.samples
    histogram = [
        ForecastBar(
            date=today + timedelta(days=int(v)), count=int(c), cumulative=round(float(s), 6)
        )
        for v, c, s in zip(values, counts, cumulative, strict=True)
    ]
    by_date = None
    if data.by_date is not None:
        days = (data.by_date - today).days
        totals = np.sort(finished_by(daily, days, data.samples, seed))
        by_date = ForecastByDate(
            date=data.by_date,
            days=days,
            percentiles=[
                ForecastTasksByDate(percent=p, tasks=int(totals[data.samples * (100 - p) // 100]))
                for p in PERCENTS
            ],
        )
    return ForecastRead(
        project_id=project_id,
        remaining=remaining,
        task_ids=first_ids[:MAX_TASK_IDS],
        task_ids_truncated=remaining > MAX_TASK_IDS,
        samples=data.samples,
        seed=seed,
        today=today,
        history=ForecastHistory(
            from_=start,
            to=end,
            days=int(daily.size),
            finished=finished_count,
            per_day=round(finished_count / daily.size, 4),
        ),
        percentiles=percentiles,
        histogram=histogram,
        by_date=by_date,
    )
