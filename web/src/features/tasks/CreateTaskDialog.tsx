import { useQuery } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState } from "react";
import { api, unwrap } from "../../api/client";
import type { Priority, Project, Status, Task } from "../../api/types";
import { PRIORITIES, PRIORITY_LABEL } from "../../api/types";
import { AvatarStack, LabelChip, Modal } from "../../app/ui";
import { Markdown } from "../../lib/markdown";
import { useLabels, usePeople } from "../projects/api";
import { fetchTask, useCreateTask } from "./api";
import { PickMany } from "./PickMany";
import "./CreateTaskDialog.css";
import { type WriteTab, WriteTabs } from "../../app/WriteTabs";

export function CreateTaskDialog({
  open,
  onClose,
  project,
  statuses,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  project: Project;
  statuses: Status[];
  onCreated: (task: Task) => void;
}) {
  return (
    <Modal open={open} onClose={onClose} title="Create a task" className="create-task-dialog">
      <CreateForm project={project} statuses={statuses} onClose={onClose} onCreated={onCreated} />
    </Modal>
  );
}

interface Draft {
  title: string;
  priority: Priority;
  assigneeIds: string[];
  labelIds: string[];
  due: string;
  parent: Task | null;
  description: string;
}

const EMPTY: Draft = {
  title: "",
  priority: "none",
  assigneeIds: [],
  labelIds: [],
  due: "",
  parent: null,
  description: "",
};

