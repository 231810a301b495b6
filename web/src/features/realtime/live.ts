/**
 * The client of docs/realtime.md: one WebSocket per tab, a cursor of the newest `seq` seen,
 * every subscription sent with `since` (the position its data was loaded at, or where the
 * previous subscription stopped), so missed events are replayed instead of data reloaded;
 * backoff between attempts, and presence lists per scope. It knows nothing of React or the
 * caches.
 */

export type Scope = { project_id: string } | { task_id: string };
export interface Viewer {
  user_id: string;
  name: string;
}
export interface LiveEvent {
  type: string;
  workspace_id?: string | null;
  project_id?: string | null;
  task_id?: string | null;
  entity_id?: string | null;
  actor_id?: string | null;
  created_at?: string;
  changes?: Record<string, { from?: unknown; to?: unknown }>;
  /** Task events: the task's key, and (for changes) its new version. */
  key?: string;
  version?: number;
}

/** `idle`: not started; `connecting`: first attempt; `live`; `offline`: lost, retrying;
 * `paused`: connected but the server paused delivery; `unavailable`: never connected. */
export type LiveState = "idle" | "connecting" | "live" | "offline" | "paused" | "unavailable";

/** A new notification for the signed-in person (the `user` channel, docs/realtime.md). */
export interface LiveNotification {
  id: string;
  type: string;
  task_id?: string | null;
  created_at?: string;
}

/** What the `user` channel tells its listeners: a new (or newly folded) notification, or that
 * the channel is live on a socket; `again` when it had been live on an earlier one, so
 * notifications of the time in between were not sent (read the inbox again). */
export type UserMessage =
  | { type: "notification"; notification: LiveNotification }
  | { type: "subscribed"; again: boolean };

export interface LiveHandlers {
  event(seq: number, event: LiveEvent): void;
  reset(scope: Scope): void;
  /** The sign-in ended (4401) and refreshing it failed. */
  signedOut(): void;
  /** The first connection of this client is live. Data read with an `X-Event-Seq` resumes
   * from it; data read without one (statuses, labels, ...) before this moment may have missed
   * an event, so reload that. Later reconnects replay everything. */
  firstLive(): void;
  refresh(): Promise<boolean>;
}

type Message = Record<string, unknown> & { type: string };

export function scopeKey(scope: Scope): string {
  return "project_id" in scope ? `project:${scope.project_id}` : `task:${scope.task_id}`;
}

function scopeOf(message: Message): Scope | null {
  if (typeof message.project_id === "string") return { project_id: message.project_id };
  if (typeof message.task_id === "string") return { task_id: message.task_id };
  return null;
}

/** Wait before attempt `n` (0-based): 0.5 s doubling to 30 s, with ±20% jitter. */
export function backoff(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 500 * 2 ** Math.min(attempt, 10));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** The cursor after a message: the highest `seq` seen in event, subscribed, heartbeat, pong. */
export function advance(cursor: number | null, message: Message): number | null {
  if (!["event", "subscribed", "heartbeat", "pong"].includes(message.type)) return cursor;
  const seq = message.seq;
  if (typeof seq !== "number") return cursor;
  return cursor === null || seq > cursor ? seq : cursor;
}

/** Where each scope must resume from: the lowest event position after which the data held
 * for it may lack events. Fed by HTTP reads (`X-Event-Seq`) made while the scope has no
 * subscription on the socket, and by subscriptions that end (a disconnect, an unsubscribe). */
export class Positions {
  private readonly needed = new Map<string, number>();

  constructor(private readonly limit = 200) {}

  note(key: string, seq: number): void {
    const current = this.needed.get(key);
    if (current !== undefined && current <= seq) return;
    this.needed.delete(key);
    this.needed.set(key, seq);
    for (const oldest of this.needed.keys()) {
      if (this.needed.size <= this.limit) break;
      this.needed.delete(oldest);
    }
  }

  take(key: string): number | undefined {
    const seq = this.needed.get(key);
    this.needed.delete(key);
    return seq;
  }
}

/** The `since` of a subscribe: from where the scope's data needs events (`needed`), never
 * later than the connection's cursor (events after it have not been seen for a new scope). */
export function resumeFrom(needed: number | undefined, cursor: number | null): number | undefined {
  if (needed === undefined) return cursor ?? undefined;
  return cursor === null ? needed : Math.min(needed, cursor);
}

const shared = new Positions();
let active: LiveClient | null = null;

