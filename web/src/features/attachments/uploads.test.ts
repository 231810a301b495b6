import { describe, expect, it } from "vitest";
import { attachment } from "./testdata";
import {
  busy,
  MAX_PARALLEL,
  progressOf,
  reduce,
  startable,
  type Transfer,
  type Upload,
  type UploadAction,
  UploadStore,
} from "./uploads";

function run(...actions: UploadAction[]): Upload[] {
  return actions.reduce<Upload[]>(reduce, []);
}

const add = (...ids: string[]): UploadAction => ({
  type: "add",
  uploads: ids.map((id) => ({ id, name: `${id}.png`, size: 1000 })),
});

describe("an upload's phases", () => {
  it("goes queued, sending with progress, finishing, done", () => {
    let state = run(add("u1"));
    expect(state[0]).toMatchObject({ phase: "queued", loaded: 0 });
    state = reduce(state, { type: "start", id: "u1" });
    state = reduce(state, { type: "progress", id: "u1", loaded: 400 });
    expect(state[0]).toMatchObject({ phase: "sending", loaded: 400 });
    expect(progressOf(state[0] as Upload)).toBe(0.4);
    state = reduce(state, { type: "sent", id: "u1" });
    expect(state[0]?.phase).toBe("finishing");
    expect(progressOf(state[0] as Upload)).toBe(0.99);
    state = reduce(state, { type: "done", id: "u1", attachment: attachment() });
    expect(state[0]).toMatchObject({ phase: "done", loaded: 1000 });
    expect(state[0]?.attachment?.id).toBe("a1");
    expect(progressOf(state[0] as Upload)).toBe(1);
  });

  it("never moves the progress backwards or past the file's size", () => {
    let state = run(add("u1"), { type: "start", id: "u1" });
    state = reduce(state, { type: "progress", id: "u1", loaded: 600 });
    state = reduce(state, { type: "progress", id: "u1", loaded: 200 });
    expect(state[0]?.loaded).toBe(600);
    state = reduce(state, { type: "progress", id: "u1", loaded: 5000 });
    expect(state[0]?.loaded).toBe(1000);
    // Not done until the server says so.
    expect(progressOf(state[0] as Upload)).toBe(0.99);
  });

  it("ignores what comes after a cancel or a failure", () => {
    let state = run(add("u1"), { type: "start", id: "u1" }, { type: "cancel", id: "u1" });
    state = reduce(state, { type: "progress", id: "u1", loaded: 500 });
    state = reduce(state, { type: "done", id: "u1", attachment: attachment() });
    expect(state[0]).toMatchObject({ phase: "cancelled", loaded: 0 });
    state = run(add("u2"), { type: "start", id: "u2" }, { type: "fail", id: "u2", error: "No" });
    state = reduce(state, { type: "sent", id: "u2" });
    expect(state[0]).toMatchObject({ phase: "failed", error: "No" });
  });

  it("cannot be cancelled once its bytes are up (the server may be recording it)", () => {
    const state = run(
      add("u1"),
      { type: "start", id: "u1" },
      { type: "sent", id: "u1" },
      { type: "cancel", id: "u1" },
    );
    expect(state[0]?.phase).toBe("finishing");
  });

  it("keeps whether trying again may help", () => {
    const state = run(
      add("u1"),
      { type: "start", id: "u1" },
      { type: "fail", id: "u1", error: "Too large", retryable: false },
    );
    expect(state[0]).toMatchObject({ phase: "failed", retryable: false });
  });

  it("is queued again by a retry, with its error cleared", () => {
    const state = run(
      add("u1"),
      { type: "start", id: "u1" },
      { type: "fail", id: "u1", error: "Too large" },
      { type: "retry", id: "u1" },
    );
    expect(state[0]).toMatchObject({
      phase: "queued",
      loaded: 0,
      error: undefined,
      retryable: undefined,
    });
  });

  it("is dismissed only once it is over", () => {
    let state = run(add("u1"), { type: "start", id: "u1" }, { type: "dismiss", id: "u1" });
    expect(state).toHaveLength(1);
    state = reduce(state, { type: "fail", id: "u1", error: "x" });
    state = reduce(state, { type: "dismiss", id: "u1" });
    expect(state).toEqual([]);
  });

  it("keeps the same list for a message that changes nothing", () => {
    const state = run(add("u1"));
    expect(reduce(state, { type: "sent", id: "u1" })).toBe(state);
    expect(reduce(state, { type: "start", id: "nobody" })).toBe(state);
    expect(reduce(state, add("u1"))).toBe(state);
  });
});

