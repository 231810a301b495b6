import { describe, expect, it } from "vitest";
import { ApiError } from "../../api/client";
import { ambiguousIn, isTaskId, taskPath } from "./paths";

describe("taskPath", () => {
  it("names the workspace", () => {
    expect(taskPath("acme", "WEB-1")).toBe("/acme/t/WEB-1");
  });

  it("falls back to the old address, which redirects, without a slug", () => {
    expect(taskPath(undefined, "WEB-1")).toBe("/t/WEB-1");
    expect(taskPath("", "WEB-1")).toBe("/t/WEB-1");
  });

  it("escapes what a path cannot hold", () => {
    expect(taskPath("a b", "X/1")).toBe("/a%20b/t/X%2F1");
  });
});

describe("isTaskId", () => {
  it("tells ids from keys", () => {
    expect(isTaskId("01a2385d-e3ab-742c-a601-5702ce667db8")).toBe(true);
    expect(isTaskId("WEB-1")).toBe(false);
    expect(isTaskId("")).toBe(false);
  });
});

describe("ambiguousIn", () => {
  const problem = (code: string, workspaces?: string[]) =>
    new ApiError(409, { title: "Conflict", status: 409, code, workspaces });

  it("gives the workspaces of an ambiguous key", () => {
    expect(ambiguousIn(problem("ambiguous_key", ["acme", "nora"]))).toEqual(["acme", "nora"]);
  });

  it("is null for any other error", () => {
    expect(ambiguousIn(problem("conflict"))).toBeNull();
    expect(ambiguousIn(new Error("ambiguous_key"))).toBeNull();
  });
});
