/** A task's cached comments (oldest first), kept in step with this tab's writes. */
import type { QueryClient } from "@tanstack/react-query";
import type { Comment } from "../../api/types";

/** Add a new comment at the end, or replace the copy of an edited one where it is. */
export function putComment(qc: QueryClient, key: readonly unknown[], comment: Comment): void {
  qc.setQueryData<Comment[]>(key, (old = []) => {
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

export function takeComment(qc: QueryClient, key: readonly unknown[], id: string): void {
  qc.setQueryData<Comment[]>(key, (old) => old?.filter((c) => c.id !== id));
}
