/** A saved view's list in groups (its `group_by`): by status, assignee, priority or project,
 * each group under a heading, in a meaningful order; inside a group, the view's sort. */
import type { Priority, Project, Status, StatusCategory, Task } from "../../api/types";
import { PRIORITIES, PRIORITY_LABEL } from "../../api/types";
import type { View } from "./api";

export type GroupBy = NonNullable<View["group_by"]>;

/** What the API accepts for `group_by` (src/tasklane/views/schemas.py), as the form offers it. */
export const GROUP_BY_OPTIONS: Array<[GroupBy, string]> = [
  ["status", "Status"],
  ["assignee", "Assignee"],
  ["priority", "Priority"],
  ["project", "Project"],
];

export interface TaskGroup {
  key: string;
  title: string;
  tasks: Task[];
}

export interface GroupContext {
  /** Statuses by id, of every project the tasks are in (a missing one groups as "Other"). */
  statuses: ReadonlyMap<string, Status>;
  /** People's names by user id. */
  people: ReadonlyMap<string, string>;
  projects: ReadonlyMap<string, Project>;
}

const CATEGORY_ORDER: StatusCategory[] = ["backlog", "unstarted", "started", "done", "cancelled"];

/** Where a group goes: compared item by item (numbers as numbers, text by locale). */
type Order = Array<number | string>;

interface Bucket extends TaskGroup {
  order: Order;
}

function compare(a: Order, b: Order): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? "";
    const y = b[i] ?? "";
    const d =
      typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The tasks in groups, in order: statuses by category and then their place in the workflow
 * (statuses of one name in several projects are one group); people by name, then "No
 * assignee" (a task with several assignees is under each); priorities from urgent to none;
 * projects by name. Empty groups are left out.
 */
export function groupTasks(tasks: readonly Task[], by: GroupBy, ctx: GroupContext): TaskGroup[] {
  const buckets = new Map<string, Bucket>();
  const add = (key: string, title: string, order: Order, task: Task) => {
    const bucket = buckets.get(key) ?? { key, title, order, tasks: [] };
    bucket.tasks.push(task);
    buckets.set(key, bucket);
  };
  for (const task of tasks) {
    switch (by) {
      case "status": {
        const status = ctx.statuses.get(task.status_id);
        if (!status) add("?", "Other status", [CATEGORY_ORDER.length], task);
        else {
          const order = [CATEGORY_ORDER.indexOf(status.category), status.position, status.name];
          add(`s:${status.name.toLowerCase()}`, status.name, order, task);
        }
        break;
      }
      case "assignee": {
        if (task.assignee_ids.length === 0) add("none", "No assignee", [2], task);
        for (const id of task.assignee_ids) {
          const name = ctx.people.get(id);
          add(`u:${id}`, name ?? "Someone else", name ? [0, name] : [1], task);
        }
        break;
      }
      case "priority":
        add(
          task.priority,
          PRIORITY_LABEL[task.priority],
          [PRIORITIES.indexOf(task.priority as Priority)],
          task,
        );
        break;
      case "project": {
        const project = ctx.projects.get(task.project_id);
        add(
          `p:${task.project_id}`,
          project?.name ?? "Other project",
          project ? [0, project.name] : [1],
          task,
        );
        break;
      }
    }
  }
  // A group's place is its first task's (statuses of one name in several projects).
  return [...buckets.values()]
    .sort((a, b) => compare(a.order, b.order) || a.title.localeCompare(b.title))
    .map(({ key, title, tasks: list }) => ({ key, title, tasks: list }));
}
