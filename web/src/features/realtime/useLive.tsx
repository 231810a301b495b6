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
import { fetchTask } from "../tasks/api";
import { dropTask, storeTask, taskKeys } from "../tasks/cache";
import {
  type LiveClient as Client,
  LiveClient,
  type LiveEvent,
  type Scope,
  scopeKey,
  type Viewer,
} from "./live";

const LiveContext = createContext<Client | null>(null);

/** Fetch each changed task once per burst of events, then store the fresh copy everywhere. */
class TaskRefresher {
  private pending = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly qc: QueryClient) {}

  add(taskId: string): void {
    this.pending.add(taskId);
    this.timer ??= setTimeout(() => this.flush(), 30);
  }

  private flush(): void {
    const ids = [...this.pending];
    this.pending.clear();
    this.timer = undefined;
    for (const id of ids) {
      fetchTask(id).then(
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

export function applyEvent(qc: QueryClient, refresher: TaskRefresher, event: LiveEvent): void {
  const projectId = event.project_id ?? undefined;
  const [kind] = event.type.split(".");
  if (kind === "task" && event.task_id) {
    if (event.type === "task.deleted" && projectId) dropTask(qc, projectId, event.task_id);
    else refresher.add(event.task_id);
    // A filtered list cannot place a new task by itself: ask the server again.
    if ((event.type === "task.created" || event.type === "task.restored") && projectId) {
      void qc.invalidateQueries({ queryKey: taskKeys.lists(projectId) });
    }
    return;
  }
  if (kind === "comment" && event.task_id) {
    refresher.invalidateTaskViews(event.task_id, keyOf(qc, event.task_id), [
      "comments",
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
    void qc.invalidateQueries({ queryKey: ["projects"] });
    return;
  }
  if (kind === "workspace") {
    void qc.invalidateQueries({ queryKey: ["workspaces"] });
    void qc.invalidateQueries({ queryKey: ["members"] });
  }
}

function keyOf(qc: QueryClient, taskId: string): string | undefined {
  for (const [, data] of qc.getQueriesData<{
    pages?: Array<{ items: Array<{ id: string; key: string }> }>;
  }>({
    queryKey: ["tasks"],
  })) {
    for (const page of data?.pages ?? []) {
      const hit = page.items.find((t) => t.id === taskId);
      if (hit) return hit.key;
    }
  }
  return undefined;
}

function reloadScope(qc: QueryClient, scope: Scope): void {
  if ("project_id" in scope) {
    void qc.invalidateQueries({ queryKey: taskKeys.all(scope.project_id) });
    void qc.invalidateQueries({ queryKey: ["statuses", scope.project_id] });
    void qc.invalidateQueries({ queryKey: ["labels", scope.project_id] });
  } else {
    void qc.invalidateQueries({
      predicate: (q) => q.queryKey[0] === "task" && q.queryKey[1] === scope.task_id,
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
      event: (_, event) => applyEvent(qc, refresher, event),
      reset: (scope) => reloadScope(qc, scope),
      refresh: refreshSession,
      signedOut: onSignedOut,
      firstLive: () => {
        const connectedAt = Date.now();
        void qc.invalidateQueries({
          predicate: (q) =>
            ["tasks", "task", "statuses", "labels", "project"].includes(String(q.queryKey[0])) &&
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
