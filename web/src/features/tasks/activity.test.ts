import { describe, expect, it } from "vitest";
import { matchCommand } from "../shell/CommandPalette";
import { describeActivity, mentionedTasks } from "./TaskDetail";

const lookup = {
  status: (id: string) => ({ s1: "Todo", s2: "Done" })[id] ?? "?",
  label: (id: string) => ({ l1: "bug" })[id] ?? "?",
  person: (id: string) => ({ u1: "Ada" })[id] ?? "someone",
  task: (id: string) => ({ t1: "ENG-1 The epic" })[id] ?? "a task you cannot see",
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

  it("names the file that was attached or removed", () => {
    const file = { filename: "shot.png", content_type: "image/png", size: 1, comment_id: null };
    const added = Object.fromEntries(
      Object.entries(file).map(([k, v]) => [k, { from: null, to: v }]),
    );
    const removed = Object.fromEntries(
      Object.entries(file).map(([k, v]) => [k, { from: v, to: null }]),
    );
    expect(describeActivity({ type: "attachment.added", changes: added }, lookup)).toBe(
      "attached shot.png",
    );
    expect(describeActivity({ type: "attachment.removed", changes: removed }, lookup)).toBe(
      "removed shot.png",
    );
    // An entry without its file's name still reads.
    expect(describeActivity({ type: "attachment.removed", changes: {} }, lookup)).toBe(
      "removed a file",
    );
  });

  it("names the parent and the related task by key, and never shows their ids", () => {
    expect(
      describeActivity(
        { type: "task.updated", changes: { parent_id: { from: null, to: "t1" } } },
        lookup,
      ),
    ).toBe("changed parent from none to ENG-1 The epic");
    expect(
      describeActivity(
        {
          type: "task.relation_added",
          changes: { relation: { from: null, to: { type: "blocked_by", task_id: "t1" } } },
        },
        lookup,
      ),
    ).toBe("added a relation: blocked by ENG-1 The epic");
    expect(
      describeActivity(
        {
          type: "task.relation_removed",
          changes: { relation: { from: { type: "relates_to", task_id: "t9" }, to: null } },
        },
        lookup,
      ),
    ).toBe("removed a relation: relates to a task you cannot see");
  });

  it("finds the tasks that entries mention", () => {
    expect(
      mentionedTasks([
        { changes: { parent_id: { from: "t1", to: "t2" } } },
        { changes: { relation: { from: null, to: { type: "blocks", task_id: "t3" } } } },
        { changes: { relation: { from: { type: "blocks", task_id: "t1" }, to: null } } },
        { changes: { status_id: { from: "s1", to: "s2" } } },
      ]),
    ).toEqual(["t1", "t2", "t3"]);
  });
});

describe("matchCommand", () => {
  it("matches every word in any order, ignoring case", () => {
    expect(matchCommand("Open project ENG Engineering", "eng open")).toBe(true);
    expect(matchCommand("Open project ENG Engineering", "design")).toBe(false);
    expect(matchCommand("Sign out", "")).toBe(true);
  });
});
