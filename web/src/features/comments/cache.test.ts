import { QueryClient, QueryObserver } from "@tanstack/react-query";
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
  it("adds a new comment at the end and replaces an edited one in place", async () => {
    const qc = new QueryClient();
    qc.setQueryData(KEY, [comment("a"), comment("b")]);
    await putComment(qc, KEY, comment("c"));
    await putComment(qc, KEY, comment("a", { body: "fixed", edited_at: "2026-01-02T00:00:00Z" }));
    expect(bodies(qc)).toEqual(["fixed", "comment b", "comment c"]);
  });

  it("does not let the late answer of an earlier edit undo a later one", async () => {
    const qc = new QueryClient();
    qc.setQueryData(KEY, [comment("a", { body: "second", edited_at: "2026-01-03T00:00:00Z" })]);
    await putComment(qc, KEY, comment("a", { body: "first", edited_at: "2026-01-02T00:00:00Z" }));
    expect(bodies(qc)).toEqual(["second"]);
  });

  it("is not undone by a read that was on its way when the comment was posted", async () => {
    const qc = new QueryClient();
    // The server: the first read answers from before the post, slowly; later reads after it.
    const server: Comment[] = [];
    let reads = 0;
    const queryFn = async () => {
      reads += 1;
      const answer = reads === 1 ? [] : [...server];
      await new Promise((resolve) => setTimeout(resolve, reads === 1 ? 50 : 1));
      return answer;
    };
    // The open task's comment list: mounting it starts the first read.
    const shown = new QueryObserver(qc, { queryKey: KEY, queryFn });
    const stop = shown.subscribe(() => undefined);
    server.push(comment("c"));
    await putComment(qc, KEY, comment("c"));
    await new Promise((resolve) => setTimeout(resolve, 80));
    stop();
    expect(bodies(qc)).toEqual(["comment c"]);
    expect(reads).toBe(2);
  });
});

describe("takeComment", () => {
  it("removes a deleted comment and nothing else", async () => {
    const qc = new QueryClient();
    qc.setQueryData(KEY, [comment("a"), comment("b")]);
    await takeComment(qc, KEY, "a");
    expect(bodies(qc)).toEqual(["comment b"]);
  });
});
