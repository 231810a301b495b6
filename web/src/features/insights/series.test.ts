import { describe, expect, it } from "vitest";
import type { InsightPoint } from "./api";
import { flowRows, mergeStatuses, pointIndex, rowOf } from "./series";

describe("mergeStatuses", () => {
  const points: InsightPoint[] = [
    { status_id: "a", status_name: "Done", category: "done", count: 2, task_ids: ["1", "2"] },
    { status_id: "b", status_name: "done", category: "done", count: 1, task_ids: ["3"] },
    { status_id: "c", status_name: "Todo", category: "unstarted", count: 0, task_ids: [] },
  ];

  it("keeps one bar per status in a project", () => {
    expect(mergeStatuses(points, false).map((b) => [b.name, b.point.count])).toEqual([
      ["Done", 2],
      ["done", 1],
      ["Todo", 0],
    ]);
  });

  it("adds up statuses of one name and category across a workspace, tasks included", () => {
    const [done, todo] = mergeStatuses(
      [...points, { ...points[0], status_id: "d", task_ids_truncated: true }] as InsightPoint[],
      true,
    );
    expect(done?.point.count).toBe(5);
    expect(done?.point.task_ids).toEqual(["1", "2", "3", "1", "2"]);
    expect(done?.point.task_ids_truncated).toBe(true);
    expect(todo?.name).toBe("Todo");
    // The API's points are not changed.
    expect(points[0]?.count).toBe(2);
  });
});

describe("flowRows", () => {
  it("makes one row per day with a count per category, in date order", () => {
    const rows = flowRows([
      { date: "2026-12-02", category: "done", count: 3, task_ids: ["x"] },
      { date: "2026-12-01", category: "started", count: 1 },
      { date: "2026-12-02", category: "backlog", count: 4 },
      { date: "2026-12-02", category: "weird", count: 9 },
    ]);
    expect(rows.map((r) => r.date)).toEqual(["2026-12-01", "2026-12-02"]);
    expect(rows[1]).toMatchObject({ done: 3, backlog: 4, started: 0, unstarted: 0 });
    expect(rows[1]?.points.done?.task_ids).toEqual(["x"]);
  });
});

describe("rowOf", () => {
  it("answers the row a clicked bar carries, or -1", () => {
    expect(rowOf({ payload: { row: 3 } })).toBe(3);
    expect(rowOf({ payload: {} })).toBe(-1);
    expect(rowOf(null)).toBe(-1);
  });
});

describe("pointIndex", () => {
  const points: InsightPoint[] = [
    { status_id: "a", status_name: "Done", category: "done", count: 2, task_ids: ["1", "2"] },
    { status_id: "b", status_name: "done", category: "done", count: 1, task_ids: ["3"] },
    { date: "2026-12-01", category: "done", count: 4, task_ids: [] },
    { date: "2026-12-01", category: "started", count: 4, task_ids: [] },
  ];

  it("finds the point a bar stands for, copied or not", () => {
    expect(pointIndex(points, points[1] as InsightPoint)).toBe(1);
    expect(pointIndex(points, { ...(points[3] as InsightPoint), task_ids: [] })).toBe(3);
    const [project] = mergeStatuses(points.slice(0, 2), false);
    expect(pointIndex(points, project?.point as InsightPoint)).toBe(0);
  });

  it("finds none for statuses added up across a workspace", () => {
    const [merged] = mergeStatuses(points.slice(0, 2), true);
    expect(merged?.point.count).toBe(3);
    expect(pointIndex(points, merged?.point as InsightPoint)).toBe(-1);
  });
});
