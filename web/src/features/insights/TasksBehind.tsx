/** The tasks behind a figure: a dialog listing them (fetched by id), each a link to the task. */
import { useQueries } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import type { Task } from "../../api/types";
import { ErrorNote, Modal, Spinner } from "../../app/ui";
import { fetchTaskIn } from "../tasks/paths";

/** One group of tasks behind a figure ("Done", "Remaining"...). */
export interface TaskGroup {
  label: string;
  ids: string[];
  /** The whole number (more than `ids` when the API listed only the first ones). */
  count: number;
  truncated?: boolean;
}

export interface Selection {
  title: string;
  groups: TaskGroup[];
}

const PAGE = 20;

/** Tasks by id, at most `limit` of them, cached per id. */
export function useTasksById(ids: string[], limit: number) {
  return useQueries({
    queries: ids.slice(0, limit).map((id) => ({
      queryKey: ["insights", "task", id] as const,
      queryFn: ({ signal }: { signal: AbortSignal }) => fetchTaskIn(id, undefined, signal),
      staleTime: 60_000,
      retry: false,
    })),
  });
}

export function TasksDialog({
  selection,
  onClose,
  hrefFor,
}: {
  selection: Selection | null;
  onClose: () => void;
  hrefFor: (task: Task) => string;
}) {
  return (
    <Modal
      open={selection !== null}
      onClose={onClose}
      title={selection?.title ?? "Tasks"}
      className="insight-tasks-dialog"
    >
      {selection && (
        <>
          <header className="modal-head">
            <h2>{selection.title}</h2>
            <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
              ×
            </button>
          </header>
          {selection.groups.every((g) => g.count === 0) ? (
            <p className="muted">No tasks behind this figure.</p>
          ) : (
            selection.groups
              .filter((g) => g.count > 0)
              .map((g) => (
                <TaskGroupList key={g.label} group={g} hrefFor={hrefFor} onOpen={onClose} />
              ))
          )}
        </>
      )}
    </Modal>
  );
}

function TaskGroupList({
  group,
  hrefFor,
  onOpen,
}: {
  group: TaskGroup;
  hrefFor: (task: Task) => string;
  onOpen: () => void;
}) {
  const [limit, setLimit] = useState(PAGE);
  const heading = `${group.label}: ${group.count} ${group.count === 1 ? "task" : "tasks"}`;
  return (
    <section className="insight-task-group">
      <h3>{heading}</h3>
      <TaskLinks ids={group.ids} limit={limit} hrefFor={hrefFor} onOpen={onOpen} label={heading} />
      {group.ids.length > limit && (
        <button type="button" className="link" onClick={() => setLimit((n) => n + PAGE)}>
          Show more
        </button>
      )}
      {group.truncated && (
        <p className="muted small">
          The first {group.ids.length} of {group.count} are listed.
        </p>
      )}
    </section>
  );
}

/** Links to the tasks `ids` names (the first `limit`), with what `extra` says beside each. */
export function TaskLinks({
  ids,
  limit,
  hrefFor,
  onOpen,
  label,
  extra,
}: {
  ids: string[];
  limit: number;
  hrefFor: (task: Task) => string;
  onOpen?: () => void;
  label: string;
  extra?: (id: string) => React.ReactNode;
}) {
  const tasks = useTasksById(ids, limit);
  if (tasks.length > 0 && tasks.every((t) => t.isPending)) return <Spinner label="Loading tasks" />;
  return (
    <ul className="insight-task-list" aria-label={label}>
      {tasks.map((t, i) => {
        const id = ids[i] as string;
        return (
          <li key={id}>
            {t.data ? (
              <Link to={hrefFor(t.data)} onClick={onOpen}>
                <span className="task-key">{t.data.key}</span> {t.data.title}
              </Link>
            ) : t.isError ? (
              <ErrorNote error={t.error} />
            ) : (
              <span className="muted">Loading…</span>
            )}
            {extra?.(id)}
          </li>
        );
      })}
    </ul>
  );
}
