import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  advance,
  backoff,
  LiveClient,
  noteLoaded,
  onLiveEvent,
  Positions,
  resumeFrom,
  scopeKey,
} from "./live";

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

describe("resumeFrom (the since of a subscribe)", () => {
  it("is where the data was read, never later than the cursor", () => {
    expect(resumeFrom(40, 50)).toBe(40);
    expect(resumeFrom(60, 50)).toBe(50);
    expect(resumeFrom(undefined, 50)).toBe(50);
    expect(resumeFrom(40, null)).toBe(40);
    expect(resumeFrom(undefined, null)).toBeUndefined();
  });
});

describe("Positions", () => {
  it("keeps the oldest read per scope until taken, and forgets the oldest scopes", () => {
    const positions = new Positions(2);
    positions.note("project:a", 40);
    positions.note("project:a", 45);
    positions.note("project:a", 35);
    expect(positions.take("project:a")).toBe(35);
    expect(positions.take("project:a")).toBeUndefined();
    positions.note("project:a", 1);
    positions.note("project:b", 2);
    positions.note("project:c", 3);
    expect(positions.take("project:a")).toBeUndefined();
    expect(positions.take("project:c")).toBe(3);
  });
});

/** A WebSocket the test plays the server of. */
class FakeSocket {
  static readonly OPEN = 1;
  static all: FakeSocket[] = [];
  readyState = FakeSocket.OPEN;
  sent: Array<Record<string, unknown>> = [];
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }

  send(text: string): void {
    this.sent.push(JSON.parse(text));
  }

  close(code = 1000): void {
    this.readyState = 3;
    this.onclose?.({ code });
  }

  receive(message: Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }

  subscribes(): Array<Record<string, unknown>> {
    return this.sent.filter((m) => m.type === "subscribe");
  }
}

function connect() {
  const handlers = {
    event: vi.fn(),
    reset: vi.fn(),
    signedOut: vi.fn(),
    firstLive: vi.fn(),
    refresh: vi.fn(async () => true),
  };
  const positions = new Positions();
  const client = new LiveClient(handlers, () => "ws://test/api/v1/ws", positions);
  const socket = () => FakeSocket.all[FakeSocket.all.length - 1] as FakeSocket;
  return { handlers, positions, client, socket };
}

const project = { project_id: "p1" };
const event = (seq: number) => ({
  type: "event",
  seq,
  event: { type: "task.updated", project_id: "p1", task_id: `t${seq}` },
});

