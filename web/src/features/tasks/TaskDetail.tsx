import { useMutation, useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link } from "react-router";
import { ApiError, api, unwrap } from "../../api/client";
import type {
  Activity,
  Label,
  Person,
  Priority,
  RelationType,
  Status,
  Task,
  TaskUpdate,
} from "../../api/types";
import { PRIORITIES, PRIORITY_LABEL } from "../../api/types";
import {
  AvatarStack,
  ErrorNote,
  formatDate,
  formatDateTime,
  LabelChip,
  Spinner,
  timeAgo,
} from "../../app/ui";
import { type WriteTab, WriteTabs } from "../../app/WriteTabs";
import { Markdown } from "../../lib/markdown";
import { AttachmentsSection, DropHint, useFileDrop } from "../attachments/Attachments";
import { attachFiles } from "../attachments/api";
import { Comments } from "../comments/Comments";
import { MentionTextarea } from "../notifications/MentionTextarea";
import { useProject } from "../projects/api";
import { useLiveScope } from "../realtime/useLive";
import { toast } from "../shell/toasts";
import { fetchTask, messageOf, useCreateTask, useSubtasks, useTask, useUpdateTask } from "./api";
import { taskKeys } from "./cache";
import { PickMany } from "./PickMany";
import { fetchTaskIn, useTaskId, useTaskPaths } from "./paths";
import { TitleRefs } from "./RefPreview";
import { DeleteTaskButton } from "./Trash";
import { Watchers } from "./Watchers";

interface Props {
  taskRef: string;
  /** The workspace (slug or id) a key in `taskRef` is resolved in. */
  workspace?: string;
  statuses: Status[];
  labels: Label[];
  members: Person[];
  me: string;
  editable: boolean;
  onClose?: () => void;
  fullPage?: boolean;
}

export function TaskDetail(props: Props) {
  const resolved = useTaskId(props.taskRef, props.workspace);
  const query = useTask(resolved.id);
  const error = resolved.error ?? query.error;
  if (error) {
    const gone = error instanceof ApiError && error.status === 404;
    return gone ? (
      <div className="detail-missing" role="alert">
        <p>This task does not exist, was deleted, or you cannot see it.</p>
        {props.onClose && (
          <button type="button" onClick={props.onClose}>
            Close
          </button>
        )}
      </div>
    ) : (
      <ErrorNote
        error={error}
        retry={() => (resolved.error ? resolved.retry() : void query.refetch())}
      />
    );
  }
  if (!query.data) return <Spinner label="Loading task" />;
  return <TaskDetailLoaded {...props} task={query.data} />;
}

interface ConflictState {
  field: string;
  mine: string;
  theirs: Task;
}

