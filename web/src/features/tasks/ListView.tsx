import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { useLocation } from "react-router";
import type {
  Label,
  Person,
  Priority,
  Project,
  Status,
  Task,
  TaskUpdate,
  User,
} from "../../api/types";
import { PRIORITIES, PRIORITY_LABEL } from "../../api/types";
import {
  AvatarStack,
  Empty,
  ErrorNote,
  formatDate,
  formatDateTime,
  LabelChip,
  Modal,
  Spinner,
  timeAgo,
} from "../../app/ui";
import { useSearchParamsNow } from "../../lib/searchParams";
import { useKeys } from "../shell/keys";
import { toast } from "../shell/toasts";
import { messageOf, useTaskCounts, useTaskList, useUpdateTask } from "./api";
import { bulkFailureMessage, changeMany } from "./bulk";
import { FilterBar, useUrlFilters } from "./FilterBar";
import { activeCount, EMPTY_FILTERS, isOverdue, todayIso, toggleSort } from "./filters";
import { step } from "./ordering";
import { PickMany } from "./PickMany";
import { deleteWithUndo } from "./trash";

export function ListView({
  project,
  statuses,
  labels,
  members,
  editable,
  openTask,
}: {
  project: Project;
  statuses: Status[];
  labels: Label[];
  members: Person[];
  editable: boolean;
  openTask: (task: Task) => void;
}) {
  const qc = useQueryClient();
  const [filters, setFilters] = useUrlFilters(useSearchParamsNow());
  const query = useTaskList(project.id, filters);
  const tasks = useMemo(() => query.data?.pages.flatMap((p) => p.items) ?? [], [query.data]);
  // The total is worth a request only when there is more than the first page.
  const counts = useTaskCounts(project.id, filters, Boolean(query.hasNextPage));
  const total = counts.data?.total;
  const update = useUpdateTask();
  const [selected, setSelected] = useState<Set<string>>(() => new Set());
  const [cursor, setCursor] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const searchRef = useRef<HTMLInputElement>(null);
  const location = useLocation();
  useEffect(() => {
    if ((location.state as { focusSearch?: boolean } | null)?.focusSearch)
      searchRef.current?.focus();
  }, [location.state]);
  const statusById = useMemo(() => new Map(statuses.map((s) => [s.id, s])), [statuses]);
  const labelById = useMemo(() => new Map(labels.map((l) => [l.id, l])), [labels]);
  const names = useMemo(() => new Map(members.map((m) => [m.user_id, m.name])), [members]);
  const thisProject = useMemo(() => [project], [project]);
  const today = todayIso();

  useKeys({
    "/": (e) => {
      e.preventDefault();
      searchRef.current?.focus();
    },
    j: () =>
      focusRow(
        step(
          tasks.map((t) => t.id),
          cursor,
          1,
        ),
      ),
    k: () =>
      focusRow(
        step(
          tasks.map((t) => t.id),
          cursor,
          -1,
        ),
      ),
    x: () => cursor && toggle(cursor),
  });

  function focusRow(id: string | null) {
    setCursor(id);
    if (id) document.getElementById(`row-${id}`)?.focus();
  }

  function toggle(id: string) {
    setSelected((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }

  const chosen = tasks.filter((t) => selected.has(t.id));
  async function bulk(describe: string, changesFor: (t: Task) => TaskUpdate | null) {
    setBusy(true);
    try {
      const me = qc.getQueryData<User | null>(["me"])?.id ?? "";
      const result = await changeMany(qc, project.id, chosen, changesFor, me);
      const first = result.failed[0];
      if (!first) toast.info(`${describe} for ${result.changed.length} tasks.`);
      else {
        const keys = listKeys(result.failed.map((f) => f.task.key));
        toast.error(
          `${describe} for ${result.changed.length}; not for ${keys}. ${first.task.key}: ${bulkFailureMessage(first.failure)}`,
        );
      }
    } catch (error) {
      toast.error(messageOf(error, `${describe}: nothing was changed.`));
    } finally {
      setBusy(false);
    }
  }

  /** One task goes at once (Undo brings it back); several are confirmed first. */
  async function remove(confirmed: boolean) {
    if (chosen.length > 1 && !confirmed) {
      setConfirmDelete(true);
      return;
    }
    setConfirmDelete(false);
    setBusy(true);
    try {
      const { done } = await deleteWithUndo(qc, chosen);
      const gone = new Set(done.map((t) => t.id));
      setSelected((prev) => new Set([...prev].filter((id) => !gone.has(id))));
    } finally {
      setBusy(false);
    }
  }

  const sortHeader = (field: string, label: string) => {
    const dir =
      filters.sort === field ? "ascending" : filters.sort === `-${field}` ? "descending" : "none";
    return (
      <th aria-sort={dir} scope="col">
        <button
          type="button"
          className="sort"
          onClick={() => setFilters({ ...filters, sort: toggleSort(filters.sort, field) })}
        >
          {label}
          <span aria-hidden="true">
            {dir === "ascending" ? " ↑" : dir === "descending" ? " ↓" : ""}
          </span>
        </button>
      </th>
    );
  };

  return (
    <div className="list-view">
      <FilterBar
        filters={filters}
        setFilters={setFilters}
        statuses={statuses}
        labels={labels}
        members={members}
        projects={thisProject}
        searchRef={searchRef}
      />
      {selected.size > 0 && editable && (
        <section className="bulk-bar" aria-label="Bulk actions">
          <strong>{selected.size} selected</strong>
          <select
            aria-label="Set status of selected tasks"
            disabled={busy}
            value=""
            onChange={(e) => {
              const statusId = e.target.value;
              if (statusId)
                void bulk(`Status set to ${statusById.get(statusId)?.name}`, (t) =>
                  t.status_id === statusId ? null : { status_id: statusId },
                );
            }}
          >
            <option value="">Status…</option>
            {statuses.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
          <select
            aria-label="Assign selected tasks"
            disabled={busy}
            value=""
            onChange={(e) => {
              const who = e.target.value;
              if (!who) return;
              if (who === "none")
                void bulk("Unassigned", (t) =>
                  t.assignee_ids.length ? { assignee_ids: [] } : null,
                );
              else
                void bulk(`Assigned to ${names.get(who)}`, (t) =>
                  t.assignee_ids.includes(who) ? null : { assignee_ids: [...t.assignee_ids, who] },
                );
            }}
          >
            <option value="">Assignee…</option>
            <option value="none">Nobody (unassign)</option>
            {members.map((m) => (
              <option key={m.user_id} value={m.user_id}>
                {m.name}
              </option>
            ))}
          </select>
          <select
            aria-label="Add a label to selected tasks"
            disabled={busy}
            value=""
            onChange={(e) => {
              const labelId = e.target.value;
              if (labelId)
                void bulk(`Label ${labelById.get(labelId)?.name} added`, (t) =>
                  t.label_ids.includes(labelId) ? null : { label_ids: [...t.label_ids, labelId] },
                );
            }}
          >
            <option value="">Add label…</option>
            {labels.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name}
              </option>
            ))}
          </select>
          <button
            type="button"
            className="danger"
            disabled={busy}
            onClick={() => void remove(false)}
          >
            Delete
          </button>
          <button type="button" onClick={() => setSelected(new Set())}>
            Clear selection
          </button>
          <Modal
            open={confirmDelete}
            onClose={() => setConfirmDelete(false)}
            title={`Delete ${chosen.length} tasks?`}
          >
            <h2>Delete {chosen.length} tasks?</h2>
            <p>
              They move to the project's trash, where they can be restored for 30 days. Undo appears
              for a few seconds after.
            </p>
            <div className="row">
              <button type="button" className="danger" onClick={() => void remove(true)}>
                Delete {chosen.length} tasks
              </button>
              <button type="button" onClick={() => setConfirmDelete(false)}>
                Cancel
              </button>
            </div>
          </Modal>
        </section>
      )}
      {query.isPending ? (
        <Spinner label="Loading tasks" />
      ) : query.isError ? (
        <ErrorNote error={query.error} retry={() => void query.refetch()} />
      ) : tasks.length === 0 ? (
        activeCount(filters) ? (
          <Empty title="No tasks match these filters.">
            <button type="button" onClick={() => setFilters(EMPTY_FILTERS)}>
              Clear filters
            </button>
          </Empty>
        ) : (
          <Empty title="No tasks yet.">Press C to create the first one.</Empty>
        )
      ) : (
        // Wide tables scroll sideways in here, on a phone, not the whole page.
        <div className="table-scroll">
          <table className="task-table">
            <caption className="sr-only">Tasks of {project.name}</caption>
            <thead>
              <tr>
                <th scope="col" className="check">
                  <input
                    type="checkbox"
                    aria-label="Select all shown tasks"
                    checked={chosen.length === tasks.length && tasks.length > 0}
                    onChange={(e) =>
                      setSelected(e.target.checked ? new Set(tasks.map((t) => t.id)) : new Set())
                    }
                  />
                </th>
                {sortHeader("created", "Key")}
                <th scope="col">Title</th>
                <th scope="col">Status</th>
                {sortHeader("priority", "Priority")}
                <th scope="col">Assignee</th>
                <th scope="col">Labels</th>
                {sortHeader("due", "Due")}
                {sortHeader("updated", "Updated")}
              </tr>
            </thead>
            <tbody>
              {tasks.map((task) => (
                <tr
                  key={task.id}
                  id={`row-${task.id}`}
                  tabIndex={-1}
                  className={cursor === task.id ? "cursor" : undefined}
                  aria-selected={selected.has(task.id)}
                  onFocus={() => setCursor(task.id)}
                  onKeyDown={(e) => {
                    if (e.key === "Enter" && e.target === e.currentTarget) openTask(task);
                  }}
                >
                  <td className="check">
                    <input
                      type="checkbox"
                      aria-label={`Select ${task.key}`}
                      checked={selected.has(task.id)}
                      onChange={() => toggle(task.id)}
                    />
                  </td>
                  <td className="task-key">{task.key}</td>
                  <td className="title-cell">
                    <button type="button" className="link" onClick={() => openTask(task)}>
                      {task.title}
                    </button>
                  </td>
                  <td>
                    <select
                      aria-label={`Status of ${task.key}`}
                      value={task.status_id}
                      disabled={!editable}
                      onChange={(e) =>
                        update.mutate({ task, changes: { status_id: e.target.value } })
                      }
                    >
                      {statuses.map((s) => (
                        <option key={s.id} value={s.id}>
                          {s.name}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <select
                      aria-label={`Priority of ${task.key}`}
                      value={task.priority}
                      disabled={!editable}
                      onChange={(e) =>
                        update.mutate({ task, changes: { priority: e.target.value as Priority } })
                      }
                    >
                      {PRIORITIES.map((p) => (
                        <option key={p} value={p}>
                          {PRIORITY_LABEL[p]}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td className="assignee-cell">
                    {/* All assignees, edited as a set: adding or removing one keeps the rest. */}
                    <PickMany
                      label={`Assignees of ${task.key}`}
                      hideLabel
                      disabled={!editable}
                      chosen={task.assignee_ids}
                      options={members.map((m) => ({ value: m.user_id, label: m.name }))}
                      summary={
                        task.assignee_ids.length ? (
                          <AvatarStack
                            people={task.assignee_ids.map((id) => ({
                              id,
                              name: names.get(id) ?? "Someone",
                            }))}
                          />
                        ) : (
                          <span className="muted">Unassigned</span>
                        )
                      }
                      onChange={(ids) => update.mutate({ task, changes: { assignee_ids: ids } })}
                    />
                  </td>
                  <td>
                    <div className="labels-cell">
                      {task.label_ids.map((id) => {
                        const l = labelById.get(id);
                        return l ? <LabelChip key={id} label={l} /> : null;
                      })}
                    </div>
                  </td>
                  <td className={isOverdue(task, today) ? "due overdue" : "due"}>
                    {task.due_date ? formatDate(task.due_date) : <span className="muted">—</span>}
                    {isOverdue(task, today) && <span className="sr-only"> (overdue)</span>}
                  </td>
                  <td className="muted">
                    <time dateTime={task.updated_at} title={formatDateTime(task.updated_at)}>
                      {timeAgo(task.updated_at)}
                    </time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {query.hasNextPage && (
        <div className="load-more">
          {total !== undefined && (
            <span className="muted">{shownText(tasks.length, true, total)}</span>
          )}
          <button
            type="button"
            disabled={query.isFetchingNextPage}
            onClick={() => void query.fetchNextPage()}
          >
            {query.isFetchingNextPage ? "Loading…" : "Show more"}
          </button>
        </div>
      )}
      <span className="sr-only" aria-live="polite">
        {query.isSuccess ? shownText(tasks.length, query.hasNextPage, total) : ""}
      </span>
    </div>
  );
}

function listKeys(keys: string[], max = 5): string {
  if (keys.length <= max) return keys.join(", ");
  return `${keys.slice(0, max).join(", ")} and ${keys.length - max} more`;
}

function shownText(shown: number, more: boolean, total: number | undefined): string {
  if (!more) return `${shown} tasks shown`;
  if (total === undefined) return `${shown} or more tasks shown`;
  return `${shown} of ${Math.max(total, shown)} tasks shown`;
}
