import { afterEach, describe, expect, it, vi } from "vitest";
import { changesStats, debouncer } from "./stats";

describe("which live events change the cards' counts", () => {
  it("takes comments and tasks coming, going, moving or changing parent", () => {
    const at = { project_id: "p1" };
    expect(changesStats({ ...at, type: "comment.created" }, "p1")).toBe(true);
    expect(changesStats({ ...at, type: "comment.deleted" }, "p1")).toBe(true);
    expect(changesStats({ ...at, type: "task.created" }, "p1")).toBe(true);
    expect(changesStats({ ...at, type: "task.deleted" }, "p1")).toBe(true);
    expect(
      changesStats(
        { ...at, type: "task.moved", changes: { status_id: { from: "a", to: "b" } } },
        "p1",
      ),
    ).toBe(true);
    expect(
      changesStats(
        { ...at, type: "task.updated", changes: { parent_id: { from: null, to: "t" } } },
        "p1",
      ),
    ).toBe(true);
  });

  it("ignores other projects and edits that change no count", () => {
    expect(changesStats({ project_id: "p2", type: "comment.created" }, "p1")).toBe(false);
    expect(
      changesStats(
        { project_id: "p1", type: "task.updated", changes: { title: { from: "a", to: "b" } } },
        "p1",
      ),
    ).toBe(false);
    expect(changesStats({ project_id: "p1", type: "label.created" }, "p1")).toBe(false);
  });
});

describe("debouncer", () => {
  afterEach(() => vi.useRealTimers());

  it("asks once, a second after the last of a burst", () => {
    vi.useFakeTimers();
    const refresh = vi.fn();
    const later = debouncer(refresh, 1000);
    later.poke();
    vi.advanceTimersByTime(600);
    later.poke();
    vi.advanceTimersByTime(600);
    expect(refresh).not.toHaveBeenCalled();
    vi.advanceTimersByTime(400);
    expect(refresh).toHaveBeenCalledTimes(1);
    later.poke();
    later.cancel();
    vi.advanceTimersByTime(2000);
    expect(refresh).toHaveBeenCalledTimes(1);
  });
});
