/** The charts' data, shaped from the API's points (pure: tested without a browser). */
import type { InsightPoint } from "./api";

const ids = (p: InsightPoint | undefined) => p?.task_ids ?? [];

export const CATEGORIES = ["backlog", "unstarted", "started", "done", "cancelled"] as const;

export type Category = (typeof CATEGORIES)[number];

export const CATEGORY_LABEL: Record<Category, string> = {
  backlog: "Backlog",
  unstarted: "To do",
  started: "In progress",
  done: "Done",
  cancelled: "Cancelled",
};

/** The row of the data a clicked bar stands for (Recharts skips empty bars in its indexes). */
export function rowOf(entry: unknown): number {
  const row = (entry as { payload?: { row?: unknown } } | null)?.payload?.row;
  return typeof row === "number" ? row : -1;
}

/** The index in `points` (an answer's) of the point `p` stands for, or -1 when `p` adds up
 * several of them (statuses of one name across a workspace) or is not one of them. */
export function pointIndex(points: InsightPoint[], p: InsightPoint): number {
  return points.findIndex(
    (o) =>
      o === p ||
      ((o.date ?? null) === (p.date ?? null) &&
        (o.category ?? null) === (p.category ?? null) &&
        (o.status_id ?? null) === (p.status_id ?? null) &&
        (o.assignee_id ?? null) === (p.assignee_id ?? null) &&
        (o.project_id ?? null) === (p.project_id ?? null) &&
        o.count === p.count),
  );
}

export function mergeStatuses(points: InsightPoint[], merge: boolean) {
  const out = new Map<string, { key: string; name: string; point: InsightPoint }>();
  for (const p of points) {
    const name = p.status_name ?? "Unknown";
    const key = merge ? `${p.category}:${name.toLowerCase()}` : (p.status_id ?? name);
    const seen = out.get(key);
    if (!seen) {
      out.set(key, { key, name, point: { ...p, task_ids: [...ids(p)] } });
      continue;
    }
    seen.point.count = (seen.point.count ?? 0) + (p.count ?? 0);
    seen.point.task_ids = [...ids(seen.point), ...ids(p)];
    seen.point.task_ids_truncated = Boolean(seen.point.task_ids_truncated || p.task_ids_truncated);
  }
  return [...out.values()];
}

export type FlowRow = { date: string; points: Partial<Record<Category, InsightPoint>> } & Record<
  Category,
  number
>;

export function flowRows(points: InsightPoint[]): FlowRow[] {
  const rows = new Map<string, FlowRow>();
  for (const p of points) {
    const date = p.date ?? "";
    let row = rows.get(date);
    if (!row) {
      row = { date, points: {}, backlog: 0, unstarted: 0, started: 0, done: 0, cancelled: 0 };
      rows.set(date, row);
    }
    const c = p.category as Category;
    if (CATEGORIES.includes(c)) {
      row[c] = p.count ?? 0;
      row.points[c] = p;
    }
  }
  return [...rows.values()].sort((a, b) => a.date.localeCompare(b.date));
}
