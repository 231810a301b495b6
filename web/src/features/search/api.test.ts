import { describe, expect, it } from "vitest";
import { hitTarget, searchable } from "./api";

describe("searchable", () => {
  it("needs a letter or digit outside the words left out", () => {
    expect(searchable("login")).toBe(true);
    expect(searchable("é")).toBe(true);
    expect(searchable("42")).toBe(true);
    expect(searchable("")).toBe(false);
    expect(searchable("  ?! ")).toBe(false);
    expect(searchable("-flaky")).toBe(false);
    expect(searchable('-"a phrase" -x')).toBe(false);
    expect(searchable("login -flaky")).toBe(true);
    expect(searchable("e-mail")).toBe(true);
  });
});

describe("hitTarget", () => {
  it("opens the task in its project's board", () => {
    expect(
      hitTarget({
        kind: "comment",
        task_id: "t",
        task_key: "ENG-4",
        title: "x",
        comment_id: "c",
        project_id: "p",
        snippet: [],
        score: 1,
      }),
    ).toBe("/p/p/board/ENG-4");
  });
});
