/** The board cards' counts (subtasks, finished subtasks, comments): one request per board,
 * asked again a moment after live events say a task or comment of the project changed. They
 * are not in the task payload, so task answers and live events stay small. */
import { type QueryClient, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { api, unwrap } from "../../api/client";
import { type LiveEvent, onLiveEvent } from "../realtime/live";

export interface TaskStat {
  subtasks: number;
  subtasks_done: number;
  comments: number;
}
export type TaskStats = Record<string, TaskStat>;

/** Not under ["tasks", projectId]: an optimistic write that rolls back restores those
 * caches, and a move or edit does not change these counts. */
export const statsKey = (projectId: string) => ["taskStats", projectId] as const;

/** A burst of events (a bulk edit, a replay) asks once, this long after the last of them. */
export const STATS_DEBOUNCE_MS = 1000;

export function useTaskStats(projectId: string) {
  return useQuery({
    queryKey: statsKey(projectId),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/projects/{project_id}/task-stats", {
          params: { path: { project_id: projectId } },
          signal,
        }),
      ) as Promise<TaskStats>,
    staleTime: 30_000,
  });
}

/** Whether an event can change the counts of a project: a comment, or a task created,
 * deleted, restored, moved to another status or given another parent. */
export function changesStats(event: LiveEvent, projectId: string): boolean {
  if (event.project_id !== projectId) return false;
  if (event.type.startsWith("comment.")) return true;
  if (["task.created", "task.deleted", "task.restored"].includes(event.type)) return true;
  if (event.type === "task.updated" || event.type === "task.moved") {
    const changed = event.changes;
    return !changed || "status_id" in changed || "parent_id" in changed;
  }
  return false;
}

/** Calls `refresh` once, `wait` ms after the last of a burst of `poke`s. */
export function debouncer(refresh: () => void, wait = STATS_DEBOUNCE_MS) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    poke() {
      clearTimeout(timer);
      timer = setTimeout(refresh, wait);
    },
    cancel() {
      clearTimeout(timer);
    },
  };
}

/** While mounted, keep the project's counts current from live events. */
export function useStatsRefresh(projectId: string): void {
  const qc = useQueryClient();
  useEffect(() => {
    const later = debouncer(() => refreshStats(qc, projectId));
    const stop = onLiveEvent((event) => {
      if (changesStats(event, projectId)) later.poke();
    });
    return () => {
      stop();
      later.cancel();
    };
  }, [qc, projectId]);
}

export function refreshStats(qc: QueryClient, projectId: string): void {
  void qc.invalidateQueries({ queryKey: statsKey(projectId) });
}
