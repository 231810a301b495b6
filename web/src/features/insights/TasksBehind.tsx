/** The tasks behind a figure: a dialog listing them (fetched by id), each a link to the task. */
import { useQueries } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import type { Task } from "../../api/types";
import { ErrorNote, Modal, Spinner } from "../../app/ui";
import { fetchTaskIn } from "../tasks/paths";
import { fetchTasksBehind, type PointSource } from "./api";

/** One group of tasks behind a figure ("Done", "Remaining"...). */
export interface TaskGroup {
  label: string;
  ids: string[];
  /** The whole number (more than `ids` when the API listed only the first ones). */
  count: number;
  truncated?: boolean;
  /** Where the rest can be paged from, when the API listed only the first ones. */
  source?: PointSource;
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
  // The pages read past the ids the point lists: all of them from the first, then the next.
  const [paged, setPaged] = useState<{ ids: string[]; cursor: string | null } | null>(null);
  const [loading, setLoading] = useState(false);
  const [failed, setFailed] = useState(false);
  const ids = paged?.ids ?? group.ids;
  const source = group.truncated ? group.source : undefined;
  const more = source !== undefined && (paged === null || paged.cursor !== null);
  const heading = `${group.label}: ${group.count} ${group.count === 1 ? "task" : "tasks"}`;
  const showMore = async () => {
    if (ids.length > limit || !source) {
      setLimit((n) => n + PAGE);
      return;
    }
    setLoading(true);
    setFailed(false);
    try {
      const page = await fetchTasksBehind(source, paged?.cursor ?? null);
      setPaged({ ids: [...(paged?.ids ?? []), ...page.items], cursor: page.next_cursor ?? null });
      setLimit((n) => n + PAGE);
    } catch {
      setFailed(true);
    } finally {
      setLoading(false);
    }
  };
  return (
    <section className="insight-task-group">
      <h3>{heading}</h3>
      <TaskLinks ids={ids} limit={limit} hrefFor={hrefFor} onOpen={onOpen} label={heading} />
      {(ids.length > limit || more) && (
        <button type="button" className="link" disabled={loading} onClick={() => void showMore()}>
          {loading ? "Loading…" : "Show more"}
        </button>
      )}
      {failed && (
        <p className="form-error" role="alert">
          The next tasks could not be read. Try again.
        </p>
      )}
      {group.truncated && !more && ids.length < group.count && (
        <p className="muted small">
          The first {ids.length} of {group.count} are listed: filter the task list for the rest.
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
