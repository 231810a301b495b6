import { useEffect, useId, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { ApiError } from "../../api/client";
import type { Project, Task, TaskSort } from "../../api/types";
import { Empty, ErrorNote, formatDate, PriorityIcon, Spinner } from "../../app/ui";
import { useStatuses } from "../projects/api";
import { useProjects } from "../workspaces/api";
import { useWorkspaceTasks } from "./api";
import "./mytasks.css";

export const MY_TASKS_QUERY = "assignee:me is:open";

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
  const mine = q === MY_TASKS_QUERY;

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
        <label className="query-input">
          <span>Query</span>
          <input
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            spellCheck={false}
            aria-invalid={problem ? true : undefined}
            aria-describedby={problem ? errorId : undefined}
            placeholder="assignee:me is:open label:bug due<2026-12-31 words"
          />
        </label>
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
          <div className="table-scroll">
            <table className="task-table my-tasks">
              <caption className="sr-only">Tasks</caption>
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
                {items.map((task) => (
                  <Row key={task.id} task={task} project={byId.get(task.project_id)} />
                ))}
              </tbody>
            </table>
          </div>
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

function StatusName({ projectId, statusId }: { projectId: string; statusId: string }) {
  const statuses = useStatuses(projectId);
  return <>{statuses.data?.find((s) => s.id === statusId)?.name ?? ""}</>;
}