/** Record that data of `scope` was read at event position `seq` (its `X-Event-Seq`). */
export function noteLoaded(scope: Scope, seq: number | null | undefined): void {
  if (typeof seq !== "number") return;
  if (active) active.loaded(scope, seq);
  else shared.note(scopeKey(scope), seq);
}

const eventListeners = new Set<(event: LiveEvent) => void>();

/** Be told of each live event after the caches took it (for data the caches do not hold,
 * such as the board's card counts). Returns the way to stop. */
export function onLiveEvent(listener: (event: LiveEvent) => void): () => void {
  eventListeners.add(listener);
  return () => eventListeners.delete(listener);
}

/** Whether live events are arriving (they keep counts and other tabs' changes current). */
export function liveDelivering(): boolean {
  return active !== null && (active.state === "live" || active.state === "paused");
}

interface Entry {
  scope: Scope;
  count: number;
  /** The `since` sent on the current socket; undefined when not sent yet. */
  from?: number;
  /** The server answered `subscribed`: every event of the scope up to the cursor was sent. */
  confirmed: boolean;
}

export class LiveClient {
  state: LiveState = "idle";
  cursor: number | null = null;
  userId: string | null = null;
  readonly presence = new Map<string, Viewer[]>();
  private readonly scopes = new Map<string, Entry>();
  private readonly listeners = new Set<() => void>();
  /** Listeners of the `user` channel; subscribed on the socket while there is one. */
  private readonly userListeners = new Set<(message: UserMessage) => void>();
  /** The `user` channel was live on some socket of this client. */
  private userWasLive = false;
  private socket: WebSocket | null = null;
  private attempt = 0;
  private everConnected = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  private heartbeatMs = 25_000;
  private stopped = true;
  /** hello received on the current socket: subscriptions may be sent. */
  private ready = false;

  constructor(
    private readonly handlers: LiveHandlers,
    private readonly url: () => string = defaultUrl,
    private readonly positions: Positions = shared,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    active = this;
    window.addEventListener("online", this.onOnline);
    this.setState("connecting");
    this.open();
  }

  stop(): void {
    this.stopped = true;
    if (active === this) active = null;
    window.removeEventListener("online", this.onOnline);
    clearTimeout(this.retryTimer);
    clearTimeout(this.watchdog);
    this.socket?.close(1000);
    this.socket = null;
    this.suspend();
    this.presence.clear();
    this.setState("idle");
  }

  /** Subscribe (counted: two views of one scope need two unsubscribes). */
  subscribe(scope: Scope): () => void {
    const key = scopeKey(scope);
    const entry = this.scopes.get(key);
    if (entry) entry.count += 1;
    else {
      const created: Entry = { scope, count: 1, confirmed: false };
      this.scopes.set(key, created);
      this.sendSubscribe(created);
    }
    return () => {
      const current = this.scopes.get(key);
      if (!current) return;
      current.count -= 1;
      if (current.count > 0) return;
      this.scopes.delete(key);
      this.presence.delete(key);
      this.keepPosition(key, current);
      this.send({ type: "unsubscribe", ...scope });
      this.notify();
    };
  }

  /** Follow the person's own channel (`notification` messages) while `listener` is there. It
   * is subscribed again on every new socket: the server replays nothing on it, so a listener
   * told `subscribed` with `again` should read what it shows afresh. */
  followUser(listener: (message: UserMessage) => void): () => void {
    this.userListeners.add(listener);
    if (this.userListeners.size === 1) this.send({ type: "subscribe", user: true });
    return () => {
      if (!this.userListeners.delete(listener)) return;
      if (this.userListeners.size === 0) this.send({ type: "unsubscribe", user: true });
    };
  }

  /** Data of `scope` was read at `seq`. Data older than what the subscription replays from
   * (a read that was in flight when it was sent) has it sent again from `seq`; the server
   * replays from there and the caches skip what they already hold. */
  loaded(scope: Scope, seq: number): void {
    const key = scopeKey(scope);
    const entry = this.scopes.get(key);
    if (entry?.from === undefined) {
      this.positions.note(key, seq);
      return;
    }
    if (seq < entry.from) this.sendSubscribe(entry, seq);
  }

