/** Deleting tasks (into the project's trash), undoing that, and the trash itself. A delete
 * happens at once and offers "Undo" (a restore) instead of asking first. */
import { type InfiniteData, type QueryClient, useInfiniteQuery } from "@tanstack/react-query";
import { ApiError, api, ifMatch, unwrap } from "../../api/client";
import type { Page, Task } from "../../api/types";
import { toast } from "../shell/toasts";
import { fetchTask, messageOf, recount } from "./api";
import { dropTask, findCachedTask, remember, storeTask, taskKeys } from "./cache";
import { writing } from "./writes";

/** Not under ["tasks", ...]: those caches hold live tasks, and a trashed one found there would
 * count as shown (findCachedTask). */
export const trashKeys = {
  project: (projectId: string) => ["trash", projectId] as const,
};

export type Trash = InfiniteData<Page<Task>, unknown>;

/** Deleted tasks of a project, newest first. */
export function useTrash(projectId: string) {
  return useInfiniteQuery({
    queryKey: trashKeys.project(projectId),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      unwrap(
        api.GET("/api/v1/projects/{project_id}/trash", {
          params: { path: { project_id: projectId }, query: { limit: 100, cursor: pageParam } },
          signal,
        }),
      ),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

/** The copy of `task` the server holds once it is deleted: the delete raises the version. */
export function deletedCopy(task: Task, at = new Date().toISOString()): Task {
  return { ...task, deleted_at: at, version: task.version + 1 };
}

/** Take tasks out of the trash cache (restored, or purged). */
export function takeFromTrash(qc: QueryClient, projectId: string, ids: Iterable<string>): void {
  const gone = new Set(ids);
  const data = qc.getQueryData<Trash>(trashKeys.project(projectId));
  if (!data) return;
  qc.setQueryData<Trash>(trashKeys.project(projectId), {
    ...data,
    pages: data.pages.map((p) => ({ ...p, items: p.items.filter((t) => !gone.has(t.id)) })),
  });
}

/** Put tasks just deleted at the top of the trash cache, if it is loaded. */
export function addToTrash(qc: QueryClient, projectId: string, tasks: Task[]): void {
  const data = qc.getQueryData<Trash>(trashKeys.project(projectId));
  const [first, ...rest] = data?.pages ?? [];
  if (!data || !first) return;
  const ids = new Set(tasks.map((t) => t.id));
  const items = [...tasks, ...first.items.filter((t) => !ids.has(t.id))];
  qc.setQueryData<Trash>(trashKeys.project(projectId), {
    ...data,
    pages: [{ ...first, items }, ...rest],
  });
}

export interface Outcome {
  done: Task[];
  failed: Array<{ task: Task; error: unknown }>;
}

/** Run `one` for each task, a few at a time. */
async function each(tasks: Task[], one: (task: Task) => Promise<Task>): Promise<Outcome> {
  const out: Outcome = { done: [], failed: [] };
  for (let at = 0; at < tasks.length; at += 6) {
    await Promise.all(
      tasks.slice(at, at + 6).map((task) =>
        one(task).then(
          (result) => out.done.push(result),
          (error: unknown) => out.failed.push({ task, error }),
        ),
      ),
    );
  }
  return out;
}

/**
 * Delete tasks of one project: gone from the board, lists and counts at once; one that the
 * server refuses comes back (a newer version of it, if someone changed it first).
 */
export async function deleteTasks(qc: QueryClient, tasks: Task[]): Promise<Outcome> {
  const projectId = tasks[0]?.project_id;
  if (!projectId) return { done: [], failed: [] };
  await qc.cancelQueries({ queryKey: taskKeys.all(projectId) });
  const current = tasks.map((t) => findCachedTask(qc, t.id) ?? t);
  for (const task of current) dropTask(qc, projectId, task.id);
  const outcome = await each(current, async (task) => {
    await unwrap(
      api.DELETE("/api/v1/tasks/{task_ref}", {
        params: { path: { task_ref: task.id }, header: ifMatch(task.version) },
      }),
    );
    const deleted = deletedCopy(task);
    // A page of the board in flight must not bring it back; the delete's own event finds
    // the status it left here, to lower that column's count.
    remember(deleted);
    return deleted;
  });
  for (const { task, error } of outcome.failed) {
    if (error instanceof ApiError && error.status === 404) continue; // gone already
    if (error instanceof ApiError && error.status === 412) {
      await fetchTask(task.id).then(
        (latest) => storeTask(qc, latest),
        () => undefined,
      );
    } else storeTask(qc, task);
  }
  if (outcome.failed.length) void qc.invalidateQueries({ queryKey: taskKeys.lists(projectId) });
  if (outcome.done.length) {
    addToTrash(qc, projectId, outcome.done);
    recount(qc, projectId);
  }
  return outcome;
}

/** Bring tasks back from the trash to the bottom of their columns. */
export async function restoreTasks(qc: QueryClient, tasks: Task[]): Promise<Outcome> {
  const projectId = tasks[0]?.project_id;
  if (!projectId) return { done: [], failed: [] };
  // The restores' own events wait for the answers, and then find nothing new to fetch.
  const outcome = await writing(
    tasks.map((t) => t.id),
    () =>
      each(tasks, async (task) => {
        const restored = await unwrap(
          api.POST("/api/v1/tasks/{task_ref}/restore", {
            params: { path: { task_ref: task.id } },
          }),
        );
        storeTask(qc, restored);
        return restored;
      }),
  );
  takeFromTrash(
    qc,
    projectId,
    outcome.done.map((t) => t.id),
  );
  if (outcome.done.length) {
    recount(qc, projectId);
    // A filtered list cannot place a task that comes back by itself.
    void qc.invalidateQueries({ queryKey: taskKeys.lists(projectId) });
  }
  if (outcome.failed.length) void qc.invalidateQueries({ queryKey: trashKeys.project(projectId) });
  return outcome;
}

function named(tasks: Task[]): string {
  const [first] = tasks;
  return tasks.length === 1 && first ? first.key : `${tasks.length} tasks`;
}

/** Delete, and say so in a message that offers Undo (for several seconds). */
export async function deleteWithUndo(qc: QueryClient, tasks: Task[]): Promise<Outcome> {
  const outcome = await deleteTasks(qc, tasks);
  const first = outcome.failed[0];
  if (first) {
    const what = messageOf(first.error, `${first.task.key} was not deleted.`);
    toast.error(outcome.done.length ? `${named(outcome.done)} moved to the trash. ${what}` : what);
  }
  if (outcome.done.length) {
    toast.info(`${named(outcome.done)} moved to the trash.`, {
      action: { label: "Undo", run: () => void restoreWithMessage(qc, outcome.done) },
    });
  }
  return outcome;
}

/** Restore, and say how that went. */
export async function restoreWithMessage(qc: QueryClient, tasks: Task[]): Promise<Outcome> {
  const outcome = await restoreTasks(qc, tasks);
  const first = outcome.failed[0];
  if (first) toast.error(messageOf(first.error, `${first.task.key} was not restored.`));
  if (outcome.done.length) toast.info(`${named(outcome.done)} restored.`);
  return outcome;
}
