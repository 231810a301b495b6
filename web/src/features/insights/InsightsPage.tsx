/**
 * The Insights pages: a project's (`/p/<id>/insights`, a view of the project page) and a
 * workspace's overview across the projects you can see (`/w/<id>/insights`). The period,
 * interval and filter live in the address; every chart follows them. This module (and the
 * chart library with it) loads only when one of these pages is opened.
 */
import { useEffect, useId, useMemo, useState } from "react";
import { useLocation, useParams, useSearchParams } from "react-router";
import { ApiError } from "../../api/client";
import type { Person, Project, Task } from "../../api/types";
import { QueryInput } from "../query/QueryInput";
import { useWorkspaceVocabulary } from "../query/vocabulary";
import { setCurrentWorkspace } from "../shell/current";
import { useMembers, useProjects, useWorkspaces } from "../workspaces/api";
import { type MetricParams, type Scope, useInsight } from "./api";
import {
  AgingWipList,
  BurndownChart,
  type ChartProps,
  CumulativeFlowChart,
  DurationChart,
  OverdueList,
  StatusCountsChart,
  ThroughputChart,
  WorkloadChart,
} from "./charts";
import { ForecastPanel } from "./Forecast";
import { addDays, isDay, type Period, periodFromParams, periodParams, utcToday } from "./period";
import { type Selection, TasksDialog } from "./TasksBehind";
import "./insights.css";

/** The Insights view of a project page. Tasks open beside it, like from the board. */
export function ProjectInsights({ project, people }: { project: Project; people: Person[] }) {
  const { search } = useLocation();
  const names = useMemo(() => new Map(people.map((p) => [p.user_id, p.name])), [people]);
  return (
    <Insights
      scope={{ kind: "project", id: project.id }}
      workspaceId={project.workspace_id}
      projectId={project.id}
      names={names}
      hrefFor={(task) => `/p/${project.id}/insights/${encodeURIComponent(task.key)}${search}`}
    />
  );
}

/** The workspace overview: every metric but burndown and the forecast (those are per project). */
export function WorkspaceInsightsPage() {
  const { workspaceId = "" } = useParams();
  const workspaces = useWorkspaces();
  const workspace = workspaces.data?.find((w) => w.id === workspaceId);
  const members = useMembers(workspaceId);
  const projects = useProjects(workspaceId);
  useEffect(() => {
    if (workspaceId) setCurrentWorkspace(workspaceId);
  }, [workspaceId]);
  const names = useMemo(
    () => new Map((members.data ?? []).map((m) => [m.user_id, m.name])),
    [members.data],
  );
  return (
    <main className="page insights-page">
      <h1>Insights{workspace ? `: ${workspace.name}` : ""}</h1>
      <p className="muted">
        Across {projectsText(projects.data?.length)} of this workspace that you can see. Burndown
        and the forecast are on each project's Insights page.
      </p>
      <Insights
        scope={{ kind: "workspace", id: workspaceId }}
        workspaceId={workspaceId}
        names={names}
        hrefFor={(task) => `/p/${task.project_id}/board/${encodeURIComponent(task.key)}`}
      />
    </main>
  );
}

