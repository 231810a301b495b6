import { describe, expect, it } from "vitest";
import {
  ALL_TYPES,
  describePattern,
  EMPTY,
  FAMILIES,
  familyOf,
  isEmpty,
  isSent,
  NOT_OFFERED,
  parsePatterns,
  setAll,
  setFamily,
  setType,
  toPatterns,
} from "./events";

describe("the event catalogue", () => {
  it("offers each type once, in its own family, and never notification.created", () => {
    expect(new Set(ALL_TYPES).size).toBe(ALL_TYPES.length);
    for (const f of FAMILIES) {
      for (const t of f.types) expect(familyOf(t.type)).toBe(f.family);
    }
    expect(ALL_TYPES).not.toContain("notification.created");
    expect(ALL_TYPES).toContain("task.created");
    expect(ALL_TYPES).toContain("comment.deleted");
    expect(FAMILIES.map((f) => f.family)).toEqual([
      "task",
      "comment",
      "attachment",
      "project",
      "status",
      "label",
      "workspace",
    ]);
    for (const t of NOT_OFFERED) expect(ALL_TYPES).not.toContain(t);
  });
});

describe("reading patterns into the checklist", () => {
  it("reads everything, families, single types, and keeps what it does not know", () => {
    const s = parsePatterns(["task.*", "comment.created", "cycle.*", "cycle.started", "*"]);
    expect(s.all).toBe(true);
    expect([...s.families]).toEqual(["task"]);
    expect([...s.types]).toEqual(["comment.created"]);
    expect(s.other).toEqual(["cycle.*", "cycle.started"]);
  });

  it("ticks a type chosen alone, through its family, or through everything", () => {
    const s = parsePatterns(["task.*", "comment.created"]);
    expect(isSent(s, "task.moved")).toBe(true);
    expect(isSent(s, "comment.created")).toBe(true);
    expect(isSent(s, "comment.updated")).toBe(false);
    expect(isSent(parsePatterns(["*"]), "label.deleted")).toBe(true);
    expect(isSent(EMPTY, "task.created")).toBe(false);
  });
});

describe("writing the checklist back as patterns", () => {
  it("sends * alone when everything is ticked", () => {
    const s = setAll(parsePatterns(["task.*", "comment.created", "cycle.*"]), true);
    expect(toPatterns(s)).toEqual(["*"]);
  });

  it("writes whole families as family.* and drops the single types they cover", () => {
    let s = setType(EMPTY, "task.created", true);
    s = setType(s, "comment.created", true);
    s = setFamily(s, "task", true);
    expect(toPatterns(s)).toEqual(["task.*", "comment.created"]);
  });

  it("keeps the checklist's order whatever the order of the clicks, and unknown patterns last", () => {
    let s = parsePatterns(["cycle.*"]);
    s = setType(s, "label.created", true);
    s = setFamily(s, "comment", true);
    s = setType(s, "task.moved", true);
    expect(toPatterns(s)).toEqual(["comment.*", "task.moved", "label.created", "cycle.*"]);
  });

  it("brings back the single types ticked before a family is unticked", () => {
    let s = setType(EMPTY, "task.created", true);
    s = setFamily(s, "task", true);
    s = setFamily(s, "task", false);
    expect(toPatterns(s)).toEqual(["task.created"]);
    s = setType(s, "task.created", false);
    expect(toPatterns(s)).toEqual([]);
    expect(isEmpty(s)).toBe(true);
  });

  it("round-trips what the server stored", () => {
    for (const patterns of [["*"], ["task.*"], ["task.*", "comment.created"], ["status.deleted"]]) {
      expect(toPatterns(parsePatterns(patterns))).toEqual(patterns);
    }
  });

  it("does not change the selection it was given", () => {
    const s = parsePatterns(["task.created"]);
    setType(s, "task.moved", true);
    setFamily(s, "comment", true);
    expect(toPatterns(s)).toEqual(["task.created"]);
  });
});

describe("describePattern", () => {
  it("names everything and families, and leaves single types as they are", () => {
    expect(describePattern("*")).toBe("Every event");
    expect(describePattern("task.*")).toBe("All task events");
    expect(describePattern("comment.created")).toBe("comment.created");
    expect(describePattern("cycle.*")).toBe("cycle.*");
  });
});
