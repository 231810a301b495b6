/** How many tasks each status holds (GET /projects/{id}/task-counts), kept current by events. */
import type { QueryClient } from "@tanstack/react-query";
import type { TaskCounts } from "../../api/types";
import type { LiveEvent } from "../realtime/live";

/** The counts as the server sent them, with the event position they reflect (`X-Event-Seq`,
 * raised by every event applied since). */
export type Counts = TaskCounts & { seq: number | null };

export const countKeys = {
  /** Not under ["tasks", projectId]: a rolled-back optimistic write restores those caches,
   * and must not undo the events applied to these meanwhile. */
  all: (projectId: string) => ["taskCounts", projectId] as const,
  /** `query`: the task list's filters, as sent (without the sort). */
  one: (projectId: string, query: Record<string, unknown>) =>
    ["taskCounts", projectId, query] as const,
};

/** A change to the counts per status id; null when the event alone does not tell. */
export type Delta = Map<string, number> | null;

/** What a task event does to the unfiltered counts. `statusOf` finds the status a task was in
 * (a deleted task's event does not say). */
export function countsDelta(
  event: LiveEvent,
  statusOf: (taskId: string) => string | undefined,
): Delta {
  const delta = new Map<string, number>();
  const add = (statusId: unknown, n: number) => {
    if (typeof statusId === "string") delta.set(statusId, (delta.get(statusId) ?? 0) + n);
  };
  const status = event.changes?.status_id;
  switch (event.type) {
    case "task.created":
      if (typeof status?.to !== "string") return null;
      add(status.to, 1);
      return delta;
    case "task.updated":
    case "task.moved":
      if (status && status.from !== status.to) {
        if (typeof status.from !== "string" || typeof status.to !== "string") return null;
        add(status.from, -1);
        add(status.to, 1);
      }
      return delta;
    case "task.deleted": {
      const from = event.task_id ? statusOf(event.task_id) : undefined;
      if (!from) return null;
      add(from, -1);
      return delta;
    }
    case "task.restored":
      return null; // back in a status the event does not name
    default:
      return delta; // relations and the like: no task changed status
  }
}

export function applyDelta(counts: Counts, delta: Map<string, number>, seq: number): Counts {
  let total = counts.total;
  const by_status = counts.by_status.map((entry) => {
    const n = delta.get(entry.status_id);
    if (!n) return entry;
    total += n;
    return { ...entry, count: Math.max(0, entry.count + n) };
  });
  for (const [statusId, n] of delta) {
    if (n > 0 && !by_status.some((e) => e.status_id === statusId)) {
      by_status.push({ status_id: statusId, count: n });
      total += n;
    }
  }
  return { ...counts, total: Math.max(0, total), by_status, seq };
}

/** The task fields each list filter reads. */
const FILTERED_FIELDS: Record<string, string[]> = {
  status_id: ["status_id"],
  priority: ["priority"],
  assignee_id: ["assignee_ids"],
  label_id: ["label_ids"],
  due_before: ["due_date"],
  due_after: ["due_date"],
  q: ["title", "description"],
};

/** Whether an event can change counts taken with these filters (whether the task passes
 * them is not known here: the server is asked again). */
function mayChange(filters: Record<string, unknown>, event: LiveEvent): boolean {
  if (["task.created", "task.deleted", "task.restored"].includes(event.type)) return true;
  const changed = Object.keys(event.changes ?? {});
  const read = ["status_id", ...Object.keys(filters).flatMap((f) => FILTERED_FIELDS[f] ?? [f])];
  return changed.some((field) => read.includes(field));
}

/** What one task event does to one cached counts entry (`filters`: what it was asked with):
 * a new value, `"refetch"` when it cannot be worked out here (filtered counts, a restore, ...),
 * or the same object when the event changes nothing in it or is already reflected in it. */
export function countsAfter(
  counts: Counts,
  filters: Record<string, unknown>,
  seq: number,
  event: LiveEvent,
  statusOf: (taskId: string) => string | undefined,
): Counts | "refetch" {
  if (counts.seq !== null && seq <= counts.seq) return counts;
  if (event.type === "status.deleted") return "refetch";
  if (!event.type.startsWith("task.")) return counts;
  if (Object.keys(filters).length) return mayChange(filters, event) ? "refetch" : counts;
  const delta = countsDelta(event, statusOf);
  return delta ? applyDelta(counts, delta, seq) : "refetch";
}

/** Apply an event to every cached count of its project; the ones that need the server are
 * returned (as query keys) for the caller to refetch, once per burst. */
export function adjustCounts(
  qc: QueryClient,
  seq: number,
  event: LiveEvent,
  statusOf: (taskId: string) => string | undefined,
): Array<readonly unknown[]> {
  if (!event.project_id) return [];
  const stale: Array<readonly unknown[]> = [];
  for (const [key, data] of qc.getQueriesData<Counts>({
    queryKey: countKeys.all(event.project_id),
  })) {
    if (!data) continue;
    const filters = (key[2] ?? {}) as Record<string, unknown>;
    const next = countsAfter(data, filters, seq, event, statusOf);
    if (next === "refetch") stale.push(key);
    else if (next !== data) qc.setQueryData(key, next);
  }
  return stale;
}

export function countOf(counts: TaskCounts | undefined, statusId: string): number | undefined {
  return counts?.by_status.find((e) => e.status_id === statusId)?.count;
}

/** The number in a board column's header: the loaded cards when that is all of them, else
 * the server's count (never fewer than the cards shown), else "50+" until it is known. */
export function columnCount(loaded: number, more: boolean, total: number | undefined): string {
  if (!more) return String(loaded);
  if (total === undefined) return `${loaded}+`;
  return String(Math.max(total, loaded));
}
