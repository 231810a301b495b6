import { QueryClient } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import type { Task } from "../../api/types";
import { storeTask, taskKeys } from "../tasks/cache";
import { type Counts, countKeys, countOf } from "../tasks/counts";
import { type Column, flatten } from "../tasks/ordering";
import { column, task } from "../tasks/testdata";
import { writing } from "../tasks/writes";
import type { LiveEvent } from "./live";
import { alreadyKnown, applyEvent, REFRESH_ONE_BY_ONE, TaskRefresher } from "./useLive";

function board() {
  const qc = new QueryClient();
  const a = task({ status_id: "todo", position: "a1", version: 3 });
  const b = task({ status_id: "todo", position: "a2" });
  qc.setQueryData(taskKeys.column("p1", "todo"), column({ items: [a, b], next: "more" }));
  qc.setQueryData(taskKeys.column("p1", "done"), column({ items: [] }));
  const counts: Counts = {
    total: 120,
    by_status: [
      { status_id: "todo", count: 120 },
      { status_id: "done", count: 0 },
    ],
    seq: 10,
  };
  qc.setQueryData(countKeys.one("p1", {}), counts);
  const fetched: string[] = [];
  const refresher = new TaskRefresher(qc, async (id) => {
    fetched.push(id);
    return { ...(id === a.id ? a : b), version: 99 };
  });
  return { qc, a, b, refresher, fetched };
}

const boardCounts = (qc: QueryClient) => qc.getQueryData<Counts>(countKeys.one("p1", {}));

function moveEvent(t: Task, version: number): LiveEvent {
  return {
    type: "task.moved",
    project_id: "p1",
    task_id: t.id,
    key: t.key,
    version,
    changes: { status_id: { from: "todo", to: "done" } },
  };
}

describe("applyEvent and the column counts", () => {
  it("adjusts the counts by each event once, however often it arrives", () => {
    const { qc, a, refresher } = board();
    applyEvent(qc, refresher, moveEvent(a, 4), 11);
    expect(countOf(boardCounts(qc), "todo")).toBe(119);
    expect(countOf(boardCounts(qc), "done")).toBe(1);
    // Replayed after a reconnect that resumed from an older position: already counted.
    applyEvent(qc, refresher, moveEvent(a, 4), 11);
    expect(countOf(boardCounts(qc), "done")).toBe(1);
    expect(boardCounts(qc)?.seq).toBe(11);
  });

  it("takes a deleted task from the column it was cached in", () => {
    const { qc, b, refresher } = board();
    applyEvent(qc, refresher, { type: "task.deleted", project_id: "p1", task_id: b.id }, 11);
    expect(countOf(boardCounts(qc), "todo")).toBe(119);
    const todo = flatten(qc.getQueryData<Column>(taskKeys.column("p1", "todo")));
    expect(todo.map((t) => t.id)).not.toContain(b.id);
  });

  it("refetches, once per burst, counts an event cannot adjust", () => {
    const { qc, a, refresher } = board();
    qc.setQueryData(countKeys.one("p1", { priority: ["high"] }), { ...boardCounts(qc), seq: 10 });
    applyEvent(qc, refresher, moveEvent(a, 4), 11);
    applyEvent(qc, refresher, { ...moveEvent(a, 5) }, 12);
    refresher.flush();
    const filtered = qc.getQueryState(countKeys.one("p1", { priority: ["high"] }));
    expect(filtered?.isInvalidated).toBe(true);
    expect(qc.getQueryState(countKeys.one("p1", {}))?.isInvalidated).toBe(false);
  });
});

describe("which events need the task fetched", () => {
  it("skips a version this tab already holds (its own change, or read after the event)", () => {
    const { qc, a, refresher, fetched } = board();
    expect(alreadyKnown(qc, moveEvent(a, 3))).toBe(true);
    expect(alreadyKnown(qc, moveEvent(a, 4))).toBe(false);
    applyEvent(qc, refresher, moveEvent(a, 3), 11);
    refresher.flush();
    expect(fetched).toEqual([]);
    applyEvent(qc, refresher, moveEvent(a, 4), 12);
    refresher.flush();
    expect(fetched).toEqual([a.id]);
  });

  it("skips tasks of projects this tab shows nothing of", () => {
    const { qc } = board();
    const elsewhere = { type: "task.updated", project_id: "p2", task_id: "x", version: 2 };
    expect(alreadyKnown(qc, elsewhere)).toBe(true);
    const created = { type: "task.created", project_id: "p1", task_id: "new" };
    expect(alreadyKnown(qc, created)).toBe(false);
    const b = flatten(qc.getQueryData<Column>(taskKeys.column("p1", "todo")))[1] as Task;
    expect(alreadyKnown(qc, { ...created, task_id: b.id })).toBe(true);
  });

  it("reloads what is shown of a project instead of fetching a long replay task by task", () => {
    const { qc, refresher, fetched } = board();
    for (let i = 0; i <= REFRESH_ONE_BY_ONE; i++) {
      refresher.add(`t${i}`, "p1", `ENG-${i}`);
    }
    refresher.flush();
    expect(fetched).toEqual([]);
    expect(qc.getQueryState(taskKeys.column("p1", "todo"))?.isInvalidated).toBe(true);
  });

  it("waits for this tab's write in flight: its own event, arriving first, fetches nothing", async () => {
    const { qc, a, refresher, fetched } = board();
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const write = writing([a.id], async () => {
      await answered;
      storeTask(qc, { ...a, status_id: "done", version: 4 });
    });
    applyEvent(qc, refresher, moveEvent(a, 4), 11);
    refresher.flush();
    expect(fetched).toEqual([]);
    answer();
    await write;
    refresher.flush();
    expect(fetched).toEqual([]);
  });

  it("fetches after the write settles when the event is newer than its answer", async () => {
    const { qc, a, refresher, fetched } = board();
    const write = writing([a.id], async () => {
      throw new Error("412: someone else changed it");
    });
    applyEvent(qc, refresher, moveEvent(a, 4), 11);
    await write.catch(() => undefined);
    refresher.flush();
    expect(fetched).toEqual([a.id]);
  });
});

describe("file and comment events", () => {
  function views() {
    const qc = new QueryClient();
    const t = task({ key: "ENG-7" });
    qc.setQueryData(taskKeys.detail("ENG-7"), t);
    for (const key of [
      taskKeys.attachments("ENG-7"),
      taskKeys.comments("ENG-7"),
      taskKeys.activity("ENG-7"),
    ])
      qc.setQueryData(key, []);
    const stale = () =>
      ["attachments", "comments", "activity"].filter(
        (part) => qc.getQueryState(["task", "ENG-7", part])?.isInvalidated,
      );
    return { qc, t, stale, refresher: new TaskRefresher(qc, async () => t) };
  }

  it("an attachment event asks for the task's files and history again, not its comments", () => {
    const { qc, t, stale, refresher } = views();
    applyEvent(qc, refresher, { type: "attachment.added", project_id: "p1", task_id: t.id }, 5);
    expect(stale()).toEqual(["attachments", "activity"]);
  });

  it("a comment event asks for the files too (a comment takes its files along)", () => {
    const { qc, t, stale, refresher } = views();
    applyEvent(qc, refresher, { type: "comment.created", project_id: "p1", task_id: t.id }, 5);
    expect(stale()).toEqual(["attachments", "comments", "activity"]);
  });
});