function TaskDetailLoaded({
  task,
  statuses,
  labels,
  members,
  me,
  editable,
  onClose,
  fullPage,
}: Props & { task: Task }) {
  const viewers = useLiveScope({ task_id: task.id });
  const [conflict, setConflict] = useState<ConflictState | null>(null);
  const update = useUpdateTask();
  const names = new Map(members.map((m) => [m.user_id, m.name]));
  const status = statuses.find((s) => s.id === task.status_id);

  /** Save `changes` made on top of `base` (the version the person started from). */
  function save(changes: TaskUpdate, base: number, field: string, mine: string) {
    update.mutate(
      { task, changes, baseVersion: base },
      {
        onError: (error) => {
          if (error && typeof error === "object" && "latest" in error) {
            setConflict({ field, mine, theirs: (error as { latest: Task }).latest });
          }
        },
        onSuccess: () => setConflict(null),
      },
    );
  }
  const quick = (changes: TaskUpdate) => update.mutate({ task, changes });
  const pathOf = useTaskPaths(task.project_id);
  const qc = useQueryClient();
  // Files dropped anywhere on the task are attached to it (on the comment form: to the comment).
  const drop = useFileDrop((files) => attachFiles(qc, task, files), editable);

  return (
    <article
      className={`task-detail${fullPage ? " full" : ""}`}
      aria-labelledby="task-title-label"
      {...drop.handlers}
    >
      {drop.dragging && <DropHint>Drop files to attach them to {task.key}</DropHint>}
      <header className="detail-head">
        <span className="task-key" id="task-title-label">
          {task.key}
        </span>
        {status && (
          <span className="status-pill">
            <span className="status-dot" style={{ background: status.color }} aria-hidden="true" />
            {status.name}
          </span>
        )}
        <span className="spacer" />
        {viewers.filter((v) => v.user_id !== me).length > 0 && (
          <span className="presence">
            <span className="sr-only">Also viewing this task:</span>
            <AvatarStack
              people={viewers
                .filter((v) => v.user_id !== me)
                .map((v) => ({ id: v.user_id, name: v.name }))}
            />
          </span>
        )}
        {!fullPage && (
          <Link className="button" to={pathOf(task.key)}>
            Open page
          </Link>
        )}
        {editable && <DeleteTaskButton task={task} onClose={onClose} />}
        {onClose && (
          <button
            type="button"
            className="icon-button"
            onClick={onClose}
            aria-label="Close task (Esc)"
          >
            ✕
          </button>
        )}
      </header>

      {conflict && (
        <div className="conflict" role="alert">
          <strong>Someone else changed this task while you were editing it.</strong>
          <p>
            Your change to the {conflict.field} was not saved. The newer version (v
            {conflict.theirs.version}) is shown
            {conflict.field === "title" ? (
              <>
                : the title is now <q className="conflict-theirs">{conflict.theirs.title}</q>
              </>
            ) : (
              "."
            )}
          </p>
          <p className="muted">
            Yours:{" "}
            <q>{conflict.mine.length > 200 ? `${conflict.mine.slice(0, 200)}…` : conflict.mine}</q>
          </p>
          <div className="row">
            <button
              type="button"
              className="primary"
              onClick={() => {
                const changes =
                  conflict.field === "title"
                    ? { title: conflict.mine }
                    : { description: conflict.mine };
                save(changes, conflict.theirs.version, conflict.field, conflict.mine);
              }}
            >
              Use mine instead
            </button>
            <button type="button" onClick={() => setConflict(null)}>
              Keep theirs
            </button>
          </div>
        </div>
      )}

      <TitleField task={task} editable={editable} onSave={save} />
      <TitleRefs title={task.title} own={task.key} />

      <fieldset className="props">
        <legend className="sr-only">Task properties</legend>
        <label>
          Status
          <select
            aria-label="Status"
            value={task.status_id}
            disabled={!editable}
            onChange={(e) => quick({ status_id: e.target.value })}
          >
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
            aria-label="Priority"
            value={task.priority}
            disabled={!editable}
            onChange={(e) => quick({ priority: e.target.value as Priority })}
          >
            {PRIORITIES.map((p) => (
              <option key={p} value={p}>
                {PRIORITY_LABEL[p]}
              </option>
            ))}
          </select>
        </label>
        <PickMany
          label="Assignees"
          disabled={!editable}
          chosen={task.assignee_ids}
          options={members.map((m) => ({ value: m.user_id, label: m.name }))}
          summary={
            task.assignee_ids.length ? (
              <AvatarStack
                people={task.assignee_ids.map((id) => ({ id, name: names.get(id) ?? "Someone" }))}
              />
            ) : (
              "Nobody"
            )
          }
          onChange={(ids) => quick({ assignee_ids: ids })}
        />
        <PickMany
          label="Labels"
          disabled={!editable}
          chosen={task.label_ids}
          options={labels.map((l) => ({ value: l.id, label: l.name }))}
          summary={
            task.label_ids.length
              ? labels
                  .filter((l) => task.label_ids.includes(l.id))
                  .map((l) => <LabelChip key={l.id} label={l} />)
              : "None"
          }
          onChange={(ids) => quick({ label_ids: ids })}
        />
        <label>
          Start
          <input
            aria-label="Start date"
            type="date"
            disabled={!editable}
            value={task.start_date ?? ""}
            onChange={(e) => quick({ start_date: e.target.value || null })}
          />
        </label>
        <label>
          Due
          <input
            aria-label="Due date"
            type="date"
            disabled={!editable}
            value={task.due_date ?? ""}
            onChange={(e) => quick({ due_date: e.target.value || null })}
          />
        </label>
        <EstimateField
          key={`est-${task.version}`}
          task={task}
          editable={editable}
          onSave={(estimate) => quick({ estimate })}
        />
        <ParentField task={task} editable={editable} onSave={(parent_id) => quick({ parent_id })} />
      </fieldset>

      <DescriptionField task={task} editable={editable} onSave={save} />
      <AttachmentsSection task={task} me={me} names={names} editable={editable} />
      <Subtasks task={task} editable={editable} statuses={statuses} />
      <Relations task={task} editable={editable} />
      <Watchers task={task} me={me} />
      <Comments task={task} me={me} canComment={editable} names={names} />
      <ActivityList task={task} statuses={statuses} labels={labels} names={names} />
    </article>
  );
}

