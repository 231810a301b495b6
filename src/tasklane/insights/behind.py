"""The tasks behind one point of a metric, paged (`GET .../insights/{metric}/tasks`).

A point of an answer lists at most MAX_TASK_IDS of its tasks (`task_ids_truncated` says when
there are more). Asked for the point by its index in the answer, with the answer's own
parameters, this lists up to MAX_BEHIND of them a page at a time: the answer is computed
again, and when its point is truncated, computed once more for that point alone (the period
narrowed to the point's day or week, which gives the same figure for it) with points listing
up to MAX_BEHIND ids. The ids come in the order the answer lists them (the tasks' order of
making). A point beyond MAX_BEHIND tasks is better read as a list: filter the project's tasks.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.auth.principal import Principal
from tasklane.errors import ValidationFailed
from tasklane.insights import service
from tasklane.insights.schemas import (
    InsightInterval,
    InsightMetric,
    InsightPoint,
    InsightRead,
    InsightTasks,
)
from tasklane.kit.pagination import PageParams, decode_cursor, encode_cursor

MAX_BEHIND = 1000
"""Task ids of one point that can be paged through (its first, in the answer's order)."""

_NARROWED = (InsightMetric.THROUGHPUT, InsightMetric.CUMULATIVE_FLOW, InsightMetric.BURNDOWN)
"""The metrics whose points are days or weeks of the period: computed for the point's alone."""


def _narrowed(params: service.Params, insight: InsightRead, point: InsightPoint) -> service.Params:
    """The parameters that compute `point` of `insight` alone (the same figure and tasks)."""
    if params.metric not in _NARROWED or point.date is None:
        return params
    day = point.date
    if params.metric is InsightMetric.BURNDOWN:
        return dataclasses.replace(params, start=day, end=day, target=day)
    last = day if insight.interval is InsightInterval.DAY else day + timedelta(days=6)
    start: date = max(insight.from_, day)
    return dataclasses.replace(params, start=start, end=min(insight.to, last))


def _same(a: InsightPoint, b: InsightPoint) -> bool:
    return (a.date, a.category, a.status_id, a.assignee_id, a.project_id) == (
        b.date,
        b.category,
        b.status_id,
        b.assignee_id,
        b.project_id,
    )


async def tasks_behind(
    session: AsyncSession,
    principal: Principal,
    *,
    project_id: UUID | None = None,
    workspace_id: UUID | None = None,
    params: service.Params,
    point: int,
    page: PageParams,
) -> InsightTasks:
    """A page of the ids of the tasks behind point `point` of the answer `params` gives, in
    the project (or the workspace: the projects of it the caller can see)."""

    async def compute(p: service.Params) -> InsightRead:
        if project_id is not None:
            return await service.project_insight(
                session, principal, project_id=project_id, params=p
            )
        assert workspace_id is not None
        return await service.workspace_insight(
            session, principal, workspace_id=workspace_id, params=p
        )

    insight = await compute(params)
    if point >= len(insight.points):
        raise ValidationFailed.for_field(
            "point", f"The answer has {len(insight.points)} points; `point` counts from 0."
        )
    chosen = insight.points[point]
    ids = chosen.task_ids
    if chosen.task_ids_truncated:
        with service.listing_ids(MAX_BEHIND):
            alone = await compute(_narrowed(params, insight, chosen))
        ids = next((p.task_ids for p in alone.points if _same(p, chosen)), ids)
    scope = f"insights:{params.metric.value}:{point}"
    offset = 0
    if page.cursor is not None:
        (offset,) = decode_cursor(page.cursor, scope=scope, size=1)
        if type(offset) is not int or not 0 <= offset < len(ids):
            raise ValidationFailed.for_field("cursor", "The cursor is not valid.")
    end = offset + page.limit
    return InsightTasks(
        count=chosen.count,
        listed=len(ids),
        items=ids[offset:end],
        next_cursor=encode_cursor([end], scope=scope) if end < len(ids) else None,
    )
