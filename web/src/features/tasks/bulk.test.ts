import { QueryClient } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import { type BulkOutcome, bulkFailureMessage, storeBulkOutcome } from "./bulk";
import { findCachedTask, taskKeys } from "./cache";
import { type Column, flatten } from "./ordering";
import { column, task } from "./testdata";

function setup() {
  const qc = new QueryClient();
  const a = task({ status_id: "todo", position: "a1" });
  const b = task({ status_id: "todo", position: "a2" });
  const c = task({ status_id: "todo", position: "a3" });
  qc.setQueryData(taskKeys.column("p1", "todo"), column({ items: [a, b, c] }));
  qc.setQueryData(taskKeys.column("p1", "done"), column({ items: [] }));
  // The list view, filtered to Todo, and unfiltered.
  qc.setQueryData(
    taskKeys.list("p1", { sort: "position", status_id: ["todo"] }),
    column({ items: [a, b, c] }),
  );
  qc.setQueryData(taskKeys.list("p1", { sort: "position" }), column({ items: [a, b, c] }));
  return { qc, a, b, c };
}

const ids = (qc: QueryClient, key: readonly unknown[]) =>
  flatten(qc.getQueryData<Column>(key)).map((t) => t.id);

describe("storeBulkOutcome", () => {
  it("stores the changed tasks from the answer, without asking the server again", async () => {
    const { qc, a, b, c } = setup();
    const outcome: BulkOutcome = {
      changed: [
        { ...a, status_id: "done", version: 2 },
        { ...b, status_id: "done", version: 2 },
      ],
      failed: [],
    };
    const fetched: string[] = [];
    await storeBulkOutcome(qc, "p1", outcome, "me", async (id) => {
      fetched.push(id);
      return c;
    });
    expect(fetched).toEqual([]);
    expect(ids(qc, taskKeys.column("p1", "todo"))).toEqual([c.id]);
    expect(ids(qc, taskKeys.column("p1", "done")).sort()).toEqual([a.id, b.id].sort());
    // A list filtered to Todo no longer shows them; the unfiltered one shows the new status.
    expect(ids(qc, taskKeys.list("p1", { sort: "position", status_id: ["todo"] }))).toEqual([c.id]);
    expect(findCachedTask(qc, a.id)?.status_id).toBe("done");
    expect(ids(qc, taskKeys.list("p1", { sort: "position" }))).toEqual([a.id, b.id, c.id]);
  });

  it("shows the newer version of a task someone else changed, and forgets one that is gone", async () => {
    const { qc, a, b, c } = setup();
    const theirs = { ...b, title: "Their title", version: 5 };
    const outcome: BulkOutcome = {
      changed: [{ ...a, status_id: "done", version: 2 }],
      failed: [
        { task: b, failure: { id: b.id, status: 412, code: "precondition_failed" } },
        { task: c, failure: { id: c.id, status: 404, code: "not_found" } },
      ],
    };
    await storeBulkOutcome(qc, "p1", outcome, "me", async (id) => {
      expect(id).toBe(b.id);
      return theirs;
    });
    expect(findCachedTask(qc, b.id)?.title).toBe("Their title");
    expect(ids(qc, taskKeys.column("p1", "todo"))).toEqual([b.id]);
    expect(ids(qc, taskKeys.list("p1", { sort: "position" }))).not.toContain(c.id);
  });
});

describe("bulkFailureMessage", () => {
  it("says why an item failed", () => {
    expect(bulkFailureMessage({ id: "x", status: 412, code: "precondition_failed" })).toMatch(
      /Someone else changed it/,
    );
    expect(
      bulkFailureMessage({ id: "x", status: 422, code: "validation", detail: "Bad status." }),
    ).toBe("Bad status.");
  });
});