function TitleField({
  task,
  editable,
  onSave,
}: {
  task: Task;
  editable: boolean;
  onSave: (c: TaskUpdate, base: number, field: string, mine: string) => void;
}) {
  const [value, setValue] = useState(task.title);
  const [base, setBase] = useState(task.version);
  const [editing, setEditing] = useState(false);
  // A newer version shows at once, unless the person is typing: their draft stays, and saving
  // it is checked against the version they started from.
  useEffect(() => {
    if (!editing) setValue(task.title);
  }, [task.title, editing]);
  const commit = () => {
    setEditing(false);
    const text = value.trim();
    if (!text) setValue(task.title);
    else if (text !== task.title) onSave({ title: text }, base, "title", text);
  };
  return (
    <h1 className="detail-title">
      <input
        aria-label="Title"
        value={value}
        readOnly={!editable}
        maxLength={500}
        onFocus={() => {
          setBase(task.version);
          setEditing(true);
        }}
        onChange={(e) => setValue(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            e.preventDefault();
            (e.target as HTMLInputElement).blur();
          }
          if (e.key === "Escape") {
            setValue(task.title);
          }
        }}
      />
    </h1>
  );
}

function DescriptionField({
  task,
  editable,
  onSave,
}: {
  task: Task;
  editable: boolean;
  onSave: (c: TaskUpdate, base: number, field: string, mine: string) => void;
}) {
  const [editing, setEditing] = useState(false);
  const [tab, setTab] = useState<WriteTab>("write");
  const [draft, setDraft] = useState(task.description);
  const [base, setBase] = useState(task.version);
  if (!editing) {
    return (
      <section className="description" aria-labelledby="desc-title">
        <div className="section-head">
          <h3 id="desc-title">Description</h3>
          {editable && (
            <button
              type="button"
              className="link small"
              onClick={() => {
                setBase(task.version);
                setDraft(task.description);
                setEditing(true);
              }}
            >
              Edit
            </button>
          )}
        </div>
        {task.description ? (
          <Markdown text={task.description} />
        ) : (
          <p className="muted">No description.</p>
        )}
      </section>
    );
  }
  return (
    <section className="description editing" aria-labelledby="desc-title">
      <div className="section-head">
        <h3 id="desc-title">Description</h3>
        <WriteTabs label="Description editor" tab={tab} onTab={setTab} />
      </div>
      {tab === "write" ? (
        <MentionTextarea
          projectId={task.project_id}
          aria-label="Description (Markdown)"
          value={draft}
          rows={8}
          maxLength={100000}
          onChange={setDraft}
          autoFocus
        />
      ) : (
        <div className="preview">
          {draft ? <Markdown text={draft} /> : <p className="muted">Nothing to preview.</p>}
        </div>
      )}
      <div className="row">
        <button
          type="button"
          className="primary"
          onClick={() => {
            setEditing(false);
            if (draft !== task.description)
              onSave({ description: draft }, base, "description", draft);
          }}
        >
          Save
        </button>
        <button type="button" onClick={() => setEditing(false)}>
          Cancel
        </button>
      </div>
    </section>
  );
}

function EstimateField({
  task,
  editable,
  onSave,
}: {
  task: Task;
  editable: boolean;
  onSave: (v: number | null) => void;
}) {
  const [value, setValue] = useState(
    task.estimate === null || task.estimate === undefined ? "" : String(task.estimate),
  );
  return (
    <label>
      Estimate
      <input
        type="number"
        aria-label="Estimate"
        min={0}
        max={10000}
        step="0.5"
        disabled={!editable}
        value={value}
        onChange={(e) => setValue(e.target.value)}
        onBlur={() => {
          const next = value === "" ? null : Number(value);
          if (next !== (task.estimate ?? null) && (next === null || Number.isFinite(next)))
            onSave(next);
        }}
      />
    </label>
  );
}

