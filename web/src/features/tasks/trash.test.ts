import { QueryClient } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import type { Task } from "../../api/types";
import { applyEvent, TaskRefresher } from "../realtime/useLive";
import { recentTasks, storeTask, taskKeys } from "./cache";
import { type Column, flatten, reconcilePage } from "./ordering";
import { column, task } from "./testdata";
import { addToTrash, deletedCopy, type Trash, takeFromTrash, trashKeys } from "./trash";

function trash(...items: Task[]): Trash {
  return { pages: [{ items, next_cursor: null }], pageParams: [undefined] };
}

const trashIds = (qc: QueryClient) =>
  qc.getQueryData<Trash>(trashKeys.project("p1"))?.pages.flatMap((p) => p.items.map((t) => t.id));

describe("deletedCopy", () => {
  it("is the version the server holds after the delete, marked deleted", () => {
    const t = task({ version: 4 });
    const gone = deletedCopy(t, "2026-03-01T10:00:00Z");
    expect(gone).toMatchObject({ id: t.id, version: 5, deleted_at: "2026-03-01T10:00:00Z" });
    expect(t.deleted_at).toBeNull();
  });

  it("keeps a board page that was in flight during the delete from bringing the task back", () => {
    const t = task({ status_id: "todo", project_id: "p-recent", version: 2 });
    storeTask(new QueryClient(), t); // an edit a moment ago: remembered as live
    const page = { items: [t], next_cursor: null };
    // Once its deleted copy is stored, a page that still lists it (read before the delete)
    // drops it, and one read after does not get it added back.
    storeTask(new QueryClient(), deletedCopy(t));
    const known = recentTasks("p-recent");
    expect(reconcilePage(page, "todo", true, known).items).toEqual([]);
    expect(reconcilePage({ items: [], next_cursor: null }, "todo", true, known).items).toEqual([]);
  });
});

describe("the trash cache", () => {
  it("puts deleted tasks on top, once each, when it is loaded", () => {
    const qc = new QueryClient();
    const old = task({ deleted_at: "2026-01-01T00:00:00Z" });
    const a = deletedCopy(task());
    addToTrash(qc, "p1", [a]);
    expect(trashIds(qc)).toBeUndefined(); // not loaded: it loads fresh when opened
    qc.setQueryData(trashKeys.project("p1"), trash(old));
    addToTrash(qc, "p1", [a]);
    addToTrash(qc, "p1", [a]);
    expect(trashIds(qc)).toEqual([a.id, old.id]);
  });

  it("takes restored tasks out", () => {
    const qc = new QueryClient();
    const [a, b] = [task(), task()];
    qc.setQueryData(trashKeys.project("p1"), trash(a as Task, b as Task));
    takeFromTrash(qc, "p1", [(a as Task).id]);
    expect(trashIds(qc)).toEqual([(b as Task).id]);
  });

  it("is not where a shown task is looked for", () => {
    expect(trashKeys.project("p1")[0]).not.toBe(taskKeys.all("p1")[0]);
  });
});

describe("live events and the trash", () => {
  it("a deletion or restore by someone else reloads the trash and an open view of the task", () => {
    const qc = new QueryClient();
    const a = task({ status_id: "todo" });
    qc.setQueryData(taskKeys.column("p1", "todo"), column({ items: [a] }));
    qc.setQueryData(taskKeys.detail(a.key), a);
    qc.setQueryData(trashKeys.project("p1"), trash());
    const refresher = new TaskRefresher(qc, async () => a);
    const event = { type: "task.deleted", project_id: "p1", task_id: a.id, key: a.key };
    applyEvent(qc, refresher, event, 20);
    expect(flatten(qc.getQueryData<Column>(taskKeys.column("p1", "todo")))).toEqual([]);
    expect(qc.getQueryState(trashKeys.project("p1"))?.isInvalidated).toBe(true);
    expect(qc.getQueryState(taskKeys.detail(a.key))?.isInvalidated).toBe(true);

    qc.setQueryData(trashKeys.project("p1"), trash());
    applyEvent(qc, refresher, { ...event, type: "task.restored", version: 3 }, 21);
    expect(qc.getQueryState(trashKeys.project("p1"))?.isInvalidated).toBe(true);
  });
});
