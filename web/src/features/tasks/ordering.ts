/**
 * Board ordering, on the cached pages of one status column. Positions are fractional ordering
 * keys compared as bytes; they are ASCII, so plain string comparison agrees with the server.
 */
import type { InfiniteData } from "@tanstack/react-query";
import type { Page, Task } from "../../api/types";

export type Column = InfiniteData<Page<Task>, unknown>;

export function comparePosition(
  a: Pick<Task, "position" | "id">,
  b: Pick<Task, "position" | "id">,
): number {
  if (a.position !== b.position) return a.position < b.position ? -1 : 1;
  if (a.id === b.id) return 0;
  return a.id < b.id ? -1 : 1;
}

export function flatten(column: Column | undefined): Task[] {
  return column ? column.pages.flatMap((p) => p.items) : [];
}

function hasMore(column: Column): boolean {
  return Boolean(column.pages[column.pages.length - 1]?.next_cursor);
}

export function removeTask(column: Column, taskId: string): Column {
  let changed = false;
  const pages = column.pages.map((page) => {
    const items = page.items.filter((t) => t.id !== taskId);
    if (items.length === page.items.length) return page;
    changed = true;
    return { ...page, items };
  });
  return changed ? { ...column, pages } : column;
}

/** Put `task` at `index` of the column's loaded tasks (clamped), keeping page boundaries. */
export function insertAt(column: Column, task: Task, index: number): Column {
  const without = removeTask(column, task.id);
  const pages = without.pages.map((p) => ({ ...p, items: [...p.items] }));
  if (pages.length === 0) pages.push({ items: [], next_cursor: null });
  let rest = Math.max(0, index);
  for (let i = 0; i < pages.length; i++) {
    const page = pages[i] as Page<Task>;
    const last = i === pages.length - 1;
    if (rest <= page.items.length && (rest < page.items.length || last)) {
      page.items.splice(rest, 0, task);
      return { ...without, pages };
    }
    rest -= page.items.length;
  }
  (pages[pages.length - 1] as Page<Task>).items.push(task);
  return { ...without, pages };
}

/**
 * Place `task` where its position says. A task that sorts after everything loaded, while more
 * pages remain, is left for those pages to bring.
 */
export function upsertSorted(column: Column, task: Task): Column {
  const without = removeTask(column, task.id);
  const loaded = flatten(without);
  const index = loaded.findIndex((t) => comparePosition(task, t) < 0);
  if (index === -1 && hasMore(without)) return without;
  return insertAt(without, task, index === -1 ? loaded.length : index);
}

/** Apply a server copy of a task to one column: replace, move in, or move out. */
export function applyToColumn(column: Column, statusId: string, task: Task): Column {
  if (task.status_id !== statusId || task.deleted_at) return removeTask(column, task.id);
  const current = flatten(column).find((t) => t.id === task.id);
  if (current && current.version > task.version) return column; // an older copy: ignore it
  return upsertSorted(column, task);
}

/**
 * The neighbours to send with a move that puts a task at `index` of `target` (the column's
 * loaded tasks without the moving one). The server honours `after_id` first.
 */
export function moveNeighbours(
  target: Task[],
  index: number,
): { after_id?: string; before_id?: string } {
  const after = index > 0 ? target[index - 1] : undefined;
  const before = target[index];
  if (after) return { after_id: after.id };
  if (before) return { before_id: before.id };
  return {};
}

/** Where the j/k keys go from `current` in a list of ids. */
export function step(ids: string[], current: string | null, delta: 1 | -1): string | null {
  if (ids.length === 0) return null;
  const at = current ? ids.indexOf(current) : -1;
  if (at === -1) return delta === 1 ? (ids[0] ?? null) : (ids[ids.length - 1] ?? null);
  const next = Math.min(ids.length - 1, Math.max(0, at + delta));
  return ids[next] ?? null;
}

/**
 * Bring a page fetched from the server up to date with copies this tab already holds that are
 * newer (a move or edit that committed while the page was in flight). `known` are those copies;
 * one missing from the page is added when its position falls inside the page.
 */
export function reconcilePage(
  page: Page<Task>,
  statusId: string,
  first: boolean,
  known: Iterable<Task>,
): Page<Task> {
  const newer = new Map<string, Task>();
  for (const t of known) newer.set(t.id, t);
  let items = page.items.flatMap((t) => {
    const mine = newer.get(t.id);
    if (!mine || mine.version <= t.version) return [t];
    return mine.status_id === statusId && !mine.deleted_at ? [mine] : [];
  });
  const present = new Set(items.map((t) => t.id));
  const low = first ? null : (page.items[0] ?? null);
  const high = page.next_cursor ? (page.items[page.items.length - 1] ?? null) : null;
  const missing = [...newer.values()].filter(
    (t) =>
      t.status_id === statusId &&
      !t.deleted_at &&
      !present.has(t.id) &&
      !page.items.some((p) => p.id === t.id) &&
      (low === null || comparePosition(t, low) > 0) &&
      (high === null || comparePosition(t, high) < 0),
  );
  if (missing.length) items = [...items, ...missing].sort(comparePosition);
  else if (items.some((t, i) => i > 0 && comparePosition(items[i - 1] as Task, t) > 0)) {
    items = [...items].sort(comparePosition);
  }
  return { ...page, items };
}