describe("the queue", () => {
  it("starts at most MAX_PARALLEL at once, oldest first", () => {
    let state = run(add("a", "b", "c", "d", "e"));
    expect(startable(state).map((u) => u.id)).toEqual(["a", "b", "c"].slice(0, MAX_PARALLEL));
    for (const u of startable(state)) state = reduce(state, { type: "start", id: u.id });
    expect(startable(state)).toEqual([]);
    state = reduce(state, { type: "fail", id: "a", error: "x" });
    expect(startable(state).map((u) => u.id)).toEqual(["d"]);
    expect(busy(state)).toBe(true);
  });

  it("is not busy once everything is over", () => {
    const state = run(add("a"), { type: "cancel", id: "a" });
    expect(busy(state)).toBe(false);
  });
});

/** A transfer the test finishes by hand. */
function manual() {
  const calls: Array<{
    file: File;
    signal: AbortSignal;
    progress: (n: number) => void;
    sent: () => void;
    resolve: (a: ReturnType<typeof attachment>) => void;
    reject: (e: unknown) => void;
  }> = [];
  const transfer: Transfer = (file, { signal, onProgress, onSent }) =>
    new Promise((resolve, reject) => {
      calls.push({ file, signal, progress: onProgress, sent: onSent, resolve, reject });
    });
  return { calls, transfer };
}

const settle = () => new Promise((r) => setTimeout(r, 0));
const explain = (error: unknown) => ({ message: String(error), retryable: true });

describe("UploadStore", () => {
  const files = (...names: string[]) => names.map((n) => new File(["12345"], n));

  it("sends each file, reports progress, and tells who asked when one is stored", async () => {
    const store = new UploadStore(explain);
    const { calls, transfer } = manual();
    const stored: string[] = [];
    let changes = 0;
    store.subscribe(() => changes++);
    const [id] = store.add("task:1", files("a.png"), transfer, (a) => stored.push(a.id));
    expect(store.get("task:1")[0]).toMatchObject({ id, phase: "sending", name: "a.png" });
    calls[0]?.progress(3);
    expect(store.get("task:1")[0]?.loaded).toBe(3);
    calls[0]?.sent();
    calls[0]?.resolve(attachment({ id: "att" }));
    await settle();
    expect(store.get("task:1")[0]?.phase).toBe("done");
    expect(stored).toEqual(["att"]);
    expect(changes).toBeGreaterThanOrEqual(4);
    // Other scopes are untouched.
    expect(store.get("comment:1")).toEqual([]);
  });

  it("starts the next file when one ends", async () => {
    const store = new UploadStore(explain);
    const { calls, transfer } = manual();
    store.add("s", files("1", "2", "3", "4"), transfer);
    expect(calls.map((c) => c.file.name)).toEqual(["1", "2", "3"]);
    calls[1]?.reject(new Error("boom"));
    await settle();
    expect(calls.map((c) => c.file.name)).toEqual(["1", "2", "3", "4"]);
    expect(store.get("s")[1]).toMatchObject({
      phase: "failed",
      error: "Error: boom",
      retryable: true,
    });
  });

  it("aborts a cancelled upload and ignores its late answer; a retry sends it again", async () => {
    const store = new UploadStore(explain);
    const { calls, transfer } = manual();
    const [id] = store.add("s", files("a"), transfer) as [string];
    store.cancel("s", id);
    expect(calls[0]?.signal.aborted).toBe(true);
    calls[0]?.resolve(attachment());
    await settle();
    expect(store.get("s")[0]?.phase).toBe("cancelled");
    store.retry("s", id);
    expect(calls).toHaveLength(2);
    expect(store.get("s")[0]?.phase).toBe("sending");
  });

  it("forgets the finished uploads of a scope when it is cleared", async () => {
    const store = new UploadStore(explain);
    const { calls, transfer } = manual();
    store.add("s", files("a", "b"), transfer);
    calls[0]?.resolve(attachment());
    await settle();
    store.clear("s");
    expect(store.get("s").map((u) => u.name)).toEqual(["b"]);
  });
});
