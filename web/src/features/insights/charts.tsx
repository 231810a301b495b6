/**
 * The charts of the Insights page (Recharts; this module and the library load only with the
 * page). Each one asks for its metric, says its figures in a sentence, draws them, and opens
 * the tasks behind a bar or point when it is clicked (or its row in the figures table).
 */
import { type ReactNode, useId } from "react";
import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  LabelList,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import type { Task } from "../../api/types";
import {
  fetchMetricCsv,
  type InsightPoint,
  type Metric,
  type MetricParams,
  type PointSource,
  type Scope,
  useInsight,
} from "./api";
import { ChartCard } from "./ChartCard";
import { bucketLabel, dayLabel, daysText } from "./period";
import { chartFilename, saveBlob } from "./png";
import {
  CATEGORIES,
  CATEGORY_LABEL,
  type Category,
  flowRows,
  mergeStatuses,
  pointIndex,
  rowOf,
} from "./series";
import { type Selection, TaskLinks } from "./TasksBehind";

const catColor = (c: string) => `var(--cat-${c}, var(--muted))`;
const catLabel = (c: string | null | undefined) =>
  CATEGORY_LABEL[(c ?? "") as Category] ?? c ?? "Unknown";

export interface ChartProps {
  scope: Scope;
  params: MetricParams;
  /** People's names by user id (workload). */
  names: Map<string, string>;
  select: (selection: Selection) => void;
  hrefFor: (task: Task) => string;
}

const HEIGHT = 240;
const AXIS = { fill: "var(--muted)", fontSize: 12 };
const TOOLTIP = {
  contentStyle: {
    background: "var(--panel)",
    border: "1px solid var(--border)",
    borderRadius: 6,
    color: "var(--text)",
  },
  itemStyle: { color: "var(--text)" },
  labelStyle: { color: "var(--text)", fontWeight: 600 },
  cursor: { fill: "var(--panel-2)", stroke: "var(--border)" },
  isAnimationActive: false,
} as const;

const ids = (p: InsightPoint | undefined) => p?.task_ids ?? [];
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function group(label: string, p: InsightPoint | undefined, source?: PointSource) {
  return {
    label,
    ids: ids(p),
    count: p?.count ?? 0,
    truncated: p?.task_ids_truncated ?? false,
    source,
  };
}

/** `group` for the points of one answer: a group whose point lists only its first tasks can
 * page the rest. */
function grouper(scope: Scope, metric: Metric, params: MetricParams, points: InsightPoint[]) {
  return (label: string, p: InsightPoint | undefined) => {
    const point = p ? pointIndex(points, p) : -1;
    return group(label, p, point < 0 ? undefined : { scope, metric, params, point });
  };
}

function useCsv(scope: Scope, metric: Metric, params: MetricParams) {
  return async () => {
    const blob = await fetchMetricCsv(scope, metric, params);
    saveBlob(blob, chartFilename(metric, params.from, params.to, "csv"));
  };
}

const png = (metric: Metric, params: MetricParams) =>
  chartFilename(metric, params.from, params.to, "png");

/** The index of the bar or point under a click on the chart, if any. */
function clicked(state: { activeTooltipIndex?: number | string | null | undefined }) {
  if (state.activeTooltipIndex === null || state.activeTooltipIndex === undefined) return null;
  const index = Number(state.activeTooltipIndex);
  return Number.isInteger(index) && index >= 0 ? index : null;
}

/** A hatch pattern per category, so stacked areas and bars differ by more than their colour. */
function Patterns({ prefix }: { prefix: string }) {
  return (
    <defs>
      {CATEGORIES.map((c, i) => (
        <pattern
          key={c}
          id={`${prefix}-${c}`}
          width="6"
          height="6"
          patternUnits="userSpaceOnUse"
          patternTransform={`rotate(${[0, 45, 90, 135, 0][i]})`}
        >
          <rect width="6" height="6" fill={catColor(c)} />
          {c !== "done" && (
            <line
              x1="0"
              y1="0"
              x2="0"
              y2="6"
              stroke="var(--panel)"
              strokeOpacity={c === "cancelled" ? 0.7 : 0.45}
              strokeWidth={c === "backlog" ? 1 : 2}
            />
          )}
        </pattern>
      ))}
    </defs>
  );
}

