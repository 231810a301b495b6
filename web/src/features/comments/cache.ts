/** A task's cached comments (oldest first), kept in step with this tab's writes. */
import { type QueryClient, queryOptions } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { Comment, Task } from "../../api/types";
import { taskKeys } from "../tasks/cache";

/** A task's comments, oldest first (up to 200): one query whoever asks (the comments, and the
 * attachments that sort files by comment). */
export function commentsQuery(task: Pick<Task, "id" | "key">) {
  return queryOptions({
    queryKey: taskKeys.comments(task.key),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/tasks/{task_ref}/comments", {
          params: { path: { task_ref: task.id }, query: { limit: 200 } },
          signal,
        }),
      ).then((p) => p.items),
  });
}

type Update = (old: Comment[] | undefined) => Comment[] | undefined;

/** Apply this tab's write to the cached list. A read that is still on its way was answered
 * before the write, so it must not land on top of it: it is called off, and asked again. */
async function change(qc: QueryClient, key: readonly unknown[], update: Update): Promise<void> {
  const reading = qc.getQueryState(key)?.fetchStatus === "fetching";
  // Awaited: a called-off read puts back the state it started from when it settles.
  if (reading) await qc.cancelQueries({ queryKey: key });
  qc.setQueryData<Comment[]>(key, update);
  if (reading) await qc.invalidateQueries({ queryKey: key });
}

/** Add a new comment at the end, or replace the copy of an edited one where it is. */
export function putComment(
  qc: QueryClient,
  key: readonly unknown[],
  comment: Comment,
): Promise<void> {
  return change(qc, key, (old = []) => {
    const at = old.findIndex((c) => c.id === comment.id);
    if (at === -1) return [...old, comment];
    const current = old[at] as Comment;
    // A late answer of an earlier edit does not undo a later one.
    if ((current.edited_at ?? "") > (comment.edited_at ?? "")) return old;
    const next = [...old];
    next[at] = comment;
    return next;
  });
}

export function takeComment(qc: QueryClient, key: readonly unknown[], id: string): Promise<void> {
  return change(qc, key, (old) => old?.filter((c) => c.id !== id));
}
