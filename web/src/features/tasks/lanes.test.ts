import { describe, expect, it } from "vitest";
import { indexAmong } from "./api";
import { columnOfTarget, dropPlace } from "./dnd";
import { buildLanes, lanesOf, UNASSIGNED } from "./lanes";
import { task } from "./testdata";

const people = [
  { user_id: "u-ada", name: "Ada" },
  { user_id: "u-bob", name: "Bob" },
];

describe("swimlanes", () => {
  it("puts a task in each assignee's lane, or Unassigned, or its priority's lane", () => {
    expect(lanesOf(task({ assignee_ids: ["u-ada", "u-bob"] }), "assignee")).toEqual([
      "u-ada",
      "u-bob",
    ]);
    expect(lanesOf(task(), "assignee")).toEqual([UNASSIGNED]);
    expect(lanesOf(task({ priority: "high" }), "priority")).toEqual(["high"]);
    expect(lanesOf(task(), "none")).toEqual([]);
  });

  it("orders assignee lanes by the people list, strangers next, Unassigned last", () => {
    const a = task({ assignee_ids: ["u-bob"], status_id: "todo" });
    const b = task({ assignee_ids: [], status_id: "todo" });
    const c = task({ assignee_ids: ["u-gone", "u-ada"], status_id: "done" });
    const d = task({ assignee_ids: ["u-bob"], status_id: "done" });
    const lanes = buildLanes(
      [
        { statusId: "todo", tasks: [a, b] },
        { statusId: "done", tasks: [c, d] },
      ],
      "assignee",
      people,
    );
    expect(lanes.map((l) => [l.title, l.count])).toEqual([
      ["Ada", 1],
      ["Bob", 2],
      ["Someone no longer here", 1],
      ["Unassigned", 1],
    ]);
    const bob = lanes[1];
    expect(bob?.columns.get("todo")).toEqual([a]);
    expect(bob?.columns.get("done")).toEqual([d]);
    expect(lanes[0]?.columns.get("todo")).toBeUndefined();
  });

  it("orders priority lanes from urgent to none and leaves empty ones out", () => {
    const low = task({ priority: "low" });
    const urgent = task({ priority: "urgent" });
    const none = task({ priority: "none" });
    const lanes = buildLanes([{ statusId: "todo", tasks: [low, none, urgent] }], "priority", []);
    expect(lanes.map((l) => l.title)).toEqual(["Urgent", "Low", "No priority"]);
    expect(lanes.map((l) => l.id)).toEqual(["urgent", "low", "none"]);
  });
});

describe("moving among the shown cards", () => {
  const [a, b, c, d] = [task({ priority: "high" }), task(), task({ priority: "high" }), task()];
  const column = [a, b, c, d].map((t) => t as NonNullable<typeof t>);
  const high = (t: { priority: string }) => t.priority === "high";

  it("places a card dropped among the shown ones next to the same neighbours", () => {
    expect(indexAmong(column, high, 0)).toBe(0); // before a
    expect(indexAmong(column, high, 1)).toBe(1); // right after a
    expect(indexAmong(column, high, 2)).toBe(3); // right after c
    expect(indexAmong(column, () => false, 0)).toBe(4); // none shown: the bottom
  });

  it("finds the target column of a drop and the index among its cards", () => {
    const todo = { statusId: "todo", tasks: column };
    const done = { statusId: "done", tasks: [] };
    expect(columnOfTarget("column:done", [todo, done])).toBe(done);
    expect(columnOfTarget(String(c?.id), [todo, done])).toBe(todo);
    expect(columnOfTarget("elsewhere", [todo, done])).toBeNull();
    const event = (activeTask: unknown, overId: string) =>
      ({
        active: {
          data: { current: { task: activeTask } },
          rect: { current: { translated: null } },
        },
        over: { id: overId, rect: { top: 0, height: 10 } },
      }) as unknown as Parameters<typeof dropPlace>[0];
    const moving = { ...d, status_id: "todo" };
    expect(dropPlace(event(moving, String(b?.id)), [todo, done])).toEqual({
      task: moving,
      statusId: "todo",
      index: 1,
    });
    expect(dropPlace(event(moving, "column:done"), [todo, done])).toEqual({
      task: moving,
      statusId: "done",
      index: 0,
    });
    // Dropped where it already is: nothing to do.
    expect(dropPlace(event(moving, String(d?.id)), [todo, done])).toBeNull();
  });
});
