/**
 * Where a task lives in the web app: `/{workspaceSlug}/t/{KEY}`. A key is unique only within
 * a workspace (two workspaces may both have a project WEB), so every link to a task names its
 * workspace, and every lookup by key sends it to the API.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError, api, unwrap } from "../../api/client";
import type { Task } from "../../api/types";
import { useProject } from "../projects/api";
import { useWorkspaces } from "../workspaces/api";
import { taskKeys } from "./cache";

/** The task page. Without the slug (not loaded yet) the old `/t/KEY` address, which redirects. */
export function taskPath(workspaceSlug: string | undefined, key: string): string {
  const ref = encodeURIComponent(key);
  return workspaceSlug ? `/${encodeURIComponent(workspaceSlug)}/t/${ref}` : `/t/${ref}`;
}

/** The slug of a workspace the person belongs to, from the (cached) workspace list. */
export function useWorkspaceSlug(workspaceId: string | undefined): string | undefined {
  const workspaces = useWorkspaces();
  return workspaces.data?.find((w) => w.id === workspaceId)?.slug;
}

/** `taskPath` for the tasks of one project (so of its workspace). */
export function useTaskPaths(projectId: string | undefined): (key: string) => string {
  const project = useProject(projectId);
  const slug = useWorkspaceSlug(project.data?.workspace_id);
  return (key) => taskPath(slug, key);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isTaskId(ref: string): boolean {
  return UUID.test(ref);
}

/** The API's answer for a key two of the person's workspaces have: their slugs. */
export function ambiguousIn(error: unknown): string[] | null {
  if (!(error instanceof ApiError) || error.code !== "ambiguous_key") return null;
  return error.problem.workspaces ?? [];
}

/** One task by id or key, a key within `workspace` (slug or id). */
export function fetchTaskIn(ref: string, workspace: string | undefined, signal?: AbortSignal) {
  return unwrap(
    api.GET("/api/v1/tasks/{task_ref}", {
      params: { path: { task_ref: ref }, query: workspace ? { workspace } : {} },
      signal,
    }),
  );
}

/** Look a task up by id or key, a key within `workspace` (slug or id; none: the API answers
 * 409 `ambiguous_key` for a key more than one workspace has). The task is cached under its id,
 * where live updates keep it, and views read it from there. */
export function taskLookup(ref: string, workspace: string | undefined) {
  return {
    queryKey: ["task-ref", workspace ?? "", ref] as const,
    queryFn: ({ signal }: { signal: AbortSignal }): Promise<Task> =>
      fetchTaskIn(ref, workspace, signal),
    // Which task a key names does not change while the page is open.
    staleTime: Number.POSITIVE_INFINITY,
    retry: false,
  };
}

/** The id of the task `ref` names in `workspace`: at once for an id, after one request for a
 * key. */
export function useTaskId(
  ref: string,
  workspace: string | undefined,
): { id: string | undefined; error: Error | null; retry: () => void } {
  const qc = useQueryClient();
  const byKey = Boolean(ref) && !isTaskId(ref);
  const base = taskLookup(ref, workspace);
  const lookup = useQuery({
    ...base,
    queryFn: async (ctx: { signal: AbortSignal }) => {
      const task = await base.queryFn(ctx);
      // Seed the detail view, so it shows at once instead of asking again.
      if (!qc.getQueryData(taskKeys.detail(task.id)))
        qc.setQueryData(taskKeys.detail(task.id), task);
      return task;
    },
    enabled: byKey,
    select: (task: Task) => task.id,
  });
  if (!byKey) return { id: ref || undefined, error: null, retry: () => undefined };
  return { id: lookup.data, error: lookup.error, retry: () => void lookup.refetch() };
}
