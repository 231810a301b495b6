/** Changing many tasks of a project in one request (PATCH /projects/{id}/tasks): the list
 * view's bulk actions. Apart from api.ts, so only the list view's chunk carries it. */
import type { QueryClient } from "@tanstack/react-query";
import { ApiError, api, unwrap } from "../../api/client";
import type { BulkFailure, Task, TaskUpdate } from "../../api/types";
import { fetchTask, recount } from "./api";
import { dropTask, type List, storeTask, taskKeys } from "./cache";
import { fromSearchParams, matches } from "./filters";
import { writing } from "./writes";

/** Most tasks one bulk request may name (the API's limit). */
export const BULK_LIMIT = 200;

export interface BulkOutcome {
  changed: Task[];
  failed: Array<{ task: Task; failure: BulkFailure }>;
}

/** Change several tasks of a project: one PATCH /projects/{id}/tasks per 200 tasks, each item
 * with the version this tab holds (a stale one fails alone, with 412). `changesFor` returns
 * null for a task that needs no change. A request that fails as a whole fails its items. */
export async function bulkPatch(
  projectId: string,
  tasks: Task[],
  changesFor: (task: Task) => TaskUpdate | null,
): Promise<BulkOutcome> {
  const work = tasks
    .map((task) => ({ task, changes: changesFor(task) }))
    .filter((w): w is { task: Task; changes: TaskUpdate } => w.changes !== null);
  const out: BulkOutcome = { changed: [], failed: [] };
  for (let at = 0; at < work.length; at += BULK_LIMIT) {
    const chunk = work.slice(at, at + BULK_LIMIT);
    try {
      const result = await unwrap(
        api.PATCH("/api/v1/projects/{project_id}/tasks", {
          params: { path: { project_id: projectId } },
          body: {
            items: chunk.map(({ task, changes }) => ({
              id: task.id,
              version: task.version,
              changes,
            })),
          },
        }),
      );
      const byId = new Map(chunk.map((w) => [w.task.id, w.task]));
      out.changed.push(...result.updated);
      for (const failure of result.failed) {
        const task = byId.get(failure.id);
        if (task) out.failed.push({ task, failure });
      }
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      for (const { task } of chunk) {
        out.failed.push({
          task,
          failure: {
            id: task.id,
            status: error.status,
            code: error.code,
            detail: error.userMessage,
          },
        });
      }
    }
  }
  return out;
}

/** A bulk change from request to caches: live events of these tasks that arrive before the
 * answer (this change's own) wait for it, so none of them is fetched again. */
export function changeMany(
  qc: QueryClient,
  projectId: string,
  tasks: Task[],
  changesFor: (task: Task) => TaskUpdate | null,
  me: string,
): Promise<BulkOutcome> {
  return writing(
    tasks.map((t) => t.id),
    async () => {
      const outcome = await bulkPatch(projectId, tasks, changesFor);
      await storeBulkOutcome(qc, projectId, outcome, me);
      return outcome;
    },
  );
}

/** Put a bulk change's outcome in the caches: the changed tasks as the server returned them
 * (lists drop the ones that no longer match their filters), the newer version of those that
 * someone else changed first, and none of those that are gone. */
export async function storeBulkOutcome(
  qc: QueryClient,
  projectId: string,
  outcome: BulkOutcome,
  me: string,
  fetch: typeof fetchTask = fetchTask,
): Promise<void> {
  for (const task of outcome.changed) storeTask(qc, task);
  for (const { task, failure } of outcome.failed) {
    if (failure.status === 404) dropTask(qc, projectId, task.id);
  }
  pruneLists(qc, projectId, me);
  if (outcome.changed.length) recount(qc, projectId);
  const stale = outcome.failed.filter((f) => f.failure.status === 412);
  await Promise.all(
    stale.map(({ task }) =>
      fetch(task.id).then(
        (latest) => storeTask(qc, latest),
        () => undefined,
      ),
    ),
  );
}

/** Why one item of a bulk change failed, for a person. */
export function bulkFailureMessage(failure: BulkFailure): string {
  switch (failure.status) {
    case 412:
      return "Someone else changed it just now; showing their version.";
    case 404:
      return "It no longer exists, or you cannot see it.";
    case 403:
      return "You may not change it.";
    default:
      return failure.detail ?? "It could not be changed.";
  }
}

/** Take out of the project's filtered lists the tasks that no longer pass their filters (after
 * a change this tab made; `me` is the user, for `assignee: me`). */
export function pruneLists(qc: QueryClient, projectId: string, me: string): void {
  for (const [key, data] of qc.getQueriesData<List>({ queryKey: taskKeys.lists(projectId) })) {
    if (!data) continue;
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries((key[3] ?? {}) as Record<string, unknown>)) {
      for (const v of Array.isArray(value) ? value : [value]) params.append(name, String(v));
    }
    const filters = fromSearchParams(params);
    let changed = false;
    const pages = data.pages.map((page) => {
      const items = page.items.filter((t) => matches(t, filters, me));
      if (items.length === page.items.length) return page;
      changed = true;
      return { ...page, items };
    });
    if (changed) qc.setQueryData(key, { ...data, pages });
  }
}