function Swatch({ category, prefix }: { category: string; prefix?: string }) {
  return (
    <svg className="swatch" width="12" height="12" aria-hidden="true">
      {prefix && <Patterns prefix={`${prefix}-sw`} />}
      <rect
        width="12"
        height="12"
        fill={prefix ? `url(#${prefix}-sw-${category})` : catColor(category)}
        stroke="var(--border)"
      />
    </svg>
  );
}

function LineSwatch({ color, dash }: { color: string; dash?: string }) {
  return (
    <svg className="swatch line" width="22" height="12" aria-hidden="true">
      <line x1="0" y1="6" x2="22" y2="6" stroke={color} strokeWidth="2.5" strokeDasharray={dash} />
    </svg>
  );
}

/** A table of figures, each row with a button for the tasks behind it. */
function Figures({
  caption,
  columns,
  rows,
}: {
  caption: string;
  columns: string[];
  rows: Array<{ key: string; cells: ReactNode[]; open?: () => void; count?: number }>;
}) {
  return (
    <div className="table-scroll">
      <table className="figures-table">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
            <th scope="col">
              <span className="sr-only">Tasks</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key}>
              {r.cells.map((cell, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: the columns are fixed
                <td key={i}>{cell}</td>
              ))}
              <td>
                {r.open && (r.count ?? 1) > 0 && (
                  <button type="button" className="link small" onClick={r.open}>
                    Tasks
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// --- status counts ---------------------------------------------------------------------------

export function StatusCountsChart({ scope, params, select }: ChartProps) {
  const metric = "status-counts";
  const q = useInsight(scope, metric, params);
  const behind = grouper(scope, metric, params, q.data?.points ?? []);
  const csv = useCsv(scope, metric, params);
  const prefix = useId().replace(/:/g, "");
  // Across a workspace, statuses of the same name and category add up.
  const bars = mergeStatuses(q.data?.points ?? [], scope.kind === "workspace");
  const total = q.data?.summary.count ?? 0;
  const title = "Tasks by status";
  const open = (b: (typeof bars)[number]) =>
    select({ title: `${b.name}: tasks now`, groups: [behind(b.name, b.point)] });
  const summary = `${plural(total, "task")} now: ${bars.map((b) => `${b.name} ${b.point.count}`).join(", ") || "none"}.`;
  return (
    <ChartCard
      title={title}
      summary={summary}
      pending={q.isPending}
      error={q.error}
      onCsv={csv}
      pngName={png(metric, params)}
      legend={CATEGORIES.map((c) => ({
        label: CATEGORY_LABEL[c],
        color: catColor(c),
        swatch: <Swatch category={c} prefix={prefix} />,
      }))}
      figures={
        <Figures
          caption={title}
          columns={["Status", "Category", "Tasks"]}
          rows={bars.map((b) => ({
            key: b.key,
            cells: [b.name, catLabel(b.point.category), b.point.count],
            count: b.point.count,
            open: () => open(b),
          }))}
        />
      }
    >
      <ResponsiveContainer width="100%" height={HEIGHT}>
        <BarChart
          data={bars.map((b, row) => ({
            row,
            name: b.name,
            count: b.point.count ?? 0,
            category: b.point.category,
          }))}
          margin={{ top: 20, right: 8, bottom: 0, left: 0 }}
          accessibilityLayer={false}
        >
          <Patterns prefix={prefix} />
          <CartesianGrid stroke="var(--border)" vertical={false} />
          <XAxis dataKey="name" tick={AXIS} stroke="var(--border)" interval={0} />
          <YAxis allowDecimals={false} tick={AXIS} stroke="var(--border)" width={36} />
          <Tooltip {...TOOLTIP} formatter={(v) => [v, "Tasks"]} />
          <Bar
            dataKey="count"
            name="Tasks"
            isAnimationActive={false}
            cursor="pointer"
            onClick={(entry) => {
              const bar = bars[rowOf(entry)];
              if (bar) open(bar);
            }}
          >
            {bars.map((b) => (
              <Cell
                key={b.key}
                className={`bar-${b.point.category}`}
                fill={`url(#${prefix}-${b.point.category ?? "backlog"})`}
                stroke={catColor(b.point.category ?? "")}
              />
            ))}
            <LabelList dataKey="count" position="top" fill="var(--text)" fontSize={12} />
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

// --- throughput ------------------------------------------------------------------------------

export function ThroughputChart({ scope, params, select }: ChartProps) {
  const metric = "throughput";
  const q = useInsight(scope, metric, params);
  const behind = grouper(scope, metric, params, q.data?.points ?? []);
  const csv = useCsv(scope, metric, params);
  const points = q.data?.points ?? [];
  const s = q.data?.summary ?? {};
  const per = params.interval === "week" ? "week" : "day";
  const title = `Throughput per ${per}`;
  const open = (p: InsightPoint) =>
    select({
      title: `Finished in the ${per} of ${dayLabel(p.date ?? "")}`,
      groups: [behind("Finished", p)],
    });
  const best = points.reduce<InsightPoint | null>(
    (a, p) => (!a || (p.count ?? 0) > (a.count ?? 0) ? p : a),
    null,
  );
  const summary = `${plural(s.count ?? 0, "task")} finished from ${dayLabel(params.from)} to ${dayLabel(params.to)}; ${round(s.mean_per_interval)} per ${per} on average${best?.count ? `, most in the ${per} of ${dayLabel(best.date ?? "")} (${best.count})` : ""}.`;
  return (
    <ChartCard
      title={title}
      summary={summary}
      pending={q.isPending}
      error={q.error}
      onCsv={csv}
      pngName={png(metric, params)}
      legend={[{ label: "Tasks finished", color: "var(--cat-done)" }]}
      figures={
        <Figures
          caption={title}
          columns={[per === "week" ? "Week" : "Day", "Finished"]}
          rows={points.map((p) => ({
            key: p.date ?? "",
            cells: [bucketLabel(p.date ?? "", params.interval), p.count],
            count: p.count,
            open: () => open(p),
          }))}
        />
      }
    >
      <ResponsiveContainer width="100%" height={HEIGHT}>
        <BarChart
          data={points.map((p, row) => ({ row, date: p.date, count: p.count ?? 0 }))}
          margin={{ top: 20, right: 8, bottom: 0, left: 0 }}
          accessibilityLayer={false}
        >
          <CartesianGrid stroke="var(--border)" vertical={false} />
          <XAxis
            dataKey="date"
            tick={AXIS}
            stroke="var(--border)"
            tickFormatter={(d) => dayLabel(String(d))}
          />
          <YAxis allowDecimals={false} tick={AXIS} stroke="var(--border)" width={36} />
          <Tooltip
            {...TOOLTIP}
            labelFormatter={(d) => bucketLabel(String(d), params.interval)}
            formatter={(v) => [v, "Finished"]}
          />
          <Bar
            dataKey="count"
            name="Finished"
            fill="var(--cat-done)"
            isAnimationActive={false}
            cursor="pointer"
            onClick={(entry) => {
              const p = points[rowOf(entry)];
              if (p) open(p);
            }}
          >
            <LabelList
              dataKey="count"
              position="top"
              fill="var(--text)"
              fontSize={12}
              formatter={(v: unknown) => (v ? String(v) : "")}
            />
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

function round(n: number | null | undefined): string {
  if (n === null || n === undefined) return "0";
  return String(Math.round(n * 10) / 10);
}

// --- cycle time / lead time ------------------------------------------------------------------

export function DurationChart({
  scope,
  params,
  select,
  metric,
}: ChartProps & { metric: "cycle-time" | "lead-time" }) {
  const q = useInsight(scope, metric, params);
  const csv = useCsv(scope, metric, params);
  const points = q.data?.points ?? [];
  const s = q.data?.summary ?? {};
  const lead = metric === "lead-time";
  const title = lead ? "Lead time" : "Cycle time";
  const what = lead ? "from created to finished" : "from started to finished";
  const data = points.map((p) => ({
    x: Date.parse(`${p.date}T12:00:00Z`),
    days: p.days ?? 0,
    point: p,
  }));
  const open = (p: InsightPoint) =>
    select({
      title: `${title}: ${daysText(p.days)}, finished ${dayLabel(p.date ?? "")}`,
      groups: [group("Finished", p)],
    });
  const summary = s.count
    ? `${plural(s.count, "task")} finished, ${what}: median ${daysText(s.median_days)}, 85% within ${daysText(s.p85_days)}, 95% within ${daysText(s.p95_days)}.${s.excluded ? ` ${plural(s.excluded, "task")} left out (never started).` : ""}`
    : `No task finished in this period${s.excluded ? ` (${plural(s.excluded, "task")} left out: never started)` : ""}.`;
  const from = Date.parse(`${params.from}T00:00:00Z`);
  const to = Date.parse(`${params.to}T23:59:59Z`);
  return (
    <ChartCard
      title={title}
      summary={summary}
      pending={q.isPending}
      error={q.error}
      onCsv={csv}
      pngName={png(metric, params)}
      legend={[
        {
          label: "One finished task",
          color: "var(--accent)",
          swatch: <span className="swatch dot" aria-hidden="true" />,
        },
        {
          label: `Median (${daysText(s.median_days)})`,
          color: "var(--text)",
          swatch: <LineSwatch color="var(--text)" dash="6 3" />,
        },
        {
          label: `85th percentile (${daysText(s.p85_days)})`,
          color: "var(--danger)",
          swatch: <LineSwatch color="var(--danger)" dash="2 3" />,
        },
      ]}
      figures={
        <Figures
          caption={title}
          columns={["Finished", "Days"]}
          rows={points.map((p, i) => ({
            key: `${ids(p)[0] ?? i}`,
            cells: [dayLabel(p.date ?? ""), daysText(p.days)],
            open: () => open(p),
          }))}
        />
      }
    >
      <ResponsiveContainer width="100%" height={HEIGHT}>
        <ScatterChart
          margin={{ top: 16, right: 16, bottom: 0, left: 0 }}
          accessibilityLayer={false}
        >
          <CartesianGrid stroke="var(--border)" />
          <XAxis
            type="number"
            dataKey="x"
            domain={[from, to]}
            tick={AXIS}
            stroke="var(--border)"
            tickFormatter={(t) => dayLabel(new Date(Number(t)).toISOString().slice(0, 10))}
            name="Finished"
          />
          <YAxis
            type="number"
            dataKey="days"
            tick={AXIS}
            stroke="var(--border)"
            width={36}
            name="Days"
            unit="d"
          />
          <Tooltip
            {...TOOLTIP}
            cursor={{ stroke: "var(--border)" }}
            formatter={(v, name) =>
              name === "Finished"
                ? [dayLabel(new Date(Number(v)).toISOString().slice(0, 10)), name]
                : [daysText(Number(v)), title]
            }
          />
          {s.median_days != null && (
            <ReferenceLine
              y={s.median_days}
              stroke="var(--text)"
              strokeDasharray="6 3"
              label={{
                value: `median ${daysText(s.median_days)}`,
                position: "insideBottomLeft",
                fill: "var(--text)",
                fontSize: 11,
              }}
            />
          )}
          {s.p85_days != null && (
            <ReferenceLine
              y={s.p85_days}
              stroke="var(--danger)"
              strokeDasharray="2 3"
              label={{
                value: `85% ${daysText(s.p85_days)}`,
                position: "insideBottomRight",
                fill: "var(--danger)",
                fontSize: 11,
              }}
            />
          )}
          <Scatter
            data={data}
            fill="var(--accent)"
            isAnimationActive={false}
            cursor="pointer"
            onClick={(d: { payload?: { point?: InsightPoint } }) => {
              if (d?.payload?.point) open(d.payload.point);
            }}
          />
        </ScatterChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

// --- cumulative flow -------------------------------------------------------------------------

/** Bottom to top: what is done under what is still open. */
const FLOW_ORDER: Category[] = ["done", "started", "unstarted", "backlog"];

export function CumulativeFlowChart({ scope, params, select }: ChartProps) {
  const metric = "cumulative-flow";
  const q = useInsight(scope, metric, params);
  const behind = grouper(scope, metric, params, q.data?.points ?? []);
  const csv = useCsv(scope, metric, params);
  const prefix = useId().replace(/:/g, "");
  const rows = flowRows(q.data?.points ?? []);
  const last = rows.at(-1);
  const title = "Cumulative flow";
  const open = (row: (typeof rows)[number]) =>
    select({
      title: `Tasks by category at the end of ${bucketLabel(row.date, params.interval)}`,
      groups: [...FLOW_ORDER, "cancelled" as const]
        .reverse()
        .map((c) => behind(CATEGORY_LABEL[c], row.points[c])),
    });
  const summary = last
    ? `At the end of ${dayLabel(params.to)}: ${FLOW_ORDER.map((c) => `${CATEGORY_LABEL[c]} ${last[c]}`).join(", ")}. First: ${FLOW_ORDER.map((c) => `${CATEGORY_LABEL[c]} ${rows[0]?.[c] ?? 0}`).join(", ")} (${bucketLabel(rows[0]?.date ?? "", params.interval)}).`
    : "No tasks in this period.";
  return (
    <ChartCard
      title={title}
      summary={summary}
      pending={q.isPending}
      error={q.error}
      onCsv={csv}
      pngName={png(metric, params)}
      wide
      legend={[...FLOW_ORDER].reverse().map((c) => ({
        label: CATEGORY_LABEL[c],
        color: catColor(c),
        swatch: <Swatch category={c} prefix={prefix} />,
      }))}
      figures={
        <Figures
          caption={title}
          columns={[
            params.interval === "week" ? "Week" : "Day",
            ...FLOW_ORDER.map((c) => CATEGORY_LABEL[c]),
          ]}
          rows={rows.map((r) => ({
            key: r.date,
            cells: [bucketLabel(r.date, params.interval), ...FLOW_ORDER.map((c) => r[c])],
            open: () => open(r),
          }))}
        />
      }
    >
      <ResponsiveContainer width="100%" height={HEIGHT + 40}>
        <AreaChart
          data={rows}
          margin={{ top: 8, right: 8, bottom: 0, left: 0 }}
          accessibilityLayer={false}
          onClick={(st) => {
            const i = clicked(st);
            const row = i === null ? undefined : rows[i];
            if (row) open(row);
          }}
        >
          <Patterns prefix={prefix} />
          <CartesianGrid stroke="var(--border)" vertical={false} />
          <XAxis
            dataKey="date"
            tick={AXIS}
            stroke="var(--border)"
            tickFormatter={(d) => dayLabel(String(d))}
          />
          <YAxis allowDecimals={false} tick={AXIS} stroke="var(--border)" width={36} />
          <Tooltip
            {...TOOLTIP}
            cursor={{ stroke: "var(--text)" }}
            labelFormatter={(d) => bucketLabel(String(d), params.interval)}
          />
          {FLOW_ORDER.map((c) => (
            <Area
              key={c}
              type="linear"
              dataKey={c}
              name={CATEGORY_LABEL[c]}
              stackId="flow"
              stroke={catColor(c)}
              strokeWidth={1.5}
              fill={`url(#${prefix}-${c})`}
              fillOpacity={0.9}
              isAnimationActive={false}
              cursor="pointer"
            />
          ))}
        </AreaChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

// --- burndown / burnup -----------------------------------------------------------------------

export function BurndownChart({
  scope,
  params,
  select,
  actions,
}: ChartProps & { actions?: ReactNode }) {
  const metric = "burndown";
  const q = useInsight(scope, metric, params);
  const behind = grouper(scope, metric, params, q.data?.points ?? []);
  const csv = useCsv(scope, metric, params);
  const points = q.data?.points ?? [];
  const s = q.data?.summary ?? {};
  const target = q.data?.target ?? params.target ?? params.to;
  const title = "Burndown and burnup";
  const open = (p: InsightPoint) =>
    select({
      title: `Remaining at the end of ${dayLabel(p.date ?? "")}`,
      groups: [behind("Remaining", p)],
    });
  const scopeText = params.q ? `the tasks matching “${params.q}”` : "every task of the project";
  const summary = `Scope: ${scopeText}, from ${dayLabel(params.from)} to the target ${dayLabel(target)}. Now ${s.done ?? 0} of ${s.scope ?? 0} done, ${s.remaining ?? 0} remaining.`;
  const LINES = [
    { key: "remaining", label: "Remaining (burndown)", color: "var(--accent)", dash: undefined },
    { key: "done", label: "Done (burnup)", color: "var(--cat-done)", dash: "8 3" },
    { key: "scope", label: "Scope", color: "var(--text)", dash: "2 2" },
    { key: "ideal", label: "Ideal", color: "var(--muted)", dash: "5 5" },
  ] as const;
  return (
    <ChartCard
      title={title}
      summary={summary}
      pending={q.isPending}
      error={q.error}
      onCsv={csv}
      pngName={png(metric, { ...params, to: target })}
      wide
      actions={actions}
      legend={LINES.map((l) => ({
        label: l.label,
        color: l.color,
        swatch: <LineSwatch color={l.color} dash={l.dash} />,
      }))}
      figures={
        <Figures
          caption={title}
          columns={["Day", "Scope", "Done", "Remaining", "Ideal"]}
          rows={points
            .filter((p) => p.remaining != null)
            .map((p) => ({
              key: p.date ?? "",
              cells: [dayLabel(p.date ?? ""), p.scope, p.done, p.remaining, round(p.ideal)],
              count: p.remaining ?? 0,
              open: () => open(p),
            }))}
        />
      }
    >
      <ResponsiveContainer width="100%" height={HEIGHT + 40}>
        <LineChart
          data={points}
          margin={{ top: 8, right: 16, bottom: 0, left: 0 }}
          accessibilityLayer={false}
          onClick={(st) => {
            const i = clicked(st);
            const p = i === null ? undefined : points[i];
            if (p && p.remaining != null) open(p);
          }}
        >
          <CartesianGrid stroke="var(--border)" vertical={false} />
          <XAxis
            dataKey="date"
            tick={AXIS}
            stroke="var(--border)"
            tickFormatter={(d) => dayLabel(String(d))}
          />
          <YAxis allowDecimals={false} tick={AXIS} stroke="var(--border)" width={36} />
          <Tooltip
            {...TOOLTIP}
            cursor={{ stroke: "var(--text)" }}
            labelFormatter={(d) => dayLabel(String(d))}
          />
          {LINES.map((l) => (
            <Line
              key={l.key}
              type="linear"
              dataKey={l.key}
              name={l.label}
              stroke={l.color}
              strokeWidth={l.key === "remaining" ? 2.5 : 2}
              strokeDasharray={l.dash}
              dot={false}
              connectNulls={false}
              isAnimationActive={false}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

// --- workload --------------------------------------------------------------------------------

export function WorkloadChart({ scope, params, select, names }: ChartProps) {
  const metric = "workload";
  const q = useInsight(scope, metric, params);
  const behind = grouper(scope, metric, params, q.data?.points ?? []);
  const csv = useCsv(scope, metric, params);
  const points = q.data?.points ?? [];
  const nameOf = (p: InsightPoint) =>
    p.assignee_id ? (names.get(p.assignee_id) ?? "Someone") : "Unassigned";
  const data = points.map((p, row) => ({
    row,
    name: nameOf(p),
    count: p.count ?? 0,
    estimate: p.estimate ?? 0,
  }));
  const title = "Workload per person";
  const open = (p: InsightPoint) =>
    select({ title: `Open tasks of ${nameOf(p)}`, groups: [behind("Open", p)] });
  const summary = points.length
    ? `${plural(q.data?.summary.count ?? 0, "open task")}: ${points.map((p) => `${nameOf(p)} ${p.count} (${round(p.estimate)} points, ${p.scope ?? 0} in progress)`).join("; ")}.`
    : "No open tasks.";
  return (
    <ChartCard
      title={title}
      summary={summary}
      pending={q.isPending}
      error={q.error}
      onCsv={csv}
      pngName={png(metric, params)}
      legend={[
        { label: "Open tasks", color: "var(--accent)" },
        {
          label: "Estimate (points)",
          color: "var(--cat-unstarted)",
          swatch: <Swatch category="unstarted" prefix="wl" />,
        },
      ]}
      figures={
        <Figures
          caption={title}
          columns={["Person", "Open tasks", "In progress", "Points"]}
          rows={points.map((p) => ({
            key: p.assignee_id ?? "none",
            cells: [nameOf(p), p.count, p.scope ?? 0, round(p.estimate)],
            count: p.count,
            open: () => open(p),
          }))}
        />
      }
    >
      <ResponsiveContainer width="100%" height={HEIGHT}>
        <BarChart
          data={data}
          margin={{ top: 20, right: 8, bottom: 0, left: 0 }}
          accessibilityLayer={false}
        >
          <Patterns prefix="wl" />
          <CartesianGrid stroke="var(--border)" vertical={false} />
          <XAxis dataKey="name" tick={AXIS} stroke="var(--border)" interval={0} />
          <YAxis
            yAxisId="count"
            allowDecimals={false}
            tick={AXIS}
            stroke="var(--border)"
            width={36}
          />
          <YAxis
            yAxisId="estimate"
            orientation="right"
            tick={AXIS}
            stroke="var(--border)"
            width={36}
          />
          <Tooltip {...TOOLTIP} />
          <Bar
            yAxisId="count"
            dataKey="count"
            name="Open tasks"
            fill="var(--accent)"
            isAnimationActive={false}
            cursor="pointer"
            onClick={(entry) => {
              const p = points[rowOf(entry)];
              if (p) open(p);
            }}
          >
            <LabelList dataKey="count" position="top" fill="var(--text)" fontSize={12} />
          </Bar>
          <Bar
            yAxisId="estimate"
            dataKey="estimate"
            name="Estimate (points)"
            fill="url(#wl-unstarted)"
            stroke="var(--cat-unstarted)"
            isAnimationActive={false}
            cursor="pointer"
            onClick={(entry) => {
              const p = points[rowOf(entry)];
              if (p) open(p);
            }}
          >
            <LabelList
              dataKey="estimate"
              position="top"
              fill="var(--muted)"
              fontSize={11}
              formatter={(v: unknown) => `${v} pt`}
            />
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

// --- ageing work in progress and overdue (lists) ---------------------------------------------

/** A card listing the tasks of a per-task metric (one point each), with a figure per task. */
function TaskListCard({
  title,
  metric,
  summary,
  label,
  extra,
  scope,
  params,
  hrefFor,
}: ChartProps & {
  title: string;
  metric: "aging-wip" | "overdue";
  summary: (points: InsightPoint[], figures: Record<string, number | null | undefined>) => string;
  label: string;
  extra: (point: InsightPoint | undefined) => ReactNode;
}) {
  const q = useInsight(scope, metric, params);
  const csv = useCsv(scope, metric, params);
  const points = q.data?.points ?? [];
  const byId = new Map(points.map((p) => [ids(p)[0] ?? "", p]));
  return (
    <ChartCard
      title={title}
      summary={summary(points, q.data?.summary ?? {})}
      pending={q.isPending}
      error={q.error}
      onCsv={csv}
      controls={
        points.length > 0 && (
          <TaskLinks
            ids={points.map((p) => ids(p)[0] ?? "")}
            limit={30}
            hrefFor={hrefFor}
            label={label}
            extra={(id) => extra(byId.get(id))}
          />
        )
      }
    />
  );
}

export function AgingWipList(props: ChartProps) {
  return (
    <TaskListCard
      {...props}
      title="Ageing work in progress"
      metric="aging-wip"
      label="Tasks in progress, oldest first"
      summary={(points, s) =>
        points.length
          ? `${plural(points.length, "task")} in progress${s.usual_days != null ? `; ${s.over_usual ?? 0} longer than usual (more than ${daysText(s.usual_days)}, the 85th percentile of cycle time)` : ""}. Oldest first.`
          : "Nothing is in progress."
      }
      extra={(p) => (
        <span className={`insight-task-extra${p?.over_usual ? " over" : ""}`}>
          {daysText(p?.days)} in progress
          {p?.over_usual && <strong className="flag">⚠ Over usual</strong>}
        </span>
      )}
    />
  );
}

export function OverdueList(props: ChartProps) {
  return (
    <TaskListCard
      {...props}
      title="Overdue"
      metric="overdue"
      label="Overdue tasks, longest first"
      summary={(points) =>
        points.length
          ? `${plural(points.length, "open task")} past due, longest first.`
          : "Nothing is overdue."
      }
      extra={(p) => (
        <span className="insight-task-extra over">
          due {dayLabel(p?.date ?? "", props.params.to.slice(0, 4))} · {daysText(p?.days)} late
        </span>
      )}
    />
  );
}