/** Another key of this task's project, for placeholders: "ENG-12" only in project ENG. */
export function exampleKey(task: Pick<Task, "key">): string {
  const prefix = task.key.replace(/-\d+$/, "");
  const number = Number(task.key.slice(prefix.length + 1)) || 1;
  return `${prefix}-${number > 1 ? number - 1 : number + 1}`;
}

function ParentField({
  task,
  editable,
  onSave,
}: {
  task: Task;
  editable: boolean;
  onSave: (id: string | null) => void;
}) {
  const parent = useTask(task.parent_id ?? undefined);
  const pathOf = useTaskPaths(task.project_id);
  const workspaceId = useProject(task.project_id).data?.workspace_id;
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="parent-field">
      <span className="prop-label">Parent</span>
      {task.parent_id ? (
        <span className="parent-value">
          {parent.data ? (
            <Link to={pathOf(parent.data.key)} title={`${parent.data.key} ${parent.data.title}`}>
              {parent.data.key} {parent.data.title}
            </Link>
          ) : parent.isError ? (
            <span className="muted">A task you cannot see</span>
          ) : (
            "…"
          )}
          {editable && (
            <button
              type="button"
              className="link small"
              onClick={() => onSave(null)}
              aria-label="Remove the parent task"
            >
              Remove
            </button>
          )}
        </span>
      ) : editable ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            const ref = value.trim().toUpperCase();
            if (!ref) return;
            fetchTaskIn(ref, workspaceId).then(
              (p) => {
                setError(null);
                setValue("");
                onSave(p.id);
              },
              () => setError(`No task ${ref} that you can see.`),
            );
          }}
        >
          <input
            aria-label="Parent task key"
            placeholder={`e.g. ${exampleKey(task)}`}
            value={value}
            onChange={(e) => setValue(e.target.value)}
          />
          {error && (
            <span className="form-error" role="alert">
              {error}
            </span>
          )}
        </form>
      ) : (
        <span className="muted">None</span>
      )}
    </div>
  );
}

