/** The `user` channel of the live client (realtime/live.ts): followed on every socket, its
 * notifications and (re)subscriptions handed to the listeners. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LiveClient, Positions, type UserMessage } from "../realtime/live";

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

  userMessages(): Array<Record<string, unknown>> {
    return this.sent.filter((m) => m.user === true);
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
  const client = new LiveClient(handlers, () => "ws://test/api/v1/ws", new Positions());
  const socket = () => FakeSocket.all[FakeSocket.all.length - 1] as FakeSocket;
  return { client, socket };
}

const hello = (seq: number) => ({ type: "hello", user_id: "u", seq, heartbeat_seconds: 25 });

describe("LiveClient's user channel", () => {
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

  it("subscribes once the socket said hello, and hands notifications to the listener", () => {
    const { client, socket } = connect();
    const heard: UserMessage[] = [];
    client.followUser((m) => heard.push(m));
    client.start();
    expect(socket().sent).toEqual([]); // not before hello
    socket().receive(hello(10));
    expect(socket().userMessages()).toEqual([{ type: "subscribe", user: true }]);
    socket().receive({ type: "subscribed", user: true, seq: 10 });
    const notification = { id: "n1", type: "assigned", task_id: "t1" };
    socket().receive({ type: "notification", seq: 11, notification });
    expect(heard).toEqual([
      { type: "subscribed", again: false },
      { type: "notification", notification },
    ]);
    client.stop();
  });

  it("subscribes again after a reconnect and says so (nothing in between was sent)", () => {
    const { client, socket } = connect();
    const heard: UserMessage[] = [];
    client.start();
    socket().receive(hello(10));
    client.followUser((m) => heard.push(m));
    expect(socket().userMessages()).toEqual([{ type: "subscribe", user: true }]);
    socket().receive({ type: "subscribed", user: true, seq: 10 });
    socket().close(1006);
    vi.advanceTimersByTime(1000);
    socket().receive(hello(20));
    expect(socket().userMessages()).toEqual([{ type: "subscribe", user: true }]);
    socket().receive({ type: "subscribed", user: true, seq: 20 });
    expect(heard).toEqual([
      { type: "subscribed", again: false },
      { type: "subscribed", again: true },
    ]);
    client.stop();
  });

  it("unsubscribes when the last listener goes, and counts listeners", () => {
    const { client, socket } = connect();
    client.start();
    socket().receive(hello(10));
    const one = vi.fn();
    const two = vi.fn();
    const stopOne = client.followUser(one);
    const stopTwo = client.followUser(two);
    expect(socket().userMessages()).toEqual([{ type: "subscribe", user: true }]);
    stopOne();
    stopOne(); // twice changes nothing
    expect(socket().userMessages()).toHaveLength(1);
    socket().receive({ type: "notification", seq: 11, notification: { id: "n1" } });
    expect(one).not.toHaveBeenCalled();
    expect(two).toHaveBeenCalledTimes(1);
    stopTwo();
    expect(socket().userMessages()[1]).toEqual({ type: "unsubscribe", user: true });
    // Not followed on the next socket.
    socket().close(1006);
    vi.advanceTimersByTime(1000);
    socket().receive(hello(20));
    expect(socket().userMessages()).toEqual([]);
    client.stop();
  });

  it("moves the cursor on a user `subscribed`, as on a heartbeat", () => {
    const { client, socket } = connect();
    client.subscribe({ project_id: "p1" });
    client.start();
    socket().receive(hello(10));
    socket().receive({ type: "subscribed", user: true, seq: 12 });
    // Every event up to 12 was sent: later subscriptions resume from there.
    expect(client.cursor).toBe(12);
    client.stop();
  });
});
