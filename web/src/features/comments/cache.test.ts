import { QueryClient } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import type { Comment } from "../../api/types";
import { putComment, takeComment } from "./cache";

const KEY = ["task", "ENG-1", "comments"] as const;

function comment(id: string, fields: Partial<Comment> = {}): Comment {
  return {
    id,
    task_id: "t1",
    author_id: "u1",
    author: null,
    body: `comment ${id}`,
    created_at: "2026-01-01T00:00:00Z",
    edited_at: null,
    ...fields,
  } as Comment;
}

const bodies = (qc: QueryClient) => qc.getQueryData<Comment[]>(KEY)?.map((c) => c.body);

describe("putComment", () => {
  it("adds a new comment at the end and replaces an edited one in place", () => {
    const qc = new QueryClient();
    qc.setQueryData(KEY, [comment("a"), comment("b")]);
    putComment(qc, KEY, comment("c"));
    putComment(qc, KEY, comment("a", { body: "fixed", edited_at: "2026-01-02T00:00:00Z" }));
    expect(bodies(qc)).toEqual(["fixed", "comment b", "comment c"]);
  });

  it("does not let the late answer of an earlier edit undo a later one", () => {
    const qc = new QueryClient();
    qc.setQueryData(KEY, [comment("a", { body: "second", edited_at: "2026-01-03T00:00:00Z" })]);
    putComment(qc, KEY, comment("a", { body: "first", edited_at: "2026-01-02T00:00:00Z" }));
    expect(bodies(qc)).toEqual(["second"]);
  });
});

describe("takeComment", () => {
  it("removes a deleted comment and nothing else", () => {
    const qc = new QueryClient();
    qc.setQueryData(KEY, [comment("a"), comment("b")]);
    takeComment(qc, KEY, "a");
    expect(bodies(qc)).toEqual(["comment b"]);
  });
});
