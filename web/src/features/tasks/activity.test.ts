import { describe, expect, it } from "vitest";
import { matchCommand } from "../shell/CommandPalette";
import { describeActivity } from "./TaskDetail";

const lookup = {
  status: (id: string) => ({ s1: "Todo", s2: "Done" })[id] ?? "?",
  label: (id: string) => ({ l1: "bug" })[id] ?? "?",
  person: (id: string) => ({ u1: "Ada" })[id] ?? "someone",
};

describe("describeActivity", () => {
  it("names statuses, people and labels instead of ids", () => {
    expect(
      describeActivity(
        {
          type: "task.moved",
          changes: { status_id: { from: "s1", to: "s2" }, position: { from: "a", to: "b" } },
        },
        lookup,
      ),
    ).toBe("moved status from Todo to Done");
    expect(
      describeActivity(
        {
          type: "task.updated",
          changes: { assignee_ids: { from: [], to: ["u1"] }, label_ids: { from: ["l1"], to: [] } },
        },
        lookup,
      ),
    ).toBe("changed assignee from nobody to Ada; label from bug to none");
    expect(
      describeActivity(
        { type: "task.updated", changes: { description: { from: "a", to: "b" } } },
        lookup,
      ),
    ).toBe("edited the description");
    expect(describeActivity({ type: "comment.created", changes: {} }, lookup)).toBe("commented");
  });
});

describe("matchCommand", () => {
  it("matches every word in any order, ignoring case", () => {
    expect(matchCommand("Open project ENG Engineering", "eng open")).toBe(true);
    expect(matchCommand("Open project ENG Engineering", "design")).toBe(false);
    expect(matchCommand("Sign out", "")).toBe(true);
  });
});
