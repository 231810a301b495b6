import { useEffect, useId, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { ApiError } from "../../api/client";
import type { Project, Task, TaskSort } from "../../api/types";
import { Empty, ErrorNote, formatDate, PriorityIcon, Spinner } from "../../app/ui";
import { useStatuses } from "../projects/api";
import { QueryInput } from "../query/QueryInput";
import { useWorkspaceVocabulary } from "../query/vocabulary";
import { useCreateView, type ViewCreate } from "../views/api";
import { GROUP_BY_OPTIONS, type GroupBy } from "../views/groups";
import { useProjects } from "../workspaces/api";
import { useWorkspaceTasks } from "./api";
import "./mytasks.css";

export const MY_TASKS_QUERY = "assignee:me is:open";
type Layout = NonNullable<ViewCreate["layout"]>;

const SORTS: Array<[TaskSort, string]> = [
  ["-updated", "Recently updated"],
  ["due", "Due date"],
  ["-priority", "Priority"],
  ["-created", "Newest"],
];

/** The tasks of every project you can see, selected by a query: "My tasks" by default
 * (`/w/<id>/tasks`, `?q=` and `?sort=` in the address). */
export function MyTasksPage() {
  const { workspaceId } = useParams();
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? MY_TASKS_QUERY;
  const sort = (params.get("sort") as TaskSort | null) ?? "-updated";
  const [draft, setDraft] = useState(q);
  useEffect(() => setDraft(q), [q]);
  const tasks = useWorkspaceTasks(workspaceId, q, sort);
  const projects = useProjects(workspaceId);
  const byId = new Map((projects.data ?? []).map((p) => [p.id, p]));
  const items = tasks.data?.pages.flatMap((p) => p.items) ?? [];
  const problem =
    tasks.error instanceof ApiError && tasks.error.status === 422 ? tasks.error : null;
  const errorId = useId();
  const queryId = useId();
  const mine = q === MY_TASKS_QUERY;
  // The names to suggest are asked for once the box is first used.
  const [suggesting, setSuggesting] = useState(false);
  const vocabulary = useWorkspaceVocabulary(workspaceId, { enabled: suggesting });

  return (
    <main className="page my-tasks-page">
      <h1>{mine ? "My tasks" : "Tasks"}</h1>
      <form
        className="query-bar"
        onSubmit={(e) => {
          e.preventDefault();
          setParams({ q: draft.trim(), sort });
        }}
      >
        <div className="query-input">
          <label htmlFor={queryId}>Query</label>
          <QueryInput
            id={queryId}
            value={draft}
            onChange={setDraft}
            onFocus={() => setSuggesting(true)}
            vocabulary={vocabulary}
            aria-invalid={problem ? true : undefined}
            aria-describedby={problem ? errorId : undefined}
            placeholder="assignee:me is:open label:bug due<2026-12-31 words"
          />
        </div>
        <label>
          <span>Sort</span>
          <select value={sort} onChange={(e) => setParams({ q, sort: e.target.value })}>
            {SORTS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Apply</button>
        {!mine && (
          <button type="button" onClick={() => setParams({ q: MY_TASKS_QUERY, sort })}>
            My tasks
          </button>
        )}
        {workspaceId && !problem && <SaveView workspaceId={workspaceId} query={q} sort={sort} />}
      </form>
      {problem && (
        <p id={errorId} className="query-error" role="alert">
          {problem.problem.errors?.[0]?.message ?? problem.message}
        </p>
      )}
      {tasks.isPending ? (
        <Spinner />
      ) : problem ? null : tasks.isError ? (
        <ErrorNote error={tasks.error} />
      ) : items.length === 0 ? (
        <Empty title={mine ? "Nothing assigned to you is open" : "No task matches"}>
          {mine ? "Tasks assigned to you in any project show here." : `Nothing matches “${q}”.`}
        </Empty>
      ) : (
        <>
          <TaskTable tasks={items} projects={byId} caption={mine ? "My tasks" : "Tasks"} />
          {tasks.hasNextPage && (
            <button
              type="button"
              disabled={tasks.isFetchingNextPage}
              onClick={() => tasks.fetchNextPage()}
            >
              {tasks.isFetchingNextPage ? "Loading…" : "More tasks"}
            </button>
          )}
        </>
      )}
    </main>
  );
}

/** Tasks of several projects as a table: key and title (a link), project, status, priority,
 * due date. */
export function TaskTable({
  tasks,
  projects,
  caption,
}: {
  tasks: Task[];
  projects: Map<string, Project>;
  caption: string;
}) {
  return (
    <div className="table-scroll">
      <table className="task-table my-tasks">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Task</th>
            <th scope="col">Project</th>
            <th scope="col">Status</th>
            <th scope="col">Priority</th>
            <th scope="col">Due</th>
          </tr>
        </thead>
        <tbody>
          {tasks.map((task) => (
            <Row key={task.id} task={task} project={projects.get(task.project_id)} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Row({ task, project }: { task: Task; project: Project | undefined }) {
  return (
    <tr>
      <td>
        <Link to={`/p/${task.project_id}/board/${task.key}`} className="my-task-link">
          <span className="task-key">{task.key}</span> {task.title}
        </Link>
      </td>
      <td>{project?.name ?? ""}</td>
      <td>
        <StatusName projectId={task.project_id} statusId={task.status_id} />
      </td>
      <td>
        <PriorityIcon priority={task.priority} />
      </td>
      <td>{task.due_date ? formatDate(task.due_date) : ""}</td>
    </tr>
  );
}

export function StatusName({ projectId, statusId }: { projectId: string; statusId: string }) {
  const statuses = useStatuses(projectId);
  return <>{statuses.data?.find((s) => s.id === statusId)?.name ?? ""}</>;
}

/** "Save as view": the current query and sort under a name, yours or shared. */
function SaveView({
  workspaceId,
  query,
  sort,
}: {
  workspaceId: string;
  query: string;
  sort: TaskSort;
}) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState("");
  const [shared, setShared] = useState(false);
  const [layout, setLayout] = useState<Layout>("list");
  const [groupBy, setGroupBy] = useState<GroupBy | "">("");
  const create = useCreateView(workspaceId);
  const navigate = useNavigate();
  if (!open) {
    return (
      <button type="button" onClick={() => setOpen(true)}>
        Save as view
      </button>
    );
  }
  return (
    <fieldset className="save-view">
      <legend>Save as view</legend>
      <label>
        <span>Name</span>
        <input autoFocus value={name} maxLength={100} onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        <span>Show as</span>
        <select value={layout} onChange={(e) => setLayout(e.target.value as Layout)}>
          <option value="list">List</option>
          <option value="board">Board</option>
          <option value="calendar">Calendar</option>
        </select>
      </label>
      {layout === "list" && (
        <label>
          <span>Group by</span>
          <select value={groupBy} onChange={(e) => setGroupBy(e.target.value as GroupBy | "")}>
            <option value="">No grouping</option>
            {GROUP_BY_OPTIONS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
      )}
      <label className="inline">
        <input type="checkbox" checked={shared} onChange={(e) => setShared(e.target.checked)} />
        Share with the workspace
      </label>
      <button
        type="button"
        className="primary"
        disabled={!name.trim() || create.isPending}
        onClick={() =>
          create.mutate(
            {
              name: name.trim(),
              query,
              sort,
              layout,
              shared,
              group_by: layout === "list" && groupBy ? groupBy : null,
            },
            { onSuccess: (view) => navigate(`/views/${view.id}`) },
          )
        }
      >
        Save view
      </button>
      <button type="button" onClick={() => setOpen(false)}>
        Cancel
      </button>
      {create.isError && <ErrorNote error={create.error} />}
    </fieldset>
  );
}
