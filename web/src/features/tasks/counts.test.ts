import { QueryClient } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import type { LiveEvent } from "../realtime/live";
import {
  adjustCounts,
  type Counts,
  columnCount,
  countKeys,
  countOf,
  countsAfter,
  countsDelta,
} from "./counts";

const counts = (todo: number, done: number, seq: number | null = 10): Counts => ({
  total: todo + done,
  by_status: [
    { status_id: "todo", count: todo },
    { status_id: "done", count: done },
  ],
  seq,
});

const moved: LiveEvent = {
  type: "task.moved",
  project_id: "p1",
  task_id: "t1",
  changes: { status_id: { from: "todo", to: "done" }, position: { from: "a1", to: "a0" } },
  version: 2,
};
const nowhere = () => undefined;

describe("countsDelta", () => {
  it("moves one task between statuses on a status change", () => {
    expect(countsDelta(moved, nowhere)).toEqual(
      new Map([
        ["todo", -1],
        ["done", 1],
      ]),
    );
    const edited = { ...moved, type: "task.updated" };
    expect(countsDelta(edited, nowhere)?.get("done")).toBe(1);
  });

  it("changes nothing for a move within a column or an edit of another field", () => {
    const reordered = { ...moved, changes: { position: { from: "a1", to: "a0" } } };
    expect(countsDelta(reordered, nowhere)).toEqual(new Map());
    expect(countsDelta({ ...moved, type: "task.relation_added", changes: {} }, nowhere)).toEqual(
      new Map(),
    );
  });

  it("adds a created task to its status", () => {
    const created = {
      type: "task.created",
      task_id: "t9",
      changes: { status_id: { from: null, to: "todo" } },
    };
    expect(countsDelta(created, nowhere)).toEqual(new Map([["todo", 1]]));
  });

  it("takes a deleted task from the status it was in, when this tab knows it", () => {
    const deleted = { type: "task.deleted", task_id: "t1", changes: {} };
    expect(countsDelta(deleted, (id) => (id === "t1" ? "done" : undefined))).toEqual(
      new Map([["done", -1]]),
    );
    expect(countsDelta(deleted, nowhere)).toBeNull();
    expect(countsDelta({ type: "task.restored", task_id: "t1" }, nowhere)).toBeNull();
  });
});

describe("countsAfter", () => {
  it("applies a newer event once, and skips one the counts already reflect", () => {
    const after = countsAfter(counts(70, 50), {}, 11, moved, nowhere);
    expect(after).toEqual({ ...counts(69, 51), seq: 11 });
    // The same event again (a replay, or two subscriptions): no change.
    expect(countsAfter(after as Counts, {}, 11, moved, nowhere)).toBe(after);
    // An event older than the read the counts came from: already counted.
    const fresh = counts(70, 50, 20);
    expect(countsAfter(fresh, {}, 15, moved, nowhere)).toBe(fresh);
  });

  it("asks the server again when the event cannot be worked out here", () => {
    const high = { priority: ["high"] };
    expect(countsAfter(counts(70, 50), high, 11, moved, nowhere)).toBe("refetch");
    const reprioritised = { ...moved, changes: { priority: { from: "low", to: "high" } } };
    expect(countsAfter(counts(70, 50), high, 11, reprioritised, nowhere)).toBe("refetch");
    const deleted = { type: "task.deleted", task_id: "t1" };
    expect(countsAfter(counts(70, 50), {}, 11, deleted, nowhere)).toBe("refetch");
    const statusGone = { type: "status.deleted", project_id: "p1" };
    expect(countsAfter(counts(70, 50), {}, 11, statusGone, nowhere)).toBe("refetch");
  });

  it("ignores events that move no task", () => {
    const c = counts(70, 50);
    const renamed = { ...moved, changes: { title: { from: "a", to: "b" } } };
    expect(countsAfter(c, { priority: ["high"] }, 11, renamed, nowhere)).toBe(c);
    expect(countsAfter(c, { q: "login" }, 11, renamed, nowhere)).toBe("refetch");
    expect(countsAfter(c, {}, 11, { type: "comment.created", task_id: "t1" }, nowhere)).toBe(c);
  });
});

describe("adjustCounts", () => {
  it("adjusts the board's counts and names the filtered ones to refetch", () => {
    const qc = new QueryClient();
    qc.setQueryData(countKeys.one("p1", {}), counts(70, 50));
    qc.setQueryData(countKeys.one("p1", { priority: ["high"] }), counts(3, 1));
    qc.setQueryData(countKeys.one("p2", {}), counts(1, 1));
    const stale = adjustCounts(qc, 11, moved, nowhere);
    expect(countOf(qc.getQueryData<Counts>(countKeys.one("p1", {})), "done")).toBe(51);
    expect(stale).toEqual([countKeys.one("p1", { priority: ["high"] })]);
    expect(qc.getQueryData<Counts>(countKeys.one("p2", {}))?.total).toBe(2);
  });
});

describe("columnCount", () => {
  it("shows the loaded cards when that is all, else the server's count", () => {
    expect(columnCount(12, false, 99)).toBe("12");
    expect(columnCount(50, true, undefined)).toBe("50+");
    expect(columnCount(50, true, 137)).toBe("137");
    // Never fewer than the cards on screen (a count a moment behind).
    expect(columnCount(50, true, 49)).toBe("50");
  });
});
