/** The live connection for the signed-in app: events land in the TanStack Query caches. */
import { type QueryClient, useQueryClient } from "@tanstack/react-query";
import {
  createContext,
  type ReactNode,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useSyncExternalStore,
} from "react";
import { ApiError, refreshSession } from "../../api/client";
import type { Task } from "../../api/types";
import { fetchTask } from "../tasks/api";
import { dropTask, findCachedTask, recentTasks, storeTask, taskKeys } from "../tasks/cache";
import { adjustCounts, countKeys } from "../tasks/counts";
import { trashKeys } from "../tasks/trash";
import { afterWrites } from "../tasks/writes";
import {
  type LiveClient as Client,
  LiveClient,
  type LiveEvent,
  type Scope,
  scopeKey,
  type UserMessage,
  type Viewer,
} from "./live";

const LiveContext = createContext<Client | null>(null);

/** Past this many changed tasks of one project in a burst (a long replay), reloading what is
 * shown of the project costs less than fetching each task. */
export const REFRESH_ONE_BY_ONE = 50;

/** Fetch each changed task once per burst of events, then store the fresh copy everywhere;
 * refetch, once per burst, the counts that events could not adjust. */
export class TaskRefresher {
  /** Task id -> the project and key its events named. */
  private pending = new Map<string, { projectId?: string; key?: string }>();
  private staleCounts = new Map<string, readonly unknown[]>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly qc: QueryClient,
    private readonly fetch: typeof fetchTask = fetchTask,
  ) {}

  add(taskId: string, projectId?: string, key?: string): void {
    const known = this.pending.get(taskId);
    this.pending.set(taskId, {
      projectId: projectId ?? known?.projectId,
      key: key ?? known?.key,
    });
    this.schedule();
  }

  refetchCounts(keys: Array<readonly unknown[]>): void {
    for (const key of keys) this.staleCounts.set(JSON.stringify(key), key);
    if (keys.length) this.schedule();
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => this.flush(), 30);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const key of this.staleCounts.values()) {
      void this.qc.invalidateQueries({ queryKey: key, exact: true });
    }
    this.staleCounts.clear();
    const perProject = new Map<string, number>();
    for (const { projectId } of this.pending.values()) {
      if (projectId) perProject.set(projectId, (perProject.get(projectId) ?? 0) + 1);
    }
    const reload = new Set(
      [...perProject].filter(([, n]) => n > REFRESH_ONE_BY_ONE).map(([projectId]) => projectId),
    );
    const ids: string[] = [];
    const refs = new Set<string>();
    for (const [id, { projectId, key }] of this.pending) {
      if (!projectId || !reload.has(projectId)) ids.push(id);
      else for (const ref of [id, key]) if (ref) refs.add(ref);
    }
    this.pending.clear();
    for (const projectId of reload) {
      void this.qc.invalidateQueries({ queryKey: taskKeys.all(projectId) });
    }
    if (refs.size) {
      void this.qc.invalidateQueries({
        predicate: (q) => q.queryKey[0] === "task" && refs.has(String(q.queryKey[1])),
      });
    }
    for (const id of ids) {
      this.fetch(id).then(
        (task) => {
          if (task.deleted_at) dropTask(this.qc, task.project_id, task.id);
          else storeTask(this.qc, task);
          this.invalidateTaskViews(task.id, task.key, ["activity", "relations"]);
          if (task.parent_id) {
            void this.qc.invalidateQueries({
              predicate: (q) => q.queryKey[0] === "task" && q.queryKey[2] === "subtasks",
            });
          }
        },
        (error: unknown) => {
          // Gone or no longer visible: forget it wherever it is shown.
          if (error instanceof ApiError && error.status === 404) {
            for (const [key] of this.qc.getQueriesData({ queryKey: ["tasks"] })) {
              const projectId = key[1] as string;
              dropTask(this.qc, projectId, id);
            }
          }
        },
      );
    }
  }

  invalidateTaskViews(id: string, key: string | undefined, parts: string[]): void {
    void this.qc.invalidateQueries({
      predicate: (q) =>
        q.queryKey[0] === "task" &&
        (q.queryKey[1] === id || q.queryKey[1] === key) &&
        parts.includes(String(q.queryKey[2])),
    });
  }
}

