/** Task queries and mutations, optimistic where a person expects instant feedback. */
import {
  infiniteQueryOptions,
  type QueryClient,
  queryOptions,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
} from "@tanstack/react-query";
import { ApiError, api, ifMatch, unwrap, unwrapSeq } from "../../api/client";
import type { Page, Task, TaskCreate, TaskSort, TaskUpdate } from "../../api/types";
import { liveDelivering, noteLoaded } from "../realtime/live";
import { toast } from "../shell/toasts";
import { findCachedTask, recentTasks, restore, snapshot, storeTask, taskKeys } from "./cache";
import { type Counts, countKeys, countOf } from "./counts";
import { EMPTY_FILTERS, type TaskFilters, toQuery } from "./filters";
import {
  type Column,
  flatten,
  insertAt,
  moveNeighbours,
  reconcilePage,
  removeTask,
} from "./ordering";
import { writing } from "./writes";

/** A column's first page fills a screen quickly; later pages (on scroll) are larger. */
export const COLUMN_FIRST_PAGE = 50;
export const COLUMN_PAGE = 200;

/** The cache key of a board column; `filter` (the board's filters, see filters.ts
 * `boardQuery`) adds a part, so the unfiltered board keeps the plain key. */
export function columnKey(
  projectId: string,
  statusId: string,
  filter: Record<string, string | string[]> = {},
): readonly unknown[] {
  const key = taskKeys.column(projectId, statusId);
  return Object.keys(filter).length ? [...key, filter] : key;
}

/** One status column of the board: first a screenful, then larger pages as it scrolls. */
export function columnQuery(
  projectId: string,
  statusId: string,
  filter: Record<string, string | string[]> = {},
) {
  return infiniteQueryOptions({
    queryKey: columnKey(projectId, statusId, filter),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      unwrapSeq(
        api.GET("/api/v1/projects/{project_id}/tasks", {
          params: {
            path: { project_id: projectId },
            query: {
              ...filter,
              status_id: [statusId],
              sort: "position",
              limit: pageParam ? COLUMN_PAGE : COLUMN_FIRST_PAGE,
              cursor: pageParam,
            },
          },
          signal,
        }),
      ).then(({ data, seq }) => {
        noteLoaded({ project_id: projectId }, seq);
        return reconcilePage(data as Page<Task>, statusId, !pageParam, recentTasks(projectId));
      }),
    getNextPageParam: (last: Page<Task>) => last.next_cursor ?? undefined,
  });
}

export function useColumn(
  projectId: string,
  statusId: string,
  filter?: Record<string, string | string[]>,
) {
  return useInfiniteQuery(columnQuery(projectId, statusId, filter));
}