  listen(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private readonly onOnline = (): void => {
    if (this.state === "offline" || this.state === "unavailable") {
      clearTimeout(this.retryTimer);
      this.open();
    }
  };

  private open(): void {
    if (this.stopped) return;
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.url());
    } catch {
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    socket.onmessage = (e) => this.onMessage(e.data);
    socket.onclose = (e) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.suspend();
      clearTimeout(this.watchdog);
      void this.onClose(e.code);
    };
  }

  private async onClose(code: number): Promise<void> {
    if (this.stopped) return;
    this.presence.clear();
    this.setState(this.everConnected ? "offline" : "unavailable");
    if (code === 4401) {
      if (!(await this.handlers.refresh())) {
        this.handlers.signedOut();
        this.stop();
        return;
      }
    }
    this.scheduleRetry();
  }

  /** The socket is gone: remember where each subscription stopped, to resume from there. */
  private suspend(): void {
    this.ready = false;
    for (const [key, entry] of this.scopes) {
      this.keepPosition(key, entry);
      entry.from = undefined;
      entry.confirmed = false;
    }
  }

  private keepPosition(key: string, entry: Entry): void {
    if (entry.from === undefined) return; // never sent: positions still holds its reads
    const stoppedAt = entry.confirmed && this.cursor !== null ? this.cursor : entry.from;
    this.positions.note(key, stoppedAt);
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    const wait = backoff(this.attempt++);
    this.retryTimer = setTimeout(() => this.open(), wait);
  }

  private armWatchdog(): void {
    clearTimeout(this.watchdog);
    // No message (not even a heartbeat) for 2.5 beats: the connection is dead; start over.
    this.watchdog = setTimeout(() => this.socket?.close(4000), this.heartbeatMs * 2.5);
  }

  private onMessage(raw: unknown): void {
    let message: Message;
    try {
      message = JSON.parse(String(raw)) as Message;
    } catch {
      return;
    }
    if (typeof message?.type !== "string") return;
    this.armWatchdog();
    this.cursor = advance(this.cursor, message);
    switch (message.type) {
      case "hello": {
        this.attempt = 0;
        this.everConnected = true;
        this.userId = typeof message.user_id === "string" ? message.user_id : null;
        if (typeof message.heartbeat_seconds === "number") {
          this.heartbeatMs = message.heartbeat_seconds * 1000;
        }
        const first = this.cursor === null;
        if (first && typeof message.seq === "number") this.cursor = message.seq;
        this.ready = true;
        this.setState("live");
        for (const entry of this.scopes.values()) this.sendSubscribe(entry);
        if (this.userListeners.size) this.send({ type: "subscribe", user: true });
        if (first) this.handlers.firstLive();
        break;
      }
      case "subscribed": {
        if (message.user === true) {
          const again = this.userWasLive;
          this.userWasLive = true;
          this.tellUser({ type: "subscribed", again });
          break;
        }
        const scope = scopeOf(message);
        const entry = scope ? this.scopes.get(scopeKey(scope)) : undefined;
        if (entry && entry.from !== undefined) entry.confirmed = true;
        break;
      }
      case "event":
        if (typeof message.seq === "number" && message.event && typeof message.event === "object") {
          this.handlers.event(message.seq, message.event as LiveEvent);
          for (const listener of eventListeners) listener(message.event as LiveEvent);
        }
        break;
      case "notification":
        if (message.notification && typeof message.notification === "object") {
          this.tellUser({
            type: "notification",
            notification: message.notification as LiveNotification,
          });
        }
        break;
      case "reset": {
        const scope = scopeOf(message);
        if (scope) this.handlers.reset(scope);
        break;
      }
      case "presence": {
        const scope = scopeOf(message);
        if (scope && Array.isArray(message.viewers)) {
          this.presence.set(scopeKey(scope), message.viewers as Viewer[]);
          this.notify();
        }
        break;
      }
      case "status":
        this.setState(message.live === false ? "paused" : "live");
        break;
      default:
        break;
    }
  }

  /** Subscribe on the current socket (once it said hello) from `since`, by default where the
   * scope's data needs events from. A repeated subscribe replaces the previous one. */
  private sendSubscribe(entry: Entry, since?: number): void {
    if (!this.ready || this.socket?.readyState !== WebSocket.OPEN) return;
    const needed = this.positions.take(scopeKey(entry.scope));
    const from = resumeFrom(since === undefined ? needed : min(since, needed), this.cursor);
    entry.from = from;
    entry.confirmed = false;
    this.send({
      type: "subscribe",
      ...entry.scope,
      ...(from === undefined ? {} : { since: from }),
    });
  }

  private tellUser(message: UserMessage): void {
    for (const listener of [...this.userListeners]) listener(message);
  }

  private send(message: object): void {
    if (this.ready && this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    }
  }

  private setState(state: LiveState): void {
    if (this.state === state) return;
    this.state = state;
    this.notify();
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }
}

function min(a: number, b: number | undefined): number {
  return b === undefined ? a : Math.min(a, b);
}

function defaultUrl(): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/api/v1/ws`;
}
