import type { Page, Task } from "../../api/types";
import type { Column } from "./ordering";

let n = 0;

export function task(fields: Partial<Task> = {}): Task {
  n += 1;
  return {
    id: `00000000-0000-0000-0000-${String(n).padStart(12, "0")}`,
    key: `ENG-${n}`,
    number: n,
    project_id: "p1",
    title: `Task ${n}`,
    description: "",
    status_id: "todo",
    priority: "none",
    assignee_ids: [],
    label_ids: [],
    start_date: null,
    due_date: null,
    estimate: null,
    parent_id: null,
    position: `a${n}`,
    version: 1,
    created_by: null,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    completed_at: null,
    deleted_at: null,
    ...fields,
  };
}

export function column(...pages: Array<{ items: Task[]; next?: string }>): Column {
  return {
    pages: pages.map((p): Page<Task> => ({ items: p.items, next_cursor: p.next ?? null })),
    pageParams: pages.map((_, i) => (i === 0 ? undefined : `c${i}`)),
  };
}