function Subtasks({
  task,
  editable,
  statuses,
}: {
  task: Task;
  editable: boolean;
  statuses: Status[];
}) {
  const query = useSubtasks(task);
  const pathOf = useTaskPaths(task.project_id);
  const create = useCreateTask(task.project_id);
  const qc = useQueryClient();
  const [title, setTitle] = useState("");
  const done = new Set(
    statuses.filter((s) => s.category === "done" || s.category === "cancelled").map((s) => s.id),
  );
  return (
    <section className="subtasks" aria-labelledby="subtasks-title">
      <h3 id="subtasks-title">Subtasks</h3>
      {query.data?.length ? (
        <ul className="plain-list">
          {query.data.map((t) => (
            <li key={t.id} className={done.has(t.status_id) ? "done" : undefined}>
              <Link to={pathOf(t.key)}>
                <span className="task-key">{t.key}</span> {t.title}
              </Link>
              <span className="muted"> · {statuses.find((s) => s.id === t.status_id)?.name}</span>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">No subtasks.</p>
      )}
      {editable && (
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (!title.trim()) return;
            create.mutate(
              { title: title.trim(), parent_id: task.id },
              {
                onSuccess: () =>
                  void qc.invalidateQueries({ queryKey: taskKeys.subtasks(task.key) }),
              },
            );
            setTitle("");
          }}
        >
          <input
            aria-label="New subtask title"
            placeholder="Add a subtask…"
            value={title}
            maxLength={500}
            onChange={(e) => setTitle(e.target.value)}
          />
        </form>
      )}
    </section>
  );
}

const RELATION_LABEL: Record<RelationType, string> = {
  blocks: "Blocks",
  blocked_by: "Blocked by",
  relates_to: "Relates to",
  duplicates: "Duplicates",
  duplicated_by: "Duplicated by",
};

function Relations({ task, editable }: { task: Task; editable: boolean }) {
  const qc = useQueryClient();
  const key = taskKeys.relations(task.key);
  const pathOf = useTaskPaths(task.project_id);
  const query = useQuery({
    queryKey: key,
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/tasks/{task_ref}/relations", {
          params: { path: { task_ref: task.id } },
          signal,
        }),
      ).then((p) => p.items),
  });
  const [type, setType] = useState<RelationType>("relates_to");
  const [other, setOther] = useState("");
  const add = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/v1/tasks/{task_ref}/relations", {
          params: { path: { task_ref: task.id } },
          body: { type, task_id: other.trim().toUpperCase() },
        }),
      ),
    onSuccess: () => {
      setOther("");
      void qc.invalidateQueries({ queryKey: key });
    },
    onError: (e) => toast.error(messageOf(e, "The relation was not added.")),
  });
  const remove = useMutation({
    mutationFn: (id: string) =>
      unwrap(
        api.DELETE("/api/v1/tasks/{task_ref}/relations/{relation_id}", {
          params: { path: { task_ref: task.id, relation_id: id } },
        }),
      ),
    onSuccess: () => void qc.invalidateQueries({ queryKey: key }),
    onError: (e) => toast.error(messageOf(e, "The relation was not removed.")),
  });
  return (
    <section className="relations" aria-labelledby="relations-title">
      <h3 id="relations-title">Relations</h3>
      {query.data?.length ? (
        <ul className="plain-list">
          {query.data.map((r) => (
            <li key={r.id}>
              <span className="muted">{RELATION_LABEL[r.type]}</span>{" "}
              <Link to={pathOf(r.task.key)}>
                <span className="task-key">{r.task.key}</span> {r.task.title}
              </Link>
              {editable && (
                <button
                  type="button"
                  className="link small"
                  onClick={() => remove.mutate(r.id)}
                  aria-label={`Remove relation to ${r.task.key}`}
                >
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">No related tasks.</p>
      )}
      {editable && (
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (other.trim()) add.mutate();
          }}
        >
          <select
            aria-label="Relation type"
            value={type}
            onChange={(e) => setType(e.target.value as RelationType)}
          >
            {(Object.keys(RELATION_LABEL) as RelationType[]).map((t) => (
              <option key={t} value={t}>
                {RELATION_LABEL[t]}
              </option>
            ))}
          </select>
          <input
            aria-label="Related task key"
            placeholder={exampleKey(task)}
            value={other}
            onChange={(e) => setOther(e.target.value)}
          />
          <button type="submit">Add</button>
        </form>
      )}
    </section>
  );
}

const VERBS: Record<string, string> = {
  "task.created": "created the task",
  "task.updated": "changed",
  "task.moved": "moved the task",
  "task.deleted": "deleted the task",
  "task.restored": "restored the task",
  "task.relation_added": "added a relation",
  "task.relation_removed": "removed a relation",
  "comment.created": "commented",
  "comment.updated": "edited a comment",
  "comment.deleted": "deleted a comment",
  "attachment.added": "attached a file",
  "attachment.removed": "removed a file",
};

/** The ids of the tasks an activity entry mentions (a parent, the other end of a relation). */
export function mentionedTasks(items: Array<Pick<Activity, "changes">>): string[] {
  const ids = new Set<string>();
  for (const item of items) {
    const changes = (item.changes ?? {}) as Record<string, { from?: unknown; to?: unknown }>;
    for (const end of [changes.parent_id?.from, changes.parent_id?.to])
      if (typeof end === "string") ids.add(end);
    for (const end of [changes.relation?.from, changes.relation?.to]) {
      const id = (end as { task_id?: unknown } | null | undefined)?.task_id;
      if (typeof id === "string") ids.add(id);
    }
  }
  return [...ids];
}

export function describeActivity(
  item: Pick<Activity, "type" | "changes">,
  lookup: {
    status: (id: string) => string;
    label: (id: string) => string;
    person: (id: string) => string;
    /** "ENG-7 Title", or "a task you cannot see". */
    task: (id: string) => string;
  },
): string {
  const verb = VERBS[item.type] ?? item.type;
  if (item.type === "attachment.added" || item.type === "attachment.removed") {
    const change = item.changes?.filename as { from?: unknown; to?: unknown } | undefined;
    const name = item.type === "attachment.added" ? change?.to : change?.from;
    if (typeof name !== "string" || !name) return verb;
    return `${item.type === "attachment.added" ? "attached" : "removed"} ${name}`;
  }
  if (item.type === "task.relation_added" || item.type === "task.relation_removed") {
    type End = { type?: string; task_id?: string } | null | undefined;
    const relation = item.changes?.relation as { from?: End; to?: End } | undefined;
    const end = item.type === "task.relation_added" ? relation?.to : relation?.from;
    if (!end?.task_id) return verb;
    const type = RELATION_LABEL[end.type as RelationType]?.toLowerCase() ?? "related to";
    return `${verb}: ${type} ${lookup.task(end.task_id)}`;
  }
  if (item.type !== "task.updated" && item.type !== "task.moved") return verb;
  const show = (field: string, value: unknown): string => {
    if (value === null || value === undefined || value === "") return "none";
    if (field === "status_id") return lookup.status(String(value));
    if (field === "parent_id") return lookup.task(String(value));
    if (field === "assignee_ids" && Array.isArray(value))
      return value.map((v) => lookup.person(String(v))).join(", ") || "nobody";
    if (field === "label_ids" && Array.isArray(value))
      return value.map((v) => lookup.label(String(v))).join(", ") || "none";
    if (field === "description") return "…";
    const text = String(value);
    return text.length > 60 ? `${text.slice(0, 60)}…` : text;
  };
  const entries = Object.entries(item.changes ?? {}).filter(([field]) => field !== "position");
  const fields = entries
    .filter(([field]) => field !== "description")
    .map(([field, change]) => {
      const c = (change ?? {}) as { from?: unknown; to?: unknown };
      const name = field.replace(/_ids?$/, "").replace("_", " ");
      return `${name} from ${show(field, c.from)} to ${show(field, c.to)}`;
    });
  const out: string[] = [];
  if (fields.length)
    out.push(`${item.type === "task.moved" ? "moved" : "changed"} ${fields.join("; ")}`);
  if (entries.some(([field]) => field === "description")) out.push("edited the description");
  if (out.length === 0) return item.type === "task.moved" ? "reordered the task" : verb;
  return out.join("; ");
}

function ActivityList({
  task,
  statuses,
  labels,
  names,
}: {
  task: Task;
  statuses: Status[];
  labels: Label[];
  names: Map<string, string>;
}) {
  const query = useQuery({
    queryKey: taskKeys.activity(task.key),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/tasks/{task_ref}/activity", {
          params: { path: { task_ref: task.id }, query: { limit: 200 } },
          signal,
        }),
      ).then((p) => p.items),
  });
  // The entries carry task ids; each is shown by its key and title, fetched like any task the
  // reader can open. One they cannot see (or that is gone) stays unnamed.
  const ids = mentionedTasks(query.data ?? []);
  const tasks = useQueries({
    queries: ids.map((id) => ({
      queryKey: taskKeys.detail(id),
      queryFn: ({ signal }: { signal: AbortSignal }) => fetchTask(id, signal),
    })),
  });
  const taskName = (id: string): string => {
    const found = tasks[ids.indexOf(id)];
    if (found?.data) return `${found.data.key} ${found.data.title}`;
    if (found?.isPending) return "a task";
    return "a task you cannot see";
  };
  const lookup = {
    status: (id: string) => statuses.find((s) => s.id === id)?.name ?? "a deleted status",
    label: (id: string) => labels.find((l) => l.id === id)?.name ?? "a deleted label",
    person: (id: string) => names.get(id) ?? "someone",
    task: taskName,
  };
  return (
    <section className="activity" aria-labelledby="activity-title">
      <h3 id="activity-title">Activity</h3>
      <ol className="timeline">
        {query.data?.map((a) => (
          <li key={a.seq}>
            <strong>{a.actor_id ? (names.get(a.actor_id) ?? "Someone") : "Tasklane"}</strong>{" "}
            {describeActivity(a, lookup)}
            <time className="muted" dateTime={a.created_at} title={formatDateTime(a.created_at)}>
              {" "}
              · {timeAgo(a.created_at)}
            </time>
          </li>
        ))}
      </ol>
      {task.due_date && <p className="sr-only">Due {formatDate(task.due_date)}</p>}
    </section>
  );
}