export function useTaskList(projectId: string, filters: TaskFilters) {
  const query = toQuery(filters);
  return useInfiniteQuery({
    queryKey: taskKeys.list(projectId, query),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      unwrapSeq(
        api.GET("/api/v1/projects/{project_id}/tasks", {
          params: {
            path: { project_id: projectId },
            // The filter values are checked by fromSearchParams; the API re-validates them.
            query: { ...(query as object), limit: 100, cursor: pageParam },
          },
          signal,
        }),
      ).then(({ data, seq }) => {
        noteLoaded({ project_id: projectId }, seq);
        return data as Page<Task>;
      }),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

/** After a write of this tab that changes how many tasks a status holds: the event it causes
 * adjusts the counts; with no live connection to bring it, ask the server again. */
export function recount(qc: QueryClient, projectId: string): void {
  if (!liveDelivering()) void qc.invalidateQueries({ queryKey: countKeys.all(projectId) });
}

/** The list's query without the sort: what the counts are keyed and asked by. */
function countsQuery(filters: TaskFilters): Record<string, string | string[]> {
  const { sort: _, ...query } = toQuery(filters);
  return query;
}

/** Tasks per status with the list's filters (the board: none). Live events keep it current,
 * see counts.ts. */
export function taskCountsQuery(projectId: string, filters: TaskFilters) {
  const query = countsQuery(filters);
  return queryOptions({
    queryKey: countKeys.one(projectId, query),
    queryFn: ({ signal }) =>
      unwrapSeq(
        api.GET("/api/v1/projects/{project_id}/task-counts", {
          params: { path: { project_id: projectId }, query },
          signal,
        }),
      ).then(({ data, seq }): Counts => {
        noteLoaded({ project_id: projectId }, seq);
        return { ...data, seq };
      }),
  });
}

/** The counts, asked only when `enabled` (something has more than a page to show). */
export function useTaskCounts(projectId: string, filters: TaskFilters, enabled = true) {
  return useQuery({ ...taskCountsQuery(projectId, filters), enabled });
}

/** One board column's count (all columns share the request; each re-renders for its own). */
export function useColumnCount(
  projectId: string,
  statusId: string,
  enabled: boolean,
  filters: TaskFilters = EMPTY_FILTERS,
) {
  return useQuery({
    ...taskCountsQuery(projectId, filters),
    enabled,
    select: (counts) => countOf(counts, statusId),
  });
}

export function fetchTask(ref: string, signal?: AbortSignal): Promise<Task> {
  return unwrap(
    api.GET("/api/v1/tasks/{task_ref}", { params: { path: { task_ref: ref } }, signal }),
  );
}

/** A page of the tasks of every project of a workspace the person can see, selected by a
 * query of the query language (`assignee:me is:open`). */
export function listWorkspaceTasks(
  workspaceId: string,
  q: string,
  sort: TaskSort,
  cursor?: string,
  signal?: AbortSignal,
): Promise<Page<Task>> {
  return unwrap(
    api.GET("/api/v1/workspaces/{workspace_id}/tasks", {
      params: {
        path: { workspace_id: workspaceId },
        query: { q: q || undefined, sort, limit: 50, cursor },
      },
      signal,
    }),
  );
}

export function useWorkspaceTasks(workspaceId: string | undefined, q: string, sort: TaskSort) {
  return useInfiniteQuery({
    queryKey: ["workspace-tasks", workspaceId, q, sort],
    enabled: Boolean(workspaceId),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      listWorkspaceTasks(workspaceId as string, q, sort, pageParam, signal),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    retry: false,
  });
}

export function useTask(ref: string | undefined) {
  return useQuery({
    queryKey: taskKeys.detail(ref ?? ""),
    queryFn: ({ signal }) =>
      unwrapSeq(
        api.GET("/api/v1/tasks/{task_ref}", {
          params: { path: { task_ref: ref as string } },
          signal,
        }),
      ).then(({ data, seq }) => {
        noteLoaded({ task_id: data.id }, seq);
        return data;
      }),
    enabled: Boolean(ref),
  });
}

export function useSubtasks(task: Task | undefined) {
  return useQuery({
    queryKey: taskKeys.subtasks(task?.key ?? ""),
    enabled: Boolean(task),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/projects/{project_id}/tasks", {
          params: {
            path: { project_id: (task as Task).project_id },
            query: { parent_id: (task as Task).id, limit: 200, sort: "created" },
          },
          signal,
        }),
      ).then((p) => p.items),
  });
}

export function useCreateTask(projectId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (data: TaskCreate) =>
      unwrap(
        api.POST("/api/v1/projects/{project_id}/tasks", {
          params: {
            path: { project_id: projectId },
            header: { "Idempotency-Key": crypto.randomUUID() },
          },
          body: data,
        }),
      ),
    onSuccess: (task) => {
      storeTask(qc, task);
      recount(qc, projectId);
      void qc.invalidateQueries({ queryKey: taskKeys.lists(projectId) });
      if (task.parent_id)
        void qc.invalidateQueries({
          queryKey: ["task"],
          predicate: (q) => q.queryKey[2] === "subtasks",
        });
    },
    onError: (error) => toast.error(messageOf(error, "The task was not created.")),
  });
}

export class Conflict extends Error {
  constructor(readonly latest: Task) {
    super("Someone else changed this task.");
  }
}

/** PATCH with If-Match; a 412 fetches the newer version and throws Conflict with it. */
export async function patchTask(
  task: Task,
  changes: TaskUpdate,
  baseVersion = task.version,
): Promise<Task> {
  try {
    return await unwrap(
      api.PATCH("/api/v1/tasks/{task_ref}", {
        params: { path: { task_ref: task.id }, header: ifMatch(baseVersion) },
        body: changes,
      }),
    );
  } catch (error) {
    if (error instanceof ApiError && error.status === 412)
      throw new Conflict(await fetchTask(task.id));
    throw error;
  }
}

export function messageOf(error: unknown, fallback: string): string {
  if (error instanceof Conflict)
    return "Someone else changed this task just now; showing their version.";
  if (error instanceof ApiError) return `${fallback} ${error.userMessage}`;
  return fallback;
}

interface UpdateVars {
  task: Task;
  changes: TaskUpdate;
  baseVersion?: number;
}

/** Writes to one task go one after another, each with the version the previous one left. */
const queues = new Map<string, Promise<unknown>>();

function queued<T>(taskId: string, work: () => Promise<T>): Promise<T> {
  const previous = queues.get(taskId) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => writing([taskId], work));
  queues.set(taskId, next);
  void next
    .finally(() => {
      if (queues.get(taskId) === next) queues.delete(taskId);
    })
    .catch(() => undefined);
  return next;
}

/** An optimistic PATCH: caches change at once, and go back (with a message) if it fails.
 * Without `baseVersion` the change applies to the newest version this tab knows (a quick
 * edit of one field); with it, to that version (a longer edit that may conflict). */
