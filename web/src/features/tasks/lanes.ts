/** Swimlanes: the board's cards grouped by assignee or priority, each lane with every status
 * column. Worked out here from whole columns, so a lane's count is the real one. */
import type { Priority, Task } from "../../api/types";
import { PRIORITIES, PRIORITY_LABEL } from "../../api/types";
import type { GroupBy } from "./filters";

export const UNASSIGNED = "none";

export interface Lane {
  id: string; // a user id or UNASSIGNED; a priority
  title: string;
  /** Distinct tasks in the lane, over every column. */
  count: number;
  /** Status id → the lane's tasks in that column, in board order. */
  columns: Map<string, Task[]>;
}

/** The lanes a task is in: each of its assignees' (unassigned: one lane of its own), or its
 * priority's. A task with two assignees shows in both of their lanes. */
export function lanesOf(task: Pick<Task, "assignee_ids" | "priority">, group: GroupBy): string[] {
  if (group === "priority") return [task.priority];
  if (group === "assignee") return task.assignee_ids.length ? task.assignee_ids : [UNASSIGNED];
  return [];
}

/** The lanes that hold a card, in order: people by the order of `people` (anyone else after
 * them), Unassigned last; priorities from urgent to none. */
export function buildLanes(
  columns: Array<{ statusId: string; tasks: Task[] }>,
  group: GroupBy,
  people: Array<{ user_id: string; name: string }>,
): Lane[] {
  const lanes = new Map<string, Lane>();
  for (const { statusId, tasks } of columns) {
    for (const task of tasks) {
      for (const id of lanesOf(task, group)) {
        let lane = lanes.get(id);
        if (!lane) {
          lane = { id, title: "", count: 0, columns: new Map() };
          lanes.set(id, lane);
        }
        const cell = lane.columns.get(statusId);
        if (cell) cell.push(task);
        else lane.columns.set(statusId, [task]);
        lane.count += 1;
      }
    }
  }
  const order =
    group === "priority"
      ? (PRIORITIES as string[])
      : [
          ...people.map((p) => p.user_id),
          ...[...lanes.keys()].filter((id) => id !== UNASSIGNED).sort(),
          UNASSIGNED,
        ];
  const names = new Map(people.map((p) => [p.user_id, p.name]));
  const out: Lane[] = [];
  for (const id of new Set(order)) {
    const lane = lanes.get(id);
    if (!lane) continue;
    lane.title =
      group === "priority"
        ? PRIORITY_LABEL[id as Priority]
        : id === UNASSIGNED
          ? "Unassigned"
          : (names.get(id) ?? "Someone no longer here");
    out.push(lane);
  }
  return out;
}