function CreateForm({
  project,
  statuses,
  onClose,
  onCreated,
}: {
  project: Project;
  statuses: Status[];
  onClose: () => void;
  onCreated: (task: Task) => void;
}) {
  const create = useCreateTask(project.id);
  const people = usePeople(project.id);
  const labels = useLabels(project.id);
  const firstOpen = statuses.find((s) => s.category === "unstarted") ?? statuses[0];
  const [statusId, setStatusId] = useState(firstOpen?.id ?? "");
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [tab, setTab] = useState<WriteTab>("write");
  const [more, setMore] = useState(false);
  const [created, setCreated] = useState<Task | null>(null);
  // A new draft starts a new picker (its search text) and closes the pick-many lists.
  const [round, setRound] = useState(0);
  const titleRef = useRef<HTMLInputElement>(null);
  const set = (changes: Partial<Draft>) => setDraft((d) => ({ ...d, ...changes }));
  const names = new Map((people.data ?? []).map((p) => [p.user_id, p.name]));

  function submit() {
    const title = draft.title.trim();
    if (!title || create.isPending) return;
    create.mutate(
      {
        title,
        status_id: statusId || null,
        priority: draft.priority,
        assignee_ids: draft.assigneeIds,
        label_ids: draft.labelIds,
        due_date: draft.due || null,
        parent_id: draft.parent?.id ?? null,
        description: draft.description,
      },
      {
        onSuccess: (task) => {
          if (!more) {
            onClose();
            onCreated(task);
            return;
          }
          // Ready for the next one: the same status, everything else empty, typing again.
          setDraft(EMPTY);
          setTab("write");
          setRound((r) => r + 1);
          setCreated(task);
          titleRef.current?.focus();
        },
      },
    );
  }

  return (
    <form
      className="stack create-task"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <h2>New task in {project.name}</h2>
      <label>
        Title
        <input
          ref={titleRef}
          autoFocus
          required
          maxLength={500}
          value={draft.title}
          onChange={(e) => set({ title: e.target.value })}
          placeholder="What needs doing?"
        />
      </label>
      <div className="row">
        <label>
          Status
          <select value={statusId} onChange={(e) => setStatusId(e.target.value)}>
            {statuses.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Priority
          <select
            value={draft.priority}
            onChange={(e) => set({ priority: e.target.value as Priority })}
          >
            {PRIORITIES.map((p) => (
              <option key={p} value={p}>
                {PRIORITY_LABEL[p]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Due date
          <input type="date" value={draft.due} onChange={(e) => set({ due: e.target.value })} />
        </label>
      </div>
      <div className="row create-task-sets" key={`sets-${round}`}>
        <PickMany
          label="Assignees"
          disabled={false}
          chosen={draft.assigneeIds}
          options={(people.data ?? []).map((p) => ({ value: p.user_id, label: p.name }))}
          summary={
            draft.assigneeIds.length ? (
              <AvatarStack
                people={draft.assigneeIds.map((id) => ({ id, name: names.get(id) ?? "Someone" }))}
              />
            ) : (
              "Nobody"
            )
          }
          onChange={(ids) => set({ assigneeIds: ids })}
        />
        <PickMany
          label="Labels"
          disabled={false}
          chosen={draft.labelIds}
          options={(labels.data ?? []).map((l) => ({ value: l.id, label: l.name }))}
          summary={
            draft.labelIds.length
              ? (labels.data ?? [])
                  .filter((l) => draft.labelIds.includes(l.id))
                  .map((l) => <LabelChip key={l.id} label={l} />)
              : "None"
          }
          onChange={(ids) => set({ labelIds: ids })}
        />
      </div>
      <ParentPicker
        key={`parent-${round}`}
        project={project}
        value={draft.parent}
        onChange={(parent) => set({ parent })}
      />
      <section className="create-task-description" aria-label="Description">
        <div className="section-head">
          <span className="prop-label">Description</span>
          <WriteTabs label="Description editor" tab={tab} onTab={setTab} />
        </div>
        {tab === "write" ? (
          <textarea
            aria-label="Description (Markdown)"
            value={draft.description}
            rows={5}
            maxLength={100000}
            placeholder="Markdown: **bold**, lists, `code`, task keys like ENG-4…"
            onChange={(e) => set({ description: e.target.value })}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
                e.preventDefault();
                submit();
              }
            }}
          />
        ) : (
          <div className="preview">
            {draft.description ? (
              <Markdown text={draft.description} />
            ) : (
              <p className="muted">Nothing to preview.</p>
            )}
          </div>
        )}
      </section>
      <label className="inline small">
        <input type="checkbox" checked={more} onChange={(e) => setMore(e.target.checked)} /> Create
        more (keep this open)
      </label>
      <p className="small muted create-task-done" role="status">
        {created ? `Created ${created.key}: ${created.title}` : ""}
      </p>
      <div className="row">
        <button
          type="submit"
          className="primary"
          disabled={create.isPending || !draft.title.trim()}
        >
          Create task
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** `ENG-4`, or a bare `4` in project ENG: the key a search text names, if any. */
export function keyIn(text: string, projectKey: string): string | null {
  const t = text.trim().toUpperCase();
  if (/^[1-9][0-9]{0,9}$/.test(t)) return `${projectKey}-${t}`;
  if (/^[A-Z][A-Z0-9]{1,9}-[1-9][0-9]{0,9}$/.test(t)) return t;
  return null;
}

const PICKER_RESULTS = 8;

/** Finds a task of the project by key (`ENG-4`, or just `4`) or by words of its title. */
function ParentPicker({
  project,
  value,
  onChange,
}: {
  project: Project;
  value: Task | null;
  onChange: (task: Task | null) => void;
}) {
  const [text, setText] = useState("");
  const [debounced, setDebounced] = useState("");
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const listId = useId();
  useEffect(() => {
    const t = setTimeout(() => setDebounced(text.trim()), 150);
    return () => clearTimeout(t);
  }, [text]);
  const found = useQuery({
    queryKey: ["parent-picker", project.id, debounced],
    enabled: debounced.length > 0,
    staleTime: 10_000,
    queryFn: async ({ signal }) => {
      const key = keyIn(debounced, project.key);
      const [byKey, byTitle] = await Promise.all([
        key ? fetchTask(key, signal).catch(() => null) : null,
        unwrap(
          api.GET("/api/v1/projects/{project_id}/tasks", {
            params: {
              path: { project_id: project.id },
              query: { q: debounced, limit: PICKER_RESULTS, sort: "-updated" },
            },
            signal,
          }),
        ).then((page) => page.items),
      ]);
      const first = byKey && byKey.project_id === project.id ? [byKey] : [];
      return [...first, ...byTitle.filter((t) => t.id !== byKey?.id)].slice(0, PICKER_RESULTS);
    },
  });
  const options = debounced ? (found.data ?? []) : [];
  const shown = open && debounced.length > 0;
  const clamped = Math.min(active, Math.max(0, options.length - 1));
  const pick = (task: Task) => {
    onChange(task);
    setText("");
    setOpen(false);
  };

  if (value) {
    return (
      <div className="parent-picker">
        <span className="prop-label">Parent</span>
        <span className="parent-chosen">
          <span className="task-key">{value.key}</span> {value.title}
          <button
            type="button"
            className="link small"
            aria-label="Remove the parent task"
            onClick={() => onChange(null)}
          >
            Remove
          </button>
        </span>
      </div>
    );
  }
  return (
    <div className="parent-picker">
      <label htmlFor={`${listId}-input`} className="prop-label">
        Parent
      </label>
      <input
        id={`${listId}-input`}
        role="combobox"
        aria-label="Parent task"
        aria-expanded={shown}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={shown && options[clamped] ? `${listId}-${clamped}` : undefined}
        placeholder={`Search by key (${project.key}-1) or title`}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setActive(0);
          setOpen(true);
        }}
        onBlur={() => setOpen(false)}
        onFocus={() => setOpen(true)}
        onKeyDown={(e) => {
          if (!shown) return;
          if (e.key === "ArrowDown") {
            e.preventDefault();
            setActive((clamped + 1) % Math.max(1, options.length));
          } else if (e.key === "ArrowUp") {
            e.preventDefault();
            setActive((clamped - 1 + options.length) % Math.max(1, options.length));
          } else if (e.key === "Enter") {
            e.preventDefault(); // picking, not creating the task
            const task = options[clamped];
            if (task) pick(task);
          } else if (e.key === "Escape") {
            e.preventDefault(); // close the list, not the dialog
            e.stopPropagation();
            setOpen(false);
          }
        }}
      />
      {shown && (
        <div id={listId} role="listbox" aria-label="Matching tasks" className="picker-list">
          {options.map((t, i) => (
            <div
              key={t.id}
              id={`${listId}-${i}`}
              role="option"
              tabIndex={-1}
              aria-selected={i === clamped}
              className={i === clamped ? "active" : undefined}
              onMouseEnter={() => setActive(i)}
              // Before the input's blur closes the list.
              onMouseDown={(e) => {
                e.preventDefault();
                pick(t);
              }}
            >
              <span className="task-key">{t.key}</span> {t.title}
            </div>
          ))}
          {options.length === 0 && (
            <p className="muted small">
              {found.isFetching || debounced !== text.trim()
                ? "Searching…"
                : `No task of ${project.key} matches “${debounced}”.`}
            </p>
          )}
        </div>
      )}
    </div>
  );
}
