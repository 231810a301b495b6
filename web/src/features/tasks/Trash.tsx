import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate } from "react-router";
import type { Project, Status, Task } from "../../api/types";
import { Empty, ErrorNote, formatDateTime, Spinner, timeAgo } from "../../app/ui";
import { isTyping, useKeys } from "../shell/keys";
import { deleteWithUndo, restoreWithMessage, useTrash } from "./trash";
import "./trash.css";

/** "Delete" in a task's header, and the Delete key (Ctrl/⌘+Backspace) while it is open: the
 * task goes at once and the view closes; the message that follows offers Undo. */
export function DeleteTaskButton({ task, onClose }: { task: Task; onClose?: () => void }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const remove = () => {
    void deleteWithUndo(qc, [task]);
    if (onClose) onClose();
    else navigate(`/p/${task.project_id}/board`);
  };
  useKeys({
    Delete: (e) => {
      e.preventDefault();
      remove();
    },
    "mod+backspace": (e) => {
      if (isTyping(e.target) || document.querySelector("dialog[open]")) return;
      e.preventDefault();
      remove();
    },
  });
  return (
    <button type="button" className="danger" onClick={remove} title="Delete (Del)">
      Delete
    </button>
  );
}

/** The project's trash: deleted tasks, newest first, each with Restore for those who may
 * write to the project (the policy's task:delete, which members and admins hold). */
export function Trash({
  project,
  statuses,
  editable,
}: {
  project: Project;
  statuses: Status[];
  editable: boolean;
}) {
  const qc = useQueryClient();
  const query = useTrash(project.id);
  const [busy, setBusy] = useState<Set<string>>(() => new Set());
  const tasks = query.data?.pages.flatMap((p) => p.items) ?? [];
  const statusName = new Map(statuses.map((s) => [s.id, s.name]));

  async function restore(task: Task) {
    setBusy((b) => new Set(b).add(task.id));
    try {
      await restoreWithMessage(qc, [task]);
    } finally {
      setBusy((b) => {
        const next = new Set(b);
        next.delete(task.id);
        return next;
      });
    }
  }

  if (query.isPending) return <Spinner label="Loading the trash" />;
  if (query.isError) return <ErrorNote error={query.error} retry={() => void query.refetch()} />;
  return (
    <section className="trash" aria-labelledby="trash-title">
      <h2 id="trash-title">Trash</h2>
      <p className="muted">
        Deleted tasks stay here for a while (30 days unless the server is set otherwise), then they
        are deleted for good.
        {!editable && " Project members can restore them."}
      </p>
      {tasks.length === 0 ? (
        <Empty title="The trash is empty." />
      ) : (
        <ul className="trash-list">
          {tasks.map((task) => (
            <li key={task.id} className="trash-item">
              <span className="task-key">{task.key}</span>
              <span className="trash-title">{task.title}</span>
              <span className="muted">{statusName.get(task.status_id)}</span>
              {task.deleted_at && (
                <time
                  className="muted"
                  dateTime={task.deleted_at}
                  title={formatDateTime(task.deleted_at)}
                >
                  Deleted {timeAgo(task.deleted_at)}
                </time>
              )}
              {editable && (
                <button
                  type="button"
                  disabled={busy.has(task.id)}
                  onClick={() => void restore(task)}
                  aria-label={`Restore ${task.key}`}
                >
                  Restore
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {query.hasNextPage && (
        <div className="load-more">
          <button
            type="button"
            disabled={query.isFetchingNextPage}
            onClick={() => void query.fetchNextPage()}
          >
            {query.isFetchingNextPage ? "Loading…" : "Show more"}
          </button>
        </div>
      )}
    </section>
  );
}
