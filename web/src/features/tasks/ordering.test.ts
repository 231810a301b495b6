import { describe, expect, it } from "vitest";
import {
  applyToColumn,
  comparePosition,
  flatten,
  insertAt,
  moveNeighbours,
  reconcilePage,
  removeTask,
  step,
  upsertSorted,
} from "./ordering";
import { column, task } from "./testdata";

const keys = (c: ReturnType<typeof column>) => flatten(c).map((t) => t.position);

describe("comparePosition", () => {
  it("orders by position as bytes, then by id", () => {
    const a = task({ position: "a0" });
    const b = task({ position: "a0V" });
    const c = task({ position: "Zz" }); // upper-case sorts before lower-case, as bytes do
    expect([a, b, c].sort(comparePosition).map((t) => t.position)).toEqual(["Zz", "a0", "a0V"]);
    const same = task({ position: "a0", id: "ffffffff" });
    expect(comparePosition(a, same)).toBeLessThan(0);
  });
});

describe("insertAt and removeTask", () => {
  it("inserts across page boundaries and keeps the pages", () => {
    const [a, b, c, d] = [
      task({ position: "a1" }),
      task({ position: "a2" }),
      task({ position: "a3" }),
      task({ position: "a4" }),
    ];
    const col = column({ items: [a, b], next: "x" }, { items: [c] });
    const moved = insertAt(col, d, 2);
    expect(keys(moved)).toEqual(["a1", "a2", "a4", "a3"]);
    expect(moved.pages.map((p) => p.items.length)).toEqual([2, 2]);
    expect(keys(insertAt(col, d, 0))).toEqual(["a4", "a1", "a2", "a3"]);
    expect(keys(insertAt(col, d, 99))).toEqual(["a1", "a2", "a3", "a4"]);
  });

  it("moves a task that is already there instead of doubling it", () => {
    const [a, b, c] = [task(), task(), task()];
    const col = column({ items: [a, b, c] });
    expect(flatten(insertAt(col, c, 0)).map((t) => t.id)).toEqual([c.id, a.id, b.id]);
    expect(flatten(insertAt(col, a, 2)).map((t) => t.id)).toEqual([b.id, c.id, a.id]);
  });

  it("leaves the column untouched when the task is not in it", () => {
    const col = column({ items: [task()] });
    expect(removeTask(col, "missing")).toBe(col);
  });

  it("inserts into an empty column", () => {
    const t = task();
    expect(flatten(insertAt(column({ items: [] }), t, 0))).toEqual([t]);
  });
});

describe("upsertSorted", () => {
  it("puts a task where its position says", () => {
    const col = column({ items: [task({ position: "a1" }), task({ position: "a3" })] });
    expect(keys(upsertSorted(col, task({ position: "a2" })))).toEqual(["a1", "a2", "a3"]);
  });

  it("leaves a task beyond the loaded pages to the next page", () => {
    const col = column({
      items: [task({ position: "a1" }), task({ position: "a3" })],
      next: "more",
    });
    expect(keys(upsertSorted(col, task({ position: "b0" })))).toEqual(["a1", "a3"]);
    const done = column({ items: [task({ position: "a1" })] });
    expect(keys(upsertSorted(done, task({ position: "b0" })))).toEqual(["a1", "b0"]);
  });
});

describe("applyToColumn", () => {
  it("moves a task out of a column when its status changes", () => {
    const t = task({ status_id: "todo" });
    const col = column({ items: [t] });
    expect(flatten(applyToColumn(col, "todo", { ...t, status_id: "done", version: 2 }))).toEqual(
      [],
    );
    expect(
      flatten(
        applyToColumn(column({ items: [] }), "done", { ...t, status_id: "done", version: 2 }),
      ),
    ).toHaveLength(1);
  });

  it("ignores a copy older than the one shown", () => {
    const t = task({ version: 5, title: "new" });
    const col = column({ items: [t] });
    expect(applyToColumn(col, "todo", { ...t, version: 4, title: "old" })).toBe(col);
  });

  it("drops a deleted task", () => {
    const t = task();
    expect(
      flatten(
        applyToColumn(column({ items: [t] }), "todo", { ...t, deleted_at: "2026-01-02T00:00:00Z" }),
      ),
    ).toEqual([]);
  });
});

describe("moveNeighbours", () => {
  const [a, b, c] = [task(), task(), task()];
  it("names the task above the drop, which the server honours first", () => {
    expect(moveNeighbours([a, b, c], 1)).toEqual({ after_id: a.id });
    expect(moveNeighbours([a, b, c], 3)).toEqual({ after_id: c.id });
  });
  it("names the task below at the top, and nothing in an empty column", () => {
    expect(moveNeighbours([a, b, c], 0)).toEqual({ before_id: a.id });
    expect(moveNeighbours([], 0)).toEqual({});
  });
});

describe("step (j/k)", () => {
  it("moves and stops at the ends", () => {
    expect(step(["a", "b", "c"], null, 1)).toBe("a");
    expect(step(["a", "b", "c"], null, -1)).toBe("c");
    expect(step(["a", "b", "c"], "b", 1)).toBe("c");
    expect(step(["a", "b", "c"], "c", 1)).toBe("c");
    expect(step(["a", "b", "c"], "a", -1)).toBe("a");
    expect(step([], "a", 1)).toBeNull();
  });
});

describe("reconcilePage", () => {
  const page = (items: ReturnType<typeof task>[], next: string | null = null) => ({
    items,
    next_cursor: next,
  });

  it("replaces a stale copy with a newer one this tab holds, or drops it if it moved away", () => {
    const a = task({ status_id: "todo", position: "a1" });
    const b = task({ status_id: "todo", position: "a2" });
    const renamed = { ...a, version: 2, title: "renamed" };
    expect(reconcilePage(page([a, b]), "todo", true, [renamed]).items.map((t) => t.title)).toEqual([
      "renamed",
      b.title,
    ]);
    const movedAway = { ...b, version: 2, status_id: "done" };
    expect(reconcilePage(page([a, b]), "todo", true, [movedAway]).items).toEqual([a]);
  });

  it("adds a task that moved in while the page was in flight, inside the page's range only", () => {
    const a = task({ status_id: "done", position: "a1" });
    const c = task({ status_id: "done", position: "a5" });
    const movedIn = task({ status_id: "done", position: "a3", version: 2 });
    const later = task({ status_id: "done", position: "a9", version: 2 });
    const full = reconcilePage(page([a, c], "more"), "done", true, [movedIn, later]);
    expect(full.items.map((t) => t.position)).toEqual(["a1", "a3", "a5"]);
    const last = reconcilePage(page([a, c]), "done", true, [later]);
    expect(last.items.map((t) => t.position)).toEqual(["a1", "a5", "a9"]);
  });

  it("keeps the server's copy when it is as new or newer", () => {
    const a = task({ version: 3, title: "server" });
    expect(
      reconcilePage(page([a]), "todo", true, [{ ...a, version: 3, title: "mine" }]).items[0]?.title,
    ).toBe("server");
  });
});
