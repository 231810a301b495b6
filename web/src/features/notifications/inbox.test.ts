import { describe, expect, it } from "vitest";
import { boxOf, neighbour, notificationTarget } from "./inbox";

describe("notificationTarget", () => {
  const slugs: Record<string, string> = { w1: "acme" };
  const slugOf = (id: string) => slugs[id];

  it("leads to the task, by key, in its workspace", () => {
    expect(
      notificationTarget({ task_key: "ENG-4", project_id: "p1", workspace_id: "w1" }, slugOf),
    ).toBe("/acme/t/ENG-4");
    // The workspace list is not loaded (or lacks it): the old address, which redirects.
    expect(
      notificationTarget({ task_key: "ENG-4", project_id: "p1", workspace_id: "w9" }, slugOf),
    ).toBe("/t/ENG-4");
  });

  it("leads to the project or the workspace when there is no task to see", () => {
    expect(
      notificationTarget({ task_key: null, project_id: "p1", workspace_id: "w1" }, slugOf),
    ).toBe("/p/p1");
    expect(
      notificationTarget({ task_key: null, project_id: null, workspace_id: "w1" }, slugOf),
    ).toBe("/w/w1");
    expect(
      notificationTarget({ task_key: null, project_id: null, workspace_id: null }, slugOf),
    ).toBeNull();
  });

  it("leads a disabled webhook's notification to the workspace's webhooks", () => {
    expect(
      notificationTarget(
        { type: "webhook_disabled", task_key: null, project_id: null, workspace_id: "w1" },
        slugOf,
      ),
    ).toBe("/w/w1/settings/webhooks");
  });
});

describe("boxOf", () => {
  it("reads the box from the address, the inbox by default", () => {
    expect(boxOf("archived")).toBe("archived");
    expect(boxOf("snoozed")).toBe("snoozed");
    expect(boxOf(null)).toBe("inbox");
    expect(boxOf("trash")).toBe("inbox");
  });
});

describe("neighbour", () => {
  it("is the next item, or the one before at the end", () => {
    expect(neighbour(["a", "b", "c"], "b")).toBe("c");
    expect(neighbour(["a", "b", "c"], "c")).toBe("b");
    expect(neighbour(["a"], "a")).toBeNull();
    expect(neighbour(["a"], "x")).toBeNull();
  });
});
