import { describe, expect, it } from "vitest";
import type { Project, Status } from "../../api/types";
import { task } from "../tasks/testdata";
import { type GroupContext, groupTasks } from "./groups";

function status(id: string, name: string, category: Status["category"], position: number) {
  return { id, name, category, position, color: "#888888", project_id: "p1" } satisfies Status;
}

function project(id: string, name: string): Project {
  return { id, name, key: name.slice(0, 3).toUpperCase() } as Project;
}

const ctx: GroupContext = {
  statuses: new Map(
    [
      status("done", "Done", "done", 3),
      status("todo", "Todo", "unstarted", 1),
      status("doing", "In Progress", "started", 2),
      status("backlog", "Backlog", "backlog", 0),
      // Another project's "todo": one group with the first.
      status("todo2", "TODO", "unstarted", 0),
    ].map((s) => [s.id, s]),
  ),
  people: new Map([
    ["u1", "Zoe"],
    ["u2", "Ada"],
  ]),
  projects: new Map([
    ["p1", project("p1", "Web")],
    ["p2", project("p2", "Api")],
  ]),
};

const titles = (groups: ReturnType<typeof groupTasks>) =>
  groups.map((g) => [g.title, g.tasks.map((t) => t.title)]);

describe("groupTasks", () => {
  it("groups by status in the workflow's order, one group per name, and unknown ones last", () => {
    const tasks = [
      task({ title: "a", status_id: "done" }),
      task({ title: "b", status_id: "todo" }),
      task({ title: "c", status_id: "gone" }),
      task({ title: "d", status_id: "backlog" }),
      task({ title: "e", status_id: "todo2" }),
      task({ title: "f", status_id: "doing" }),
    ];
    expect(titles(groupTasks(tasks, "status", ctx))).toEqual([
      ["Backlog", ["d"]],
      ["Todo", ["b", "e"]],
      ["In Progress", ["f"]],
      ["Done", ["a"]],
      ["Other status", ["c"]],
    ]);
  });

  it("groups by assignee by name, a task under each of its people, and the unassigned last", () => {
    const tasks = [
      task({ title: "a", assignee_ids: ["u1", "u2"] }),
      task({ title: "b" }),
      task({ title: "c", assignee_ids: ["u3"] }),
      task({ title: "d", assignee_ids: ["u2"] }),
    ];
    expect(titles(groupTasks(tasks, "assignee", ctx))).toEqual([
      ["Ada", ["a", "d"]],
      ["Zoe", ["a"]],
      ["Someone else", ["c"]],
      ["No assignee", ["b"]],
    ]);
  });

  it("groups by priority from urgent to none, leaving out empty ones", () => {
    const tasks = [
      task({ title: "a", priority: "low" }),
      task({ title: "b", priority: "urgent" }),
      task({ title: "c", priority: "none" }),
      task({ title: "d", priority: "low" }),
    ];
    expect(titles(groupTasks(tasks, "priority", ctx))).toEqual([
      ["Urgent", ["b"]],
      ["Low", ["a", "d"]],
      ["No priority", ["c"]],
    ]);
  });

  it("groups by project by name, keeping the view's order inside a group", () => {
    const tasks = [
      task({ title: "a", project_id: "p1" }),
      task({ title: "b", project_id: "p2" }),
      task({ title: "c", project_id: "p9" }),
      task({ title: "d", project_id: "p2" }),
    ];
    expect(titles(groupTasks(tasks, "project", ctx))).toEqual([
      ["Api", ["b", "d"]],
      ["Web", ["a"]],
      ["Other project", ["c"]],
    ]);
  });

  it("has no groups without tasks", () => {
    expect(groupTasks([], "status", ctx)).toEqual([]);
  });
});
