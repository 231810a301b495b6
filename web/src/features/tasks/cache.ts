/** Keeping every cached copy of a task in step: columns, lists, the detail view. */
import type { InfiniteData, QueryClient } from "@tanstack/react-query";
import type { Page, Task } from "../../api/types";
import { applyToColumn, type Column, removeTask } from "./ordering";

export const taskKeys = {
  all: (projectId: string) => ["tasks", projectId] as const,
  column: (projectId: string, statusId: string) =>
    ["tasks", projectId, "column", statusId] as const,
  lists: (projectId: string) => ["tasks", projectId, "list"] as const,
  list: (projectId: string, query: unknown) => ["tasks", projectId, "list", query] as const,
  detail: (ref: string) => ["task", ref] as const,
  comments: (ref: string) => ["task", ref, "comments"] as const,
  attachments: (ref: string) => ["task", ref, "attachments"] as const,
  activity: (ref: string) => ["task", ref, "activity"] as const,
  relations: (ref: string) => ["task", ref, "relations"] as const,
  watchers: (ref: string) => ["task", ref, "watchers"] as const,
  subtasks: (ref: string) => ["task", ref, "subtasks"] as const,
};

export type List = InfiniteData<Page<Task>, unknown>;

/** Copies of tasks this tab wrote or received lately, newest version each, for a short while:
 * a page that was in flight during a write is brought up to date with them. */
const RECENT_MS = 20_000;
const recent = new Map<string, { task: Task; at: number }>();

export function remember(task: Task, now = Date.now()): void {
  const current = recent.get(task.id);
  if (current && current.task.version > task.version) return;
  recent.delete(task.id);
  recent.set(task.id, { task, at: now });
  for (const [id, entry] of recent) {
    if (recent.size <= 500 && now - entry.at < RECENT_MS) break;
    recent.delete(id);
  }
}

export function recentTasks(projectId: string, now = Date.now()): Task[] {
  const out: Task[] = [];
  for (const { task, at } of recent.values()) {
    if (task.project_id === projectId && now - at < RECENT_MS) out.push(task);
  }
  return out;
}

function replaceInList(list: List, task: Task): List {
  let changed = false;
  const pages = list.pages.map((page) => {
    const at = page.items.findIndex((t) => t.id === task.id);
    if (at === -1) return page;
    const current = page.items[at] as Task;
    if (current.version > task.version) return page;
    changed = true;
    const items = [...page.items];
    if (task.deleted_at) items.splice(at, 1);
    else items[at] = task;
    return { ...page, items };
  });
  return changed ? { ...list, pages } : list;
}

/** Write a server (or, with `optimistic`, a not yet confirmed) copy of a task into every cache
 * that holds it. */
export function storeTask(qc: QueryClient, task: Task, { optimistic = false } = {}): void {
  const projectId = task.project_id;
  if (!optimistic) remember(task);
  for (const [key, data] of qc.getQueriesData<Column>({
    queryKey: ["tasks", projectId, "column"],
  })) {
    const statusId = key[3] as string;
    if (!data) continue;
    const next = applyToColumn(data, statusId, task);
    if (next !== data) qc.setQueryData(key, next);
  }
  for (const [key, data] of qc.getQueriesData<List>({ queryKey: taskKeys.lists(projectId) })) {
    if (!data) continue;
    const next = replaceInList(data, task);
    if (next !== data) qc.setQueryData(key, next);
  }
  for (const ref of [task.key, task.id]) {
    const current = qc.getQueryData<Task>(taskKeys.detail(ref));
    if (current && current.version <= task.version) qc.setQueryData(taskKeys.detail(ref), task);
  }
}

export function dropTask(qc: QueryClient, projectId: string, taskId: string): void {
  for (const [key, data] of qc.getQueriesData<Column>({
    queryKey: ["tasks", projectId, "column"],
  })) {
    if (data) qc.setQueryData(key, removeTask(data, taskId));
  }
  for (const [key, data] of qc.getQueriesData<List>({ queryKey: taskKeys.lists(projectId) })) {
    if (data) qc.setQueryData(key, removeTask(data, taskId));
  }
}

/** Find a cached copy of a task by id or key, without a request. */
export function findCachedTask(qc: QueryClient, ref: string): Task | undefined {
  const direct = qc.getQueryData<Task>(taskKeys.detail(ref));
  if (direct) return direct;
  for (const [, data] of qc.getQueriesData<List>({ queryKey: ["tasks"] })) {
    for (const page of data?.pages ?? []) {
      const hit = page.items?.find((t) => t.id === ref || t.key === ref);
      if (hit) return hit;
    }
  }
  return undefined;
}

export type Snapshot = Array<[readonly unknown[], unknown]>;

export function snapshot(qc: QueryClient, projectId: string, ref?: string): Snapshot {
  const entries: Snapshot = qc.getQueriesData({ queryKey: taskKeys.all(projectId) });
  if (ref) entries.push(...qc.getQueriesData({ queryKey: taskKeys.detail(ref) }));
  return entries;
}

export function restore(qc: QueryClient, saved: Snapshot): void {
  for (const [key, data] of saved) qc.setQueryData(key, data);
}
