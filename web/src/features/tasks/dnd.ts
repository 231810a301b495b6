/** Drag and drop on the board, shared by the plain board and its swimlanes. */
import {
  type DragEndEvent,
  KeyboardSensor,
  PointerSensor,
  useSensor,
  useSensors,
} from "@dnd-kit/core";
import { sortableKeyboardCoordinates } from "@dnd-kit/sortable";
import type { Status, Task } from "../../api/types";

export interface DropColumn {
  statusId: string;
  /** The cards the column shows, in order. */
  tasks: Task[];
}

export function useBoardSensors() {
  return useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 5 } }),
    useSensor(KeyboardSensor, {
      coordinateGetter: sortableKeyboardCoordinates,
      keyboardCodes: { start: ["Space"], cancel: ["Escape"], end: ["Space", "Enter"] },
    }),
  );
}

/** The column a drop target belongs to: `column:<status id>` or a card's id. */
export function columnOfTarget(id: string, columns: DropColumn[]): DropColumn | null {
  if (id.startsWith("column:")) {
    const statusId = id.slice("column:".length);
    return columns.find((c) => c.statusId === statusId) ?? null;
  }
  return columns.find((c) => c.tasks.some((t) => t.id === id)) ?? null;
}

/** Where a drop puts the dragged card (an index among the column's shown cards), or null
 * when it stays where it was. */
export function dropPlace(
  event: DragEndEvent,
  columns: DropColumn[],
): { task: Task; statusId: string; index: number } | null {
  const { active, over } = event;
  const task = active.data.current?.task as Task | undefined;
  if (!task || !over) return null;
  const target = columnOfTarget(String(over.id), columns);
  if (!target) return null;
  let index: number;
  if (String(over.id).startsWith("column:")) {
    index = target.tasks.filter((t) => t.id !== task.id).length;
  } else {
    const overIndex = target.tasks.findIndex((t) => t.id === over.id);
    if (target.statusId === task.status_id) {
      index = overIndex; // the same column: the dragged card takes the place of the one under it
    } else {
      const translated = active.rect.current.translated;
      const below = translated ? translated.top > over.rect.top + over.rect.height / 2 : false;
      index = overIndex + (below ? 1 : 0);
    }
  }
  const current = target.tasks.findIndex((t) => t.id === task.id);
  if (target.statusId === task.status_id && current === index) return null;
  return { task, statusId: target.statusId, index };
}

/** What a screen reader hears while a card is dragged (`where`: "a lane" and the like). */
export function announcementsFor(columns: () => DropColumn[], statuses: Status[], where = "") {
  const describe = (id: string): string => {
    if (id.startsWith("column:")) {
      return statuses.find((s) => `column:${s.id}` === id)?.name ?? "a column";
    }
    for (const c of columns()) {
      const at = c.tasks.findIndex((t) => t.id === id);
      if (at !== -1) {
        const name = statuses.find((s) => s.id === c.statusId)?.name ?? "a column";
        return `${name}, position ${at + 1} of ${c.tasks.length}`;
      }
    }
    return "a task";
  };
  return {
    onDragStart: ({ active }: { active: { data: { current?: Record<string, unknown> } } }) =>
      `Picked up ${(active.data.current?.task as Task | undefined)?.key ?? "task"}${where}. Use the arrow keys to move, Space to drop, Escape to cancel.`,
    onDragOver: ({ over }: { over: { id: string | number } | null }) =>
      over ? `Over ${describe(String(over.id))}.` : "Not over a column.",
    onDragEnd: ({ over }: { over: { id: string | number } | null }) =>
      over ? `Dropped in ${describe(String(over.id))}.` : "Dropped.",
    onDragCancel: () => "Move cancelled.",
  };
}
