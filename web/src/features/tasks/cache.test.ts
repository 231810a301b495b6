import { QueryClient } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import { dropTask, findCachedTask, restore, snapshot, storeTask, taskKeys } from "./cache";
import { type Column, flatten, insertAt, removeTask } from "./ordering";
import { column, task } from "./testdata";

function board() {
  const qc = new QueryClient();
  const a = task({ status_id: "todo", position: "a1" });
  const b = task({ status_id: "todo", position: "a2" });
  const c = task({ status_id: "done", position: "a1" });
  qc.setQueryData(taskKeys.column("p1", "todo"), column({ items: [a, b] }));
  qc.setQueryData(taskKeys.column("p1", "done"), column({ items: [c] }));
  qc.setQueryData(taskKeys.list("p1", { sort: "position" }), column({ items: [a, b, c] }));
  qc.setQueryData(taskKeys.detail(a.key), a);
  return { qc, a, b, c };
}

const ids = (qc: QueryClient, status: string) =>
  flatten(qc.getQueryData<Column>(taskKeys.column("p1", status))).map((t) => t.id);

describe("storeTask", () => {
  it("moves a changed task between columns and updates the list and detail copies", () => {
    const { qc, a, b, c } = board();
    const moved = { ...a, status_id: "done", position: "a0", version: 2, title: "moved" };
    storeTask(qc, moved);
    expect(ids(qc, "todo")).toEqual([b.id]);
    expect(ids(qc, "done")).toEqual([a.id, c.id]);
    const list = flatten(qc.getQueryData<Column>(taskKeys.list("p1", { sort: "position" })));
    expect(list.find((t) => t.id === a.id)?.title).toBe("moved");
    expect(qc.getQueryData(taskKeys.detail(a.key))).toEqual(moved);
    expect(findCachedTask(qc, a.id)?.version).toBe(2);
  });

  it("does not let a late, older copy undo a newer one", () => {
    const { qc, a } = board();
    storeTask(qc, { ...a, version: 3, title: "newest" });
    storeTask(qc, { ...a, version: 2, title: "stale" });
    expect(findCachedTask(qc, a.key)?.title).toBe("newest");
    expect(flatten(qc.getQueryData<Column>(taskKeys.column("p1", "todo")))[0]?.title).toBe(
      "newest",
    );
  });

  it("forgets a deleted task everywhere", () => {
    const { qc, a, b } = board();
    dropTask(qc, "p1", a.id);
    expect(ids(qc, "todo")).toEqual([b.id]);
  });
});

describe("optimistic move with rollback", () => {
  it("restores every cache exactly as it was", () => {
    const { qc, a, b, c } = board();
    const saved = snapshot(qc, "p1", a.key);
    // What useMoveTask does before the server answers:
    const todo = taskKeys.column("p1", "todo");
    const done = taskKeys.column("p1", "done");
    qc.setQueryData(todo, removeTask(qc.getQueryData<Column>(todo) as Column, a.id));
    qc.setQueryData(
      done,
      insertAt(qc.getQueryData<Column>(done) as Column, { ...a, status_id: "done" }, 1),
    );
    expect(ids(qc, "done")).toEqual([c.id, a.id]);
    // The server said no:
    restore(qc, saved);
    expect(ids(qc, "todo")).toEqual([a.id, b.id]);
    expect(ids(qc, "done")).toEqual([c.id]);
  });
});