/** Whether a task event brings nothing new to fetch: this tab holds that version or a newer
 * one (its own change, or data read after the event), or shows nothing the task could be in. */
export function alreadyKnown(qc: QueryClient, event: LiveEvent): boolean {
  if (!event.task_id) return false;
  const cached =
    findCachedTask(qc, event.task_id) ?? (event.key ? findCachedTask(qc, event.key) : undefined);
  if (cached && event.type === "task.created") return true; // this tab made it, or read it
  if (cached) return typeof event.version === "number" && cached.version >= event.version;
  const projectId = event.project_id;
  return !(
    projectId &&
    qc.getQueriesData({ queryKey: taskKeys.all(projectId) }).some(([, data]) => data !== undefined)
  );
}

function statusOf(qc: QueryClient, projectId: string) {
  return (taskId: string): string | undefined =>
    findCachedTask(qc, taskId)?.status_id ??
    recentTasks(projectId).find((t) => t.id === taskId)?.status_id;
}

export function applyEvent(
  qc: QueryClient,
  refresher: TaskRefresher,
  event: LiveEvent,
  seq: number,
): void {
  const projectId = event.project_id ?? undefined;
  const [kind] = event.type.split(".");
  if (projectId && (kind === "task" || event.type === "status.deleted")) {
    // Before the caches change: a deleted task's status is looked up in them.
    refresher.refetchCounts(adjustCounts(qc, seq, event, statusOf(qc, projectId)));
  }
  if (kind === "task" && event.task_id) {
    if (event.type === "task.deleted" && projectId) {
      dropTask(qc, projectId, event.task_id);
      // An open view of it asks again, and says the task is gone.
      const ids = [event.task_id, event.key];
      void qc.invalidateQueries({
        predicate: (q) =>
          q.queryKey[0] === "task" &&
          q.queryKey.length === 2 &&
          ids.includes(String(q.queryKey[1])),
      });
    } else {
      const taskId = event.task_id;
      const judge = () => {
        if (!alreadyKnown(qc, event)) refresher.add(taskId, projectId, event.key);
        else refresher.invalidateTaskViews(taskId, event.key, ["activity", "relations"]);
      };
      // This tab's own write may be what the event reports: judge it against the answer.
      if (!afterWrites(taskId, judge)) judge();
    }
    if ((event.type === "task.deleted" || event.type === "task.restored") && projectId) {
      void qc.invalidateQueries({ queryKey: trashKeys.project(projectId) });
    }
    // A filtered list cannot place a new task by itself: ask the server again.
    if ((event.type === "task.created" || event.type === "task.restored") && projectId) {
      void qc.invalidateQueries({ queryKey: taskKeys.lists(projectId) });
    }
    return;
  }
  if (kind === "comment" && event.task_id) {
    // A new comment can take files along; a deleted one leaves its files on the task.
    refresher.invalidateTaskViews(event.task_id, keyOf(qc, event.task_id), [
      "comments",
      "attachments",
      "activity",
    ]);
    return;
  }
  if (kind === "attachment" && event.task_id) {
    refresher.invalidateTaskViews(event.task_id, keyOf(qc, event.task_id), [
      "attachments",
      "activity",
    ]);
    return;
  }
  if ((kind === "status" || kind === "label") && projectId) {
    void qc.invalidateQueries({ queryKey: [kind === "status" ? "statuses" : "labels", projectId] });
    if (event.type === "status.deleted")
      void qc.invalidateQueries({ queryKey: taskKeys.all(projectId) });
    return;
  }
  if (kind === "project" && projectId) {
    void qc.invalidateQueries({ queryKey: ["project", projectId] });
    void qc.invalidateQueries({ queryKey: ["projectMembers", projectId] });
    void qc.invalidateQueries({ queryKey: ["people", projectId] });
    void qc.invalidateQueries({ queryKey: ["projects"] });
    return;
  }
  if (kind === "workspace") {
    void qc.invalidateQueries({ queryKey: ["workspaces"] });
    void qc.invalidateQueries({ queryKey: ["members"] });
    void qc.invalidateQueries({ queryKey: ["people"] });
  }
}

