import { describe, expect, it } from "vitest";
import { advance, backoff, scopeKey } from "./live";

describe("backoff", () => {
  it("doubles from half a second up to thirty, with jitter", () => {
    const mid = () => 0.5;
    expect([0, 1, 2, 3].map((n) => backoff(n, mid))).toEqual([500, 1000, 2000, 4000]);
    expect(backoff(20, mid)).toBe(30_000);
    expect(backoff(0, () => 0)).toBe(400);
    expect(backoff(0, () => 1)).toBe(600);
  });
});

describe("advance (the cursor)", () => {
  it("takes the highest seq of events, subscribed, heartbeats and pongs", () => {
    let cursor: number | null = null;
    cursor = advance(cursor, { type: "event", seq: 5 });
    cursor = advance(cursor, { type: "heartbeat", seq: 9 });
    cursor = advance(cursor, { type: "event", seq: 7 });
    expect(cursor).toBe(9);
    expect(advance(cursor, { type: "presence", seq: 100 })).toBe(9);
    expect(advance(cursor, { type: "subscribed", seq: 12 })).toBe(12);
    expect(advance(cursor, { type: "pong", seq: "12" })).toBe(9);
  });
});

describe("scopeKey", () => {
  it("names each scope once", () => {
    expect(scopeKey({ project_id: "p" })).toBe("project:p");
    expect(scopeKey({ task_id: "ENG-1" })).toBe("task:ENG-1");
  });
});
