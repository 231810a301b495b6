/** The list's and the board's filters: the ones the API offers, kept in the URL so a view can be
 * shared, and kept when switching between the two views. */
import type { Priority, Task, TaskSort } from "../../api/types";

export interface TaskFilters {
  status_id: string[];
  priority: Priority[];
  assignee_id: string[]; // user ids, "me" or "none"
  label_id: string[];
  q: string;
  due_before: string;
  due_after: string;
  sort: TaskSort;
}

export const EMPTY_FILTERS: TaskFilters = {
  status_id: [],
  priority: [],
  assignee_id: [],
  label_id: [],
  q: "",
  due_before: "",
  due_after: "",
  sort: "position",
};

const LISTS = ["status_id", "priority", "assignee_id", "label_id"] as const;
const TEXTS = ["q", "due_before", "due_after"] as const;
const SORTS: TaskSort[] = [
  "position",
  "created",
  "-created",
  "updated",
  "-updated",
  "due",
  "-due",
  "priority",
  "-priority",
];
const PRIORITY_VALUES = new Set<string>(["none", "low", "medium", "high", "urgent"]);
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function fromSearchParams(params: URLSearchParams): TaskFilters {
  const sort = params.get("sort") as TaskSort | null;
  return {
    status_id: params.getAll("status_id"),
    priority: params.getAll("priority").filter((p): p is Priority => PRIORITY_VALUES.has(p)),
    assignee_id: params.getAll("assignee_id"),
    label_id: params.getAll("label_id"),
    q: params.get("q") ?? "",
    due_before: DAY.test(params.get("due_before") ?? "")
      ? (params.get("due_before") as string)
      : "",
    due_after: DAY.test(params.get("due_after") ?? "") ? (params.get("due_after") as string) : "",
    sort: sort && SORTS.includes(sort) ? sort : "position",
  };
}

export function toSearchParams(filters: TaskFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of LISTS) for (const value of filters[key]) params.append(key, value);
  for (const key of TEXTS) if (filters[key].trim()) params.set(key, filters[key].trim());
  if (filters.sort !== "position") params.set("sort", filters.sort);
  return params;
}

const FILTER_PARAMS = new Set<string>([...LISTS, ...TEXTS, "sort"]);

/** New filters in the URL, keeping what else it says (the board's grouping). */
export function withFilters(current: URLSearchParams, filters: TaskFilters): URLSearchParams {
  const params = toSearchParams(filters);
  for (const [key, value] of current) if (!FILTER_PARAMS.has(key)) params.append(key, value);
  return params;
}

/** How the board groups its cards into swimlanes (`?group=`). */
export type GroupBy = "none" | "assignee" | "priority";
const GROUPS: GroupBy[] = ["none", "assignee", "priority"];

export function groupFromSearchParams(params: URLSearchParams): GroupBy {
  const group = params.get("group") as GroupBy | null;
  return group && GROUPS.includes(group) ? group : "none";
}

export function withGroup(current: URLSearchParams, group: GroupBy): URLSearchParams {
  const params = new URLSearchParams(current);
  if (group === "none") params.delete("group");
  else params.set("group", group);
  return params;
}

/** What a board column asks for besides its own status and board order. A status filter
 * chooses the columns instead, and the board has no other order. */
export function boardQuery(filters: TaskFilters): Record<string, string | string[]> {
  return Object.fromEntries(
    Object.entries(toQuery(filters)).filter(([key]) => key !== "sort" && key !== "status_id"),
  );
}

/** The query for GET /projects/{id}/tasks: only what is set. */
export function toQuery(filters: TaskFilters): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = { sort: filters.sort };
  for (const key of LISTS) if (filters[key].length) query[key] = [...filters[key]];
  for (const key of TEXTS) if (filters[key].trim()) query[key] = filters[key].trim();
  return query;
}

export function activeCount(filters: TaskFilters): number {
  return (
    LISTS.reduce((n, key) => n + (filters[key].length ? 1 : 0), 0) +
    TEXTS.reduce((n, key) => n + (filters[key].trim() ? 1 : 0), 0)
  );
}

/** Whether a task passes the filters, as the server decides it (for live and optimistic edits). */
export function matches(task: Task, filters: TaskFilters, me: string): boolean {
  if (filters.status_id.length && !filters.status_id.includes(task.status_id)) return false;
  if (filters.priority.length && !filters.priority.includes(task.priority)) return false;
  if (filters.label_id.length && !task.label_ids.some((l) => filters.label_id.includes(l))) {
    return false;
  }
  if (filters.assignee_id.length) {
    const wanted = filters.assignee_id;
    const ok =
      (wanted.includes("none") && task.assignee_ids.length === 0) ||
      task.assignee_ids.some((a) => wanted.includes(a) || (wanted.includes("me") && a === me));
    if (!ok) return false;
  }
  if (filters.due_before && !(task.due_date && task.due_date <= filters.due_before)) return false;
  if (filters.due_after && !(task.due_date && task.due_date >= filters.due_after)) return false;
  if (filters.q.trim()) {
    const needle = filters.q.trim().toLowerCase();
    const hay = `${task.title}\n${task.description}`.toLowerCase();
    if (!hay.includes(needle)) return false;
  }
  return true;
}

export function isOverdue(task: Pick<Task, "due_date" | "completed_at">, today: string): boolean {
  return Boolean(task.due_date && !task.completed_at && task.due_date < today);
}

export function todayIso(now: Date = new Date()): string {
  const y = now.getFullYear();
  const m = String(now.getMonth() + 1).padStart(2, "0");
  const d = String(now.getDate()).padStart(2, "0");
  return `${y}-${m}-${d}`;
}

/** A label for the sort menu, and the header sort toggle: field → field, -field, field. */
export function toggleSort(current: TaskSort, field: string): TaskSort {
  if (current === field) return `-${field}` as TaskSort;
  return field as TaskSort;
}
