/**
 * The client of docs/realtime.md: one WebSocket per tab, a cursor of the newest `seq` seen,
 * subscriptions re-sent with `since` after every reconnect (so nothing is missed), backoff
 * between attempts, and presence lists per scope. It knows nothing of React or the caches.
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
}

/** `idle`: not started; `connecting`: first attempt; `live`; `offline`: lost, retrying;
 * `paused`: connected but the server paused delivery; `unavailable`: never connected. */
export type LiveState = "idle" | "connecting" | "live" | "offline" | "paused" | "unavailable";

export interface LiveHandlers {
  event(seq: number, event: LiveEvent): void;
  reset(scope: Scope): void;
  /** The sign-in ended (4401) and refreshing it failed. */
  signedOut(): void;
  /** The first connection of this client is live: data loaded over HTTP before it may miss
   * the events committed in between, so reload what is shown. Later reconnects replay. */
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

export class LiveClient {
  state: LiveState = "idle";
  cursor: number | null = null;
  userId: string | null = null;
  readonly presence = new Map<string, Viewer[]>();
  private readonly scopes = new Map<string, { scope: Scope; count: number }>();
  private readonly listeners = new Set<() => void>();
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
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener("online", this.onOnline);
    this.setState("connecting");
    this.open();
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener("online", this.onOnline);
    clearTimeout(this.retryTimer);
    clearTimeout(this.watchdog);
    this.socket?.close(1000);
    this.socket = null;
    this.ready = false;
    this.presence.clear();
    this.setState("idle");
  }

  /** Subscribe (counted: two views of one scope need two unsubscribes). */
  subscribe(scope: Scope): () => void {
    const key = scopeKey(scope);
    const entry = this.scopes.get(key);
    if (entry) entry.count += 1;
    else {
      this.scopes.set(key, { scope, count: 1 });
      this.sendSubscribe(scope);
    }
    return () => {
      const current = this.scopes.get(key);
      if (!current) return;
      current.count -= 1;
      if (current.count > 0) return;
      this.scopes.delete(key);
      this.presence.delete(key);
      this.send({ type: "unsubscribe", ...scope });
      this.notify();
    };
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
      this.ready = false;
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
        for (const { scope } of this.scopes.values()) this.sendSubscribe(scope);
        if (first) this.handlers.firstLive();
        break;
      }
      case "event":
        if (typeof message.seq === "number" && message.event && typeof message.event === "object") {
          this.handlers.event(message.seq, message.event as LiveEvent);
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

  private sendSubscribe(scope: Scope): void {
    const since = this.cursor === null ? {} : { since: this.cursor };
    this.send({ type: "subscribe", ...scope, ...("project_id" in scope ? since : {}) });
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

function defaultUrl(): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/api/v1/ws`;
}
