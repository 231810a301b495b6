/** The Insights API: one metric of a project or a workspace over a period, the forecast, and
 * a metric's CSV. */
import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import type { Interval } from "./period";

type S = components["schemas"];
export type Insight = S["InsightRead"];
export type InsightPoint = S["InsightPoint"];
export type Metric = S["InsightMetric"];
export type Forecast = S["ForecastRead"];
export type ForecastRequest = S["ForecastRequest"];

/** Whose figures: one project's, or those of a workspace's projects the caller can see. */
export type Scope = { kind: "project"; id: string } | { kind: "workspace"; id: string };

export interface MetricParams {
  from: string;
  to: string;
  interval: Interval;
  q: string;
  /** burndown: the target day. */
  target?: string;
}

export const insightKeys = {
  all: ["insights"] as const,
  metric: (scope: Scope, metric: Metric, params: MetricParams) =>
    ["insights", scope.kind, scope.id, metric, params] as const,
};

function periodQuery(params: MetricParams) {
  return {
    from: params.from,
    to: params.to,
    interval: params.interval,
    q: params.q,
    ...(params.target ? { target: params.target } : {}),
  };
}

function query(params: MetricParams, format: "json" | "csv") {
  return { ...periodQuery(params), format };
}

export type InsightTasks = S["InsightTasks"];

/** Where the tasks behind a point can be paged from: its answer, and its index there. */
export interface PointSource {
  scope: Scope;
  metric: Metric;
  params: MetricParams;
  point: number;
}

/** A page of the ids of the tasks behind a point (past the first ones the point lists). */
export function fetchTasksBehind(
  source: PointSource,
  cursor: string | null,
  limit = 200,
): Promise<InsightTasks> {
  const { scope, metric, params, point } = source;
  const paging = { point, limit, ...(cursor ? { cursor } : {}) };
  if (scope.kind === "project") {
    return unwrap(
      api.GET("/api/v1/projects/{project_id}/insights/{metric}/tasks", {
        params: {
          path: { project_id: scope.id, metric },
          query: { ...periodQuery(params), ...paging },
        },
      }),
    ) as Promise<InsightTasks>;
  }
  const { target: _target, ...rest } = params;
  return unwrap(
    api.GET("/api/v1/workspaces/{workspace_id}/insights/{metric}/tasks", {
      params: {
        path: { workspace_id: scope.id, metric },
        query: { ...periodQuery(rest), ...paging },
      },
    }),
  ) as Promise<InsightTasks>;
}

function fetchMetric(scope: Scope, metric: Metric, params: MetricParams, signal?: AbortSignal) {
  if (scope.kind === "project") {
    return unwrap(
      api.GET("/api/v1/projects/{project_id}/insights/{metric}", {
        params: { path: { project_id: scope.id, metric }, query: query(params, "json") },
        signal,
      }),
    ) as Promise<Insight>;
  }
  const { target: _target, ...rest } = params;
  return unwrap(
    api.GET("/api/v1/workspaces/{workspace_id}/insights/{metric}", {
      params: { path: { workspace_id: scope.id, metric }, query: query(rest, "json") },
      signal,
    }),
  ) as Promise<Insight>;
}

export function useInsight(scope: Scope, metric: Metric, params: MetricParams) {
  return useQuery({
    queryKey: insightKeys.metric(scope, metric, params),
    queryFn: ({ signal }) => fetchMetric(scope, metric, params, signal),
    // The figures of the old period stay while the new ones load (no jumping layout).
    placeholderData: keepPreviousData,
    staleTime: 30_000,
    retry: false,
  });
}

/** The metric's points as CSV (through the API client, so an expired session is renewed). */
export async function fetchMetricCsv(
  scope: Scope,
  metric: Metric,
  params: MetricParams,
): Promise<Blob> {
  const call =
    scope.kind === "project"
      ? api.GET("/api/v1/projects/{project_id}/insights/{metric}", {
          params: { path: { project_id: scope.id, metric }, query: query(params, "csv") },
          parseAs: "blob",
        })
      : api.GET("/api/v1/workspaces/{workspace_id}/insights/{metric}", {
          params: {
            path: { workspace_id: scope.id, metric },
            query: query({ ...params, target: undefined }, "csv"),
          },
          parseAs: "blob",
        });
  return (await unwrap(
    call as Promise<{ data?: unknown; error?: unknown; response: Response }>,
  )) as Blob;
}

export function useForecast(projectId: string) {
  return useMutation({
    mutationFn: (body: ForecastRequest) =>
      unwrap(
        api.POST("/api/v1/projects/{project_id}/insights/forecast", {
          params: { path: { project_id: projectId } },
          body,
        }),
      ),
  });
}
