import { describe, expect, it } from "vitest";
import type { Status, StatusCategory } from "../../api/types";
import { newStatusPosition } from "./statusOrder";

const workflow = (
  [
    ["Backlog", "backlog"],
    ["Todo", "unstarted"],
    ["In Progress", "started"],
    ["Done", "done"],
    ["Cancelled", "cancelled"],
  ] as Array<[string, StatusCategory]>
).map(([name, category], position) => ({ id: name, name, category, position }) as Status);

describe("newStatusPosition", () => {
  it("puts a status after the last of its category, before later categories", () => {
    expect(newStatusPosition(workflow, "started")).toBe(3);
    expect(newStatusPosition(workflow, "unstarted")).toBe(2);
    expect(newStatusPosition(workflow, "backlog")).toBe(1);
    expect(newStatusPosition(workflow, "done")).toBe(4);
    expect(newStatusPosition(workflow, "cancelled")).toBe(5);
  });

  it("works with no statuses at all", () => {
    expect(newStatusPosition([], "started")).toBe(0);
  });
});
