import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../api/client";
import type { Comment, Task } from "../../api/types";
import { Avatar, ErrorNote, formatDateTime, timeAgo } from "../../app/ui";
import { Markdown } from "../../lib/markdown";
import { toast } from "../shell/toasts";
import { messageOf } from "../tasks/api";
import { taskKeys } from "../tasks/cache";

export function Comments({
  task,
  me,
  canComment,
}: {
  task: Task;
  me: string;
  canComment: boolean;
}) {
  const qc = useQueryClient();
  const key = taskKeys.comments(task.key);
  const query = useQuery({
    queryKey: key,
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/tasks/{task_ref}/comments", {
          params: { path: { task_ref: task.id }, query: { limit: 200 } },
          signal,
        }),
      ).then((p) => p.items),
  });
  const [body, setBody] = useState("");
  const add = useMutation({
    mutationFn: (text: string) =>
      unwrap(
        api.POST("/api/v1/tasks/{task_ref}/comments", {
          params: {
            path: { task_ref: task.id },
            header: { "Idempotency-Key": crypto.randomUUID() },
          },
          body: { body: text },
        }),
      ),
    onSuccess: (comment) => {
      qc.setQueryData<Comment[]>(key, (old) => [
        ...(old ?? []).filter((c) => c.id !== comment.id),
        comment,
      ]);
      void qc.invalidateQueries({ queryKey: taskKeys.activity(task.key) });
      setBody("");
    },
    onError: (e) => toast.error(messageOf(e, "Your comment was not posted.")),
  });
  const remove = useMutation({
    mutationFn: (comment: Comment) =>
      unwrap(
        api.DELETE("/api/v1/comments/{comment_id}", {
          params: { path: { comment_id: comment.id } },
        }),
      ),
    onSuccess: (_, comment) =>
      qc.setQueryData<Comment[]>(key, (old) => (old ?? []).filter((c) => c.id !== comment.id)),
    onError: (e) => toast.error(messageOf(e, "The comment was not deleted.")),
  });

  return (
    <section className="comments" aria-labelledby="comments-title">
      <h3 id="comments-title">Comments</h3>
      {query.isError && <ErrorNote error={query.error} retry={() => void query.refetch()} />}
      {query.data?.length === 0 && (
        <p className="muted">
          {/* Only someone who can comment is invited to. */}
          {canComment ? "No comments yet. Start the discussion." : "No comments yet."}
        </p>
      )}
      <ol className="comment-list">
        {query.data?.map((c) => (
          <li key={c.id} className="comment">
            <div className="comment-head">
              <Avatar id={c.author?.id ?? c.id} name={c.author?.name ?? "Deleted user"} />
              <strong>{c.author?.name ?? "Deleted user"}</strong>
              <time className="muted" dateTime={c.created_at} title={formatDateTime(c.created_at)}>
                {timeAgo(c.created_at)}
              </time>
              {c.edited_at && <span className="muted">(edited)</span>}
              <span className="spacer" />
              {c.author_id === me && (
                <button
                  type="button"
                  className="link small"
                  onClick={() => remove.mutate(c)}
                  aria-label="Delete this comment"
                >
                  Delete
                </button>
              )}
            </div>
            <Markdown text={c.body} className="comment-body" />
          </li>
        ))}
      </ol>
      {canComment && (
        <form
          className="comment-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (body.trim()) add.mutate(body);
          }}
        >
          <textarea
            aria-label="Write a comment (Markdown)"
            placeholder="Write a comment… Markdown works. Ctrl+Enter sends."
            value={body}
            rows={3}
            maxLength={20000}
            onChange={(e) => setBody(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && body.trim()) add.mutate(body);
            }}
          />
          <button type="submit" className="primary" disabled={!body.trim() || add.isPending}>
            Comment
          </button>
        </form>
      )}
    </section>
  );
}
