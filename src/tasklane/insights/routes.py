from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import Depends, Path, Query, Response

from tasklane.api import new_router
from tasklane.auth.principal import CurrentPrincipal
from tasklane.db import DbSession
from tasklane.insights import behind, service
from tasklane.insights import forecast as forecasting
from tasklane.insights.schemas import (
    MAX_POINTS,
    MAX_QUERY_LENGTH,
    MAX_SCOPE_IDS,
    ForecastRead,
    ForecastRequest,
    InsightInterval,
    InsightMetric,
    InsightRead,
    InsightTasks,
)
from tasklane.kit.pagination import PageParams, page_params

router = new_router(tags=["insights"])

_CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}
}

From = Annotated[
    date | None,
    Query(alias="from", description="First day (UTC), inclusive; default 83 days before `to`."),
]
To = Annotated[date | None, Query(description="Last day (UTC), inclusive; default today.")]
Q = Annotated[
    str,
    Query(
        max_length=MAX_QUERY_LENGTH,
        description="Only tasks matching this query (the filter language).",
    ),
]
Format = Annotated[Literal["json", "csv"], Query()]


async def _workspace_params(
    metric: InsightMetric,
    from_: From = None,
    to: To = None,
    interval: InsightInterval = InsightInterval.WEEK,
    q: Q = "",
) -> service.Params:
    return service.Params(metric, from_, to, interval, q)


async def _project_params(
    metric: InsightMetric,
    from_: From = None,
    to: To = None,
    interval: InsightInterval = InsightInterval.WEEK,
    q: Q = "",
    task_ids: Annotated[list[UUID] | None, Query(max_length=MAX_SCOPE_IDS)] = None,
    target: Annotated[date | None, Query(description="burndown: the target day.")] = None,
) -> service.Params:
    return service.Params(metric, from_, to, interval, q, task_ids, target)


ProjectParams = Annotated[service.Params, Depends(_project_params)]
"""A project's metric and its parameters: the period, the filter, a burndown's scope."""
WorkspaceParams = Annotated[service.Params, Depends(_workspace_params)]
"""A workspace's metric and its parameters: the period and the filter."""


def _answer(insight: InsightRead, format: str) -> Response:
    if format == "csv":
        name = f"{insight.metric.value}-{insight.from_}-{insight.to}.csv"
        return Response(
            service.as_csv(insight),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    # Encoded once: returned as the model, FastAPI would dump it, validate the dump against
    # `response_model` and encode that (thousands of points and ids: most of the answer's time).
    return Response(insight.model_dump_json(by_alias=True), media_type="application/json")


@router.get("/projects/{project_id}/insights/{metric}", response_model=InsightRead, responses=_CSV)
async def project_insight(
    session: DbSession,
    principal: CurrentPrincipal,
    project_id: Annotated[UUID, Path()],
    params: ProjectParams,
    format: Format = "json",
) -> InsightRead | Response:
    """A flow metric of the project over a period, computed as docs/metrics.md defines it:
    `status-counts`, `throughput`, `cycle-time`, `lead-time`, `cumulative-flow`, `burndown`
    (the tasks matching `q` or named by `task_ids`, from `from` to `target`), `workload`,
    `aging-wip`, `overdue`. Days are UTC days; a period covers at most 366 days. Tasks in
    the trash are left out. Each point lists the tasks behind it, at most 100 (then
    `task_ids_truncated`); an answer holds at most 2000 points. `format=csv` answers the
    points as CSV."""
    insight = await service.project_insight(
        session, principal, project_id=project_id, params=params
    )
    return _answer(insight, format)


@router.post("/projects/{project_id}/insights/forecast")
async def forecast(
    session: DbSession,
    principal: CurrentPrincipal,
    project_id: Annotated[UUID, Path()],
    body: ForecastRequest,
) -> ForecastRead:
    """When will the open tasks of a scope be finished? Percentiles (50, 70, 85, 95) of the
    completion day and the histogram behind them, from `samples` runs that draw each day's
    throughput from the project's last `history_weeks` weeks. The same `seed` gives the same
    answer. With `by_date`, also how many tasks will be finished by that day. Fewer than 14
    days of history, or none finished in them: 422 `insufficient_history`."""
    return await forecasting.forecast(session, principal, project_id=project_id, data=body)


@router.get(
    "/workspaces/{workspace_id}/insights/{metric}", response_model=InsightRead, responses=_CSV
)
async def workspace_insight(
    session: DbSession,
    principal: CurrentPrincipal,
    workspace_id: Annotated[UUID, Path()],
    params: WorkspaceParams,
    format: Format = "json",
) -> InsightRead | Response:
    """A flow metric across the workspace's projects that you can see (guests: the projects
    they were given), as for a project; every metric but `burndown` (422). Each point lists
    the tasks behind it, at most 100; an answer holds at most 2000 points."""
    insight = await service.workspace_insight(
        session, principal, workspace_id=workspace_id, params=params
    )
    return _answer(insight, format)


Point = Annotated[
    int,
    Query(
        ge=0,
        lt=MAX_POINTS,
        description="The point's index in the answer's `points` (from 0), for the same parameters.",
    ),
]
Paging = Annotated[PageParams, Depends(page_params)]


@router.get("/projects/{project_id}/insights/{metric}/tasks")
async def project_insight_tasks(
    session: DbSession,
    principal: CurrentPrincipal,
    project_id: Annotated[UUID, Path()],
    params: ProjectParams,
    point: Point,
    page: Paging,
) -> InsightTasks:
    """The tasks behind one point of a metric, paged: the ids of all of them, where the
    answer's point lists only the first 100 (`task_ids_truncated`). Give the metric's
    parameters as for the answer and the point's index; `count` is its figure, `listed` how
    many can be paged through (all, or the first 1,000: past that, filter the task list)."""
    return await behind.tasks_behind(
        session, principal, project_id=project_id, params=params, point=point, page=page
    )


@router.get("/workspaces/{workspace_id}/insights/{metric}/tasks")
async def workspace_insight_tasks(
    session: DbSession,
    principal: CurrentPrincipal,
    workspace_id: Annotated[UUID, Path()],
    params: WorkspaceParams,
    point: Point,
    page: Paging,
) -> InsightTasks:
    """The tasks behind one point of a workspace's metric, paged, as for a project."""
    return await behind.tasks_behind(
        session, principal, workspace_id=workspace_id, params=params, point=point, page=page
    )