/** The key (ENG-42) of a task this tab holds: in a list, or a detail opened by its key. */
function keyOf(qc: QueryClient, taskId: string): string | undefined {
  const cached = findCachedTask(qc, taskId);
  if (cached) return cached.key;
  for (const [key, data] of qc.getQueriesData<Task>({ queryKey: ["task"] })) {
    if (key.length === 2 && data?.id === taskId) return String(key[1]);
  }
  return undefined;
}

function reloadScope(qc: QueryClient, scope: Scope): void {
  if ("project_id" in scope) {
    void qc.invalidateQueries({ queryKey: taskKeys.all(scope.project_id) });
    void qc.invalidateQueries({ queryKey: countKeys.all(scope.project_id) });
    void qc.invalidateQueries({ queryKey: ["statuses", scope.project_id] });
    void qc.invalidateQueries({ queryKey: ["labels", scope.project_id] });
  } else {
    const key = keyOf(qc, scope.task_id);
    void qc.invalidateQueries({
      predicate: (q) =>
        q.queryKey[0] === "task" && (q.queryKey[1] === scope.task_id || q.queryKey[1] === key),
    });
  }
}

export function LiveProvider({
  children,
  onSignedOut,
}: {
  children: ReactNode;
  onSignedOut: () => void;
}) {
  const qc = useQueryClient();
  const client = useMemo(() => {
    const refresher = new TaskRefresher(qc);
    return new LiveClient({
      event: (seq, event) => applyEvent(qc, refresher, event, seq),
      reset: (scope) => reloadScope(qc, scope),
      refresh: refreshSession,
      signedOut: onSignedOut,
      firstLive: () => {
        // Tasks, lists and counts resume from their X-Event-Seq; these reads have none.
        const connectedAt = Date.now();
        void qc.invalidateQueries({
          predicate: (q) =>
            (["statuses", "labels", "project"].includes(String(q.queryKey[0])) ||
              (q.queryKey[0] === "task" && q.queryKey.length > 2)) &&
            q.state.dataUpdatedAt < connectedAt,
        });
      },
    });
  }, [qc, onSignedOut]);
  useEffect(() => {
    // Connect once the page has drawn: the first screen's requests go first.
    const start = () => client.start();
    const idle = window.requestIdleCallback?.(start, { timeout: 1500 });
    const timer = idle === undefined ? setTimeout(start, 300) : undefined;
    return () => {
      if (idle !== undefined) window.cancelIdleCallback(idle);
      clearTimeout(timer);
      client.stop();
    };
  }, [client]);
  return <LiveContext.Provider value={client}>{children}</LiveContext.Provider>;
}

function useClient(): Client | null {
  return useContext(LiveContext);
}

export function useLiveState() {
  const client = useClient();
  return useSyncExternalStore(
    (l) => client?.listen(l) ?? (() => {}),
    () => client?.state ?? "idle",
  );
}

/** Subscribe to a scope while mounted (also marks the user as viewing it). */
export function useLiveScope(scope: Scope | null): Viewer[] {
  const client = useClient();
  const key = scope ? scopeKey(scope) : "";
  const scopeRef = useRef(scope);
  scopeRef.current = scope;
  useEffect(() => {
    const current = scopeRef.current;
    if (!client || !key || !current) return;
    return client.subscribe(current);
  }, [client, key]);
  const viewers = useSyncExternalStore(
    (l) => client?.listen(l) ?? (() => {}),
    () => (client && key ? client.presence.get(key) : undefined),
  );
  return viewers ?? EMPTY;
}

const EMPTY: Viewer[] = [];

/** Follow the signed-in person's own channel while mounted: `listener` hears of each new
 * notification, and of every (re)subscription (live.ts `followUser`). */
export function useUserChannel(listener: (message: UserMessage) => void): void {
  const client = useClient();
  const ref = useRef(listener);
  ref.current = listener;
  useEffect(() => {
    if (!client) return;
    return client.followUser((message) => ref.current(message));
  }, [client]);
}