describe("LiveClient resuming from the data's position", () => {
  beforeEach(() => {
    FakeSocket.all = [];
    vi.useFakeTimers();
    vi.stubGlobal("WebSocket", FakeSocket);
    vi.stubGlobal("window", { addEventListener() {}, removeEventListener() {} });
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it("subscribes from the X-Event-Seq the scope's data was read at", () => {
    const { client, socket } = connect();
    client.subscribe(project);
    client.start();
    noteLoaded(project, 40); // a board column answered with X-Event-Seq: 40
    noteLoaded(project, 42); // a later page: 40 stays the position to resume from
    socket().receive({ type: "hello", user_id: "u", seq: 50, heartbeat_seconds: 25 });
    expect(socket().subscribes()).toEqual([{ type: "subscribe", project_id: "p1", since: 40 }]);
    client.stop();
  });

  it("subscribes a scope with nothing read yet from the cursor, and again from an older read", () => {
    const { client, socket } = connect();
    client.start();
    socket().receive({ type: "hello", user_id: "u", seq: 50, heartbeat_seconds: 25 });
    client.subscribe(project);
    expect(socket().subscribes()).toEqual([{ type: "subscribe", project_id: "p1", since: 50 }]);
    client.loaded(project, 55); // newer than the subscription: nothing to ask
    expect(socket().subscribes()).toHaveLength(1);
    client.loaded(project, 45); // a read that was in flight before: replay from it
    expect(socket().subscribes()[1]).toEqual({ type: "subscribe", project_id: "p1", since: 45 });
    client.stop();
  });

  it("replays what a reconnect missed instead of reloading, and reloads on reset", () => {
    const { client, socket, handlers } = connect();
    client.subscribe(project);
    client.subscribe({ task_id: "t1" });
    client.start();
    const first = socket();
    first.receive({ type: "hello", user_id: "u", seq: 50, heartbeat_seconds: 25 });
    first.receive({ type: "subscribed", project_id: "p1", seq: 50, replayed: 0 });
    first.receive({ type: "subscribed", task_id: "t1", key: "ENG-1", seq: 50, replayed: 0 });
    first.receive(event(51));
    first.receive({ type: "heartbeat", seq: 53 });
    expect(handlers.firstLive).toHaveBeenCalledTimes(1);

    first.close(1006);
    expect(client.state).toBe("offline");
    vi.advanceTimersByTime(1000);
    const second = socket();
    expect(second).not.toBe(first);
    second.receive({ type: "hello", user_id: "u", seq: 58, heartbeat_seconds: 25 });
    // Both scopes resume from the cursor: every event up to 53 was seen.
    expect(second.subscribes()).toEqual([
      { type: "subscribe", project_id: "p1", since: 53 },
      { type: "subscribe", task_id: "t1", since: 53 },
    ]);
    second.receive(event(55));
    second.receive(event(57));
    second.receive({ type: "subscribed", project_id: "p1", seq: 58, replayed: 2 });
    expect(handlers.event.mock.calls.map(([seq]) => seq)).toEqual([51, 55, 57]);
    expect(handlers.reset).not.toHaveBeenCalled();
    expect(handlers.firstLive).toHaveBeenCalledTimes(1); // a reconnect reloads nothing

    // The server cannot replay the gap: then, and only then, the scope is reloaded.
    second.receive({ type: "reset", task_id: "t1", key: "ENG-1", reason: "too many" });
    expect(handlers.reset).toHaveBeenCalledWith({ task_id: "t1" });
    client.stop();
  });

  it("resumes a scope subscribed again from where its last subscription stopped", () => {
    const { client, socket } = connect();
    client.start();
    socket().receive({ type: "hello", user_id: "u", seq: 50, heartbeat_seconds: 25 });
    const leave = client.subscribe(project);
    socket().receive({ type: "subscribed", project_id: "p1", seq: 60, replayed: 0 });
    leave(); // the cursor is 60: every event of p1 up to it was received
    socket().receive({ type: "heartbeat", seq: 75 });
    client.subscribe(project);
    expect(socket().subscribes()[1]).toEqual({ type: "subscribe", project_id: "p1", since: 60 });
    client.stop();
  });

  it("tells onLiveEvent listeners of each event after the handlers, until they stop", () => {
    const { client, socket, handlers } = connect();
    const heard: string[] = [];
    const stop = onLiveEvent((e) => {
      expect(handlers.event).toHaveBeenCalled(); // the caches took it first
      heard.push(String(e.task_id));
    });
    client.start();
    socket().receive({ type: "hello", user_id: "u", seq: 50, heartbeat_seconds: 25 });
    socket().receive(event(51));
    stop();
    socket().receive(event(52));
    expect(heard).toEqual(["t51"]);
    client.stop();
  });

  it("keeps the since of a subscription the server had not confirmed when the socket dropped", () => {
    const { client, socket } = connect();
    client.subscribe(project);
    client.start();
    client.loaded(project, 30);
    socket().receive({ type: "hello", user_id: "u", seq: 50, heartbeat_seconds: 25 });
    socket().receive({ type: "heartbeat", seq: 70 }); // no `subscribed` yet: the replay runs
    socket().close(1006);
    vi.advanceTimersByTime(1000);
    socket().receive({ type: "hello", user_id: "u", seq: 80, heartbeat_seconds: 25 });
    expect(socket().subscribes()).toEqual([{ type: "subscribe", project_id: "p1", since: 30 }]);
    client.stop();
  });
});
