import { describe, expect, it } from "vitest";
import { safeNext, signInFor } from "./next";

describe("safeNext", () => {
  it.each([
    ["/t/ENG-1", "/t/ENG-1"],
    ["/p/abc/list?priority=high#x", "/p/abc/list?priority=high#x"],
    ["/w/1", "/w/1"],
  ])("keeps the path %s", (raw, want) => {
    expect(safeNext(raw)).toBe(want);
  });

  it.each([
    null,
    undefined,
    "",
    "//evil.example",
    "//evil.example/t/ENG-1",
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    "/\\evil.example",
    "\\\\evil.example",
    "/\tevil",
    " /t/ENG-1",
    "t/ENG-1",
    "/signin",
    "/signup?next=/x",
  ])("refuses %s", (raw) => {
    expect(safeNext(raw)).toBe("/");
  });
});

describe("signInFor", () => {
  it("carries the path in `next`", () => {
    expect(signInFor("/t/ENG-1")).toBe("/signin?next=%2Ft%2FENG-1");
    expect(signInFor("/")).toBe("/signin");
  });
});