export function useUpdateTask(options: { onConflict?: (latest: Task) => void } = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ task, changes, baseVersion }: UpdateVars) =>
      queued(task.id, async () => {
        const current = findCachedTask(qc, task.id) ?? task;
        const saved = await patchTask(current, changes, baseVersion ?? current.version);
        // Stored before the next queued write reads its version.
        storeTask(qc, saved);
        return saved;
      }),
    onMutate: async ({ task, changes }: UpdateVars) => {
      await qc.cancelQueries({ queryKey: taskKeys.all(task.project_id) });
      const saved = snapshot(qc, task.project_id, task.key);
      const current = findCachedTask(qc, task.id) ?? task;
      storeTask(qc, { ...current, ...(changes as Partial<Task>) } as Task, { optimistic: true });
      return { saved };
    },
    onError: (error, { task }, context) => {
      if (context) restore(qc, context.saved);
      if (error instanceof Conflict) {
        storeTask(qc, error.latest);
        options.onConflict?.(error.latest);
      }
      // A conflict is news, not a failure to fix: the newer version is shown.
      if (error instanceof Conflict) toast.info(messageOf(error, ""));
      else toast.error(messageOf(error, `${task.key} was not changed.`));
    },
    onSuccess: (saved, { task }) => {
      storeTask(qc, saved);
      if (saved.status_id !== task.status_id) recount(qc, saved.project_id);
    },
  });
}

interface MoveVars {
  task: Task;
  statusId: string;
  index: number;
  /** Where the board reads its columns from (a filtered board: see `columnKey`). */
  columnKey?: (statusId: string) => readonly unknown[];
  /** The column's cards the board shows (filters, a swimlane): `index` counts only those. */
  shown?: (task: Task) => boolean;
}

/** Where in the whole column a card goes that is dropped at `index` of the shown cards: the
 * same neighbours `moveNeighbours` names to the server. */
export function indexAmong(column: Task[], shown: (t: Task) => boolean, index: number): number {
  const { after_id, before_id } = moveNeighbours(column.filter(shown), index);
  if (after_id) return column.findIndex((t) => t.id === after_id) + 1;
  if (before_id) return column.findIndex((t) => t.id === before_id);
  return column.length;
}

export function useMoveTask() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ task, statusId, index, columnKey: keyOf, shown }: MoveVars) => {
      // onMutate has already put the task at `index`; its neighbours are the ones around it.
      const key = keyOf?.(statusId) ?? taskKeys.column(task.project_id, statusId);
      const target = flatten(qc.getQueryData<Column>(key)).filter(
        (t) => t.id !== task.id && (!shown || shown(t)),
      );
      const neighbours = moveNeighbours(target, index);
      return queued(task.id, async () => {
        const moved = await unwrap(
          api.POST("/api/v1/tasks/{task_ref}/move", {
            params: {
              path: { task_ref: task.id },
              header: ifMatch((findCachedTask(qc, task.id) ?? task).version),
            },
            body: { status_id: statusId, ...neighbours },
          }),
        );
        storeTask(qc, moved); // before the next queued write reads its version
        return moved;
      });
    },
    onMutate: async ({ task, statusId, index, columnKey: keyOf, shown }) => {
      await qc.cancelQueries({ queryKey: taskKeys.all(task.project_id) });
      const saved = snapshot(qc, task.project_id, task.key);
      const fromKey = keyOf?.(task.status_id) ?? taskKeys.column(task.project_id, task.status_id);
      const toKey = keyOf?.(statusId) ?? taskKeys.column(task.project_id, statusId);
      const from = qc.getQueryData<Column>(fromKey);
      if (from) qc.setQueryData(fromKey, removeTask(from, task.id));
      const to = qc.getQueryData<Column>(toKey);
      if (to) {
        const at = shown ? indexAmong(flatten(removeTask(to, task.id)), shown, index) : index;
        qc.setQueryData(toKey, insertAt(to, { ...task, status_id: statusId }, at));
      }
      return { saved };
    },
    onError: (error, { task }, context) => {
      if (context) restore(qc, context.saved);
      if (error instanceof ApiError && error.status === 412) {
        void fetchTask(task.id).then((latest) => storeTask(qc, latest));
        toast.error(
          `${task.key} was changed by someone else, so it was not moved. The board shows the latest.`,
        );
      } else {
        toast.error(messageOf(error, `${task.key} could not be moved; it is back where it was.`));
      }
    },
    onSuccess: (moved, { task }) => {
      storeTask(qc, moved);
      if (moved.status_id !== task.status_id) recount(qc, moved.project_id);
    },
  });
}

// Deleting and restoring tasks: see trash.ts.
