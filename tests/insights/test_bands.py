"""`cumulative-flow` and `burndown` count by sweeping each task's stretches
(service._bands): on random histories they give what asking every task its category at the
end of every day gives (docs/metrics.md, the definitions as written)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest

from tasklane.insights import service
from tasklane.insights.schemas import MAX_TASK_IDS, InsightInterval, InsightPoint

START = date(2026, 10, 1)
NOW = datetime(2026, 11, 5, 15, tzinfo=UTC)
CHOICES = (*service.CATEGORIES, "?")
""""?": a status of unknown category (in no band, but in a burndown's scope)."""


def random_world(seed: int, size: int = 260) -> service.World:
    rng = random.Random(seed)
    tasks = []
    for n in range(size):
        moment = datetime.combine(START, datetime.min.time(), tzinfo=UTC) + timedelta(
            hours=rng.randrange(-200, 800)
        )
        line: list[tuple[datetime, str]] = []
        for _ in range(rng.randrange(1, 6)):
            category = rng.choice(CHOICES)
            if not line or line[-1][1] != category:
                line.append((moment, category))
            # Often exactly at the end of a day: the edge the sweep must get right.
            moment += rng.choice((timedelta(days=1), timedelta(hours=rng.randrange(1, 90))))
        estimate = rng.choice((None, 1.0, 2.0, 0.5, 3.0))
        task = service.TaskHistory(
            UUID(int=n + 1), UUID(int=0), UUID(int=0), line[0][0], None, estimate
        )
        task.line = line
        tasks.append(task)
    return service.World(tasks, [], NOW)


def _point(tasks: list[service.TaskHistory], **fields: object) -> InsightPoint:
    return service._point(tasks, **fields)  # type: ignore[arg-type]


def expected_flow(world: service.World, period: service.Period) -> list[InsightPoint]:
    points = []
    for label, day in service._sample_days(period):
        moment = service.end_of(day)
        for category in service.CATEGORIES:
            tasks = [t for t in world.tasks if t.category_at(moment) == category]
            points.append(_point(tasks, date=label, category=category))
    return points


def expected_burndown(
    world: service.World, period: service.Period, target: date
) -> list[InsightPoint]:
    today = world.now.date()
    days = [period.start + timedelta(days=i) for i in range((target - period.start).days + 1)]
    first = service.end_of(period.start)
    start_remaining = sum(1 for t in world.tasks if t.category_at(first) in service.OPEN)
    span = max(1, (target - period.start).days)
    points = []
    for day in days:
        ideal = round(start_remaining * max(0, (target - day).days) / span, 4)
        if day > today:
            points.append(InsightPoint(date=day, ideal=ideal))
            continue
        states = [(t, t.category_at(service.end_of(day))) for t in world.tasks]
        remaining = [t for t, c in states if c in service.OPEN]
        point = _point(remaining, date=day, ideal=ideal)
        point.scope = sum(1 for _, c in states if c is not None and c != "cancelled")
        point.done = sum(1 for _, c in states if c == "done")
        point.remaining = len(remaining)
        points.append(point)
    return points


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("interval", list(InsightInterval))
def test_cumulative_flow_is_the_category_at_each_sample(
    seed: int, interval: InsightInterval
) -> None:
    world = random_world(seed, size=800)  # some bands over MAX_TASK_IDS
    period = service.Period.of(START, START + timedelta(days=40), interval, NOW.date())
    points = service.cumulative_flow(world, period).points
    assert points == expected_flow(world, period)
    assert any(p.task_ids_truncated and len(p.task_ids) == MAX_TASK_IDS for p in points)


@pytest.mark.parametrize("seed", range(4))
def test_burndown_is_the_category_at_each_day(seed: int) -> None:
    world = random_world(seed)
    period = service.Period.of(START, START + timedelta(days=30), InsightInterval.DAY, NOW.date())
    target = START + timedelta(days=50)  # past today: days with `ideal` only
    points = service.burndown(world, period, target).points
    assert points == expected_burndown(world, period, target)
    assert any(p.task_ids_truncated and len(p.task_ids) == MAX_TASK_IDS for p in points)