function Insights({
  scope,
  workspaceId,
  projectId,
  names,
  hrefFor,
}: {
  scope: Scope;
  workspaceId: string | undefined;
  projectId?: string;
  names: Map<string, string>;
  hrefFor: (task: Task) => string;
}) {
  const [search, setSearch] = useSearchParams();
  const today = utcToday();
  const period = periodFromParams(search, today);
  const q = search.get("q") ?? "";
  const rawTarget = search.get("target");
  const target = isDay(rawTarget) && rawTarget >= period.from ? rawTarget : addDays(period.to, 14);
  const params: MetricParams = { from: period.from, to: period.to, interval: period.interval, q };
  const [selection, setSelection] = useState<Selection | null>(null);
  const props: ChartProps = { scope, params, names, select: setSelection, hrefFor };

  const update = (next: Partial<Period>, extra?: Record<string, string>) => {
    const out = periodParams({ ...period, ...next }, search);
    for (const [k, v] of Object.entries(extra ?? {})) {
      if (v) out.set(k, v);
      else out.delete(k);
    }
    setSearch(out, { replace: true });
  };

  // The filter's problem (a query the API cannot read) is said once, at the box.
  const counts = useInsight(scope, "status-counts", params);
  const problem =
    counts.error instanceof ApiError && counts.error.status === 422 ? counts.error : null;
  const s = counts.data?.summary;
  const openCount = s ? (s.backlog ?? 0) + (s.unstarted ?? 0) + (s.started ?? 0) : null;

  return (
    <div className="insights">
      <Controls
        period={period}
        q={q}
        workspaceId={workspaceId}
        projectId={projectId}
        problem={problem ? (problem.problem.errors?.[0]?.message ?? problem.message) : null}
        onPeriod={update}
        onQuery={(text) => update({}, { q: text.trim() })}
      />
      {counts.isFetching && !counts.isPending && (
        <p className="sr-only" role="status">
          Updating the charts…
        </p>
      )}
      <div className="insight-grid">
        <StatusCountsChart {...props} />
        <ThroughputChart {...props} />
        <DurationChart {...props} metric="cycle-time" />
        <DurationChart {...props} metric="lead-time" />
        <CumulativeFlowChart {...props} />
        {scope.kind === "project" && (
          <BurndownChart
            {...props}
            params={{ ...params, target }}
            actions={
              <label className="inline-field">
                <span>Target</span>
                <input
                  type="date"
                  value={target}
                  min={period.from}
                  onChange={(e) => {
                    if (isDay(e.target.value)) update({}, { target: e.target.value });
                  }}
                />
              </label>
            }
          />
        )}
        <WorkloadChart {...props} />
        <AgingWipList {...props} />
        <OverdueList {...props} />
        {scope.kind === "project" && (
          // A new filter is a new question: the old answer goes.
          <ForecastPanel key={q} projectId={scope.id} q={q} openCount={openCount} />
        )}
      </div>
      <TasksDialog selection={selection} onClose={() => setSelection(null)} hrefFor={hrefFor} />
    </div>
  );
}

function Controls({
  period,
  q,
  workspaceId,
  projectId,
  problem,
  onPeriod,
  onQuery,
}: {
  period: Period;
  q: string;
  workspaceId: string | undefined;
  projectId?: string;
  problem: string | null;
  onPeriod: (next: Partial<Period>) => void;
  onQuery: (text: string) => void;
}) {
  const [draft, setDraft] = useState(q);
  useEffect(() => setDraft(q), [q]);
  const [suggesting, setSuggesting] = useState(false);
  const vocabulary = useWorkspaceVocabulary(workspaceId, { enabled: suggesting, projectId });
  const queryId = useId();
  const errorId = useId();
  return (
    <form
      className="insight-controls"
      aria-label="Period and filter"
      onSubmit={(e) => {
        e.preventDefault();
        onQuery(draft);
      }}
    >
      <label>
        <span>Period</span>
        <select
          value={period.preset}
          onChange={(e) => onPeriod({ preset: e.target.value as Period["preset"] })}
        >
          <option value="30">Last 30 days</option>
          <option value="90">Last 90 days</option>
          <option value="custom">Custom</option>
        </select>
      </label>
      {period.preset === "custom" && (
        <>
          <label>
            <span>From</span>
            <input
              type="date"
              value={period.from}
              max={period.to}
              onChange={(e) => isDay(e.target.value) && onPeriod({ from: e.target.value })}
            />
          </label>
          <label>
            <span>To</span>
            <input
              type="date"
              value={period.to}
              min={period.from}
              onChange={(e) => isDay(e.target.value) && onPeriod({ to: e.target.value })}
            />
          </label>
        </>
      )}
      <fieldset className="segmented">
        <legend>Interval</legend>
        {(["day", "week"] as const).map((i) => (
          <label key={i}>
            <input
              type="radio"
              name="interval"
              value={i}
              checked={period.interval === i}
              onChange={() => onPeriod({ interval: i })}
            />
            <span>{i === "day" ? "Day" : "Week"}</span>
          </label>
        ))}
      </fieldset>
      <div className="query-input">
        <label htmlFor={queryId}>Filter</label>
        <QueryInput
          id={queryId}
          value={draft}
          onChange={setDraft}
          onFocus={() => setSuggesting(true)}
          vocabulary={vocabulary}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? errorId : undefined}
          placeholder="label:bug assignee:ada priority:high"
        />
      </div>
      <button type="submit">Apply</button>
      {problem && (
        <p id={errorId} className="query-error" role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}

function projectsText(n: number | undefined): string {
  if (n === undefined) return "the projects";
  return n === 1 ? "the one project" : `the ${n} projects`;
}
