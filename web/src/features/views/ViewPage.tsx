import { useQueries } from "@tanstack/react-query";
import { useId, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import type { Project, Status, Task } from "../../api/types";
import { Empty, ErrorNote, formatDate, Spinner } from "../../app/ui";
import { peopleQuery, statusesQuery, useStatuses } from "../projects/api";
import { QueryInput } from "../query/QueryInput";
import { useWorkspaceVocabulary } from "../query/vocabulary";
import { StatusName, TaskTable } from "../tasks/MyTasksPage";
import { useMembers, useProjects } from "../workspaces/api";
import {
  useDeleteView,
  useUpdateView,
  useView,
  useViewTasks,
  type View,
  type ViewUpdate,
} from "./api";
import { GROUP_BY_OPTIONS, type GroupBy, type GroupContext, groupTasks } from "./groups";
import "./views.css";

const CATEGORIES = [
  ["backlog", "Backlog"],
  ["unstarted", "To do"],
  ["started", "In progress"],
  ["done", "Done"],
  ["cancelled", "Cancelled"],
] as const;

/** A saved view run: its tasks as a list (in groups when it has a `group_by`), a board
 * (columns by status category) or a calendar (by due date), with the query it runs; its owner
 * (or an admin) edits it. */
export function ViewPage() {
  const { viewId } = useParams();
  const view = useView(viewId);
  const tasks = useViewTasks(viewId, view.data?.updated_at);
  const projects = useProjects(view.data?.workspace_id);
  const byId = new Map((projects.data ?? []).map((p) => [p.id, p]));
  const items = tasks.data?.pages.flatMap((p) => p.items) ?? [];
  if (view.isPending) return <Spinner />;
  if (view.isError) {
    return (
      <main className="page">
        <ErrorNote error={view.error} />
      </main>
    );
  }
  const v = view.data;
  return (
    <main className="page view-page">
      <div className="view-head">
        <h1>{v.name}</h1>
        {v.shared && <span className="view-badge">Shared</span>}
        <span className="spacer" />
        {v.editable && <ViewActions view={v} />}
      </div>
      <p className="view-query">
        <code>{v.query || "every task"}</code>
        {v.project_id && byId.get(v.project_id) && <> in {byId.get(v.project_id)?.name}</>}{" "}
        <Link to={`/w/${v.workspace_id}/tasks?q=${encodeURIComponent(v.query)}&sort=${v.sort}`}>
          Open as a query
        </Link>
      </p>
      {tasks.isPending ? (
        <Spinner />
      ) : tasks.isError ? (
        <ErrorNote error={tasks.error} />
      ) : items.length === 0 ? (
        <Empty title="No task matches">Nothing you can see matches this view’s query.</Empty>
      ) : v.layout === "board" ? (
        <Board tasks={items} projects={byId} />
      ) : v.layout === "calendar" ? (
        <Agenda tasks={items} projects={byId} />
      ) : v.group_by ? (
        <GroupedList view={v} by={v.group_by} tasks={items} projects={byId} />
      ) : (
        <TaskTable tasks={items} projects={byId} caption={v.name} />
      )}
      {tasks.hasNextPage && (
        <button type="button" onClick={() => tasks.fetchNextPage()}>
          More tasks
        </button>
      )}
    </main>
  );
}

function ViewActions({ view }: { view: View }) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(view.name);
  const [query, setQuery] = useState(view.query);
  const [layout, setLayout] = useState(view.layout);
  const [groupBy, setGroupBy] = useState<GroupBy | "">(view.group_by ?? "");
  const [shared, setShared] = useState(view.shared);
  const queryId = useId();
  // The names to suggest are asked for once the query box is first used.
  const [suggesting, setSuggesting] = useState(false);
  const vocabulary = useWorkspaceVocabulary(view.workspace_id, {
    enabled: suggesting,
    projectId: view.project_id,
  });
  const update = useUpdateView(view);
  const remove = useDeleteView(view);
  const navigate = useNavigate();
  if (!editing) {
    return (
      <>
        <button type="button" onClick={() => setEditing(true)}>
          Edit view
        </button>
        <button
          type="button"
          className="danger"
          disabled={remove.isPending}
          onClick={() => {
            if (window.confirm(`Delete the view “${view.name}”?`)) {
              remove.mutate(undefined, {
                onSuccess: () => navigate(`/w/${view.workspace_id}/tasks`),
              });
            }
          }}
        >
          Delete
        </button>
      </>
    );
  }
  return (
    <form
      className="view-edit"
      aria-label="Edit view"
      onSubmit={(e) => {
        e.preventDefault();
        const body: ViewUpdate = { name, query, layout, shared };
        // Only a list groups; another layout keeps what the view had for when it is one again.
        if (layout === "list") body.group_by = groupBy || null;
        update.mutate(body, { onSuccess: () => setEditing(false) });
      }}
    >
      <label>
        <span>Name</span>
        <input value={name} maxLength={100} onChange={(e) => setName(e.target.value)} />
      </label>
      <div className="grow field">
        <label htmlFor={queryId}>Query</label>
        <QueryInput
          id={queryId}
          value={query}
          onChange={setQuery}
          onFocus={() => setSuggesting(true)}
          vocabulary={vocabulary}
        />
      </div>
      <label>
        <span>Show as</span>
        <select value={layout} onChange={(e) => setLayout(e.target.value as View["layout"])}>
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
        Shared
      </label>
      <button type="submit" className="primary" disabled={!name.trim() || update.isPending}>
        Save
      </button>
      <button type="button" onClick={() => setEditing(false)}>
        Cancel
      </button>
      {update.isError && <ErrorNote error={update.error} />}
    </form>
  );
}

/** The list in groups, each under a heading with its count. */
function GroupedList({
  view,
  by,
  tasks,
  projects,
}: {
  view: View;
  by: GroupBy;
  tasks: Task[];
  projects: Map<string, Project>;
}) {
  const ctx = useGroupContext(view.workspace_id, by, tasks, projects);
  const groups = groupTasks(tasks, by, ctx);
  const ids = useId();
  return (
    <div className="view-groups">
      {groups.map((group, i) => (
        <section key={group.key} className="view-group" aria-labelledby={`${ids}-${i}`}>
          <div className="view-group-head">
            <h2 id={`${ids}-${i}`}>{group.title}</h2>
            <span className="view-group-count">
              {group.tasks.length} {group.tasks.length === 1 ? "task" : "tasks"}
            </span>
          </div>
          <TaskTable
            tasks={group.tasks}
            projects={projects}
            caption={`${view.name}: ${group.title}`}
          />
        </section>
      ))}
    </div>
  );
}

/** What grouping needs to know beyond the tasks: the statuses of their projects (for status),
 * people's names (for assignee: the workspace's members, or for a guest who may not list them,
 * the projects' people). */
function useGroupContext(
  workspaceId: string,
  by: GroupBy,
  tasks: Task[],
  projects: Map<string, Project>,
): GroupContext {
  const projectIds = [...new Set(tasks.map((t) => t.project_id))];
  const statuses = useQueries({
    queries: projectIds.map((id) => ({ ...statusesQuery(id), enabled: by === "status" })),
  });
  const members = useMembers(by === "assignee" ? workspaceId : undefined);
  const people = useQueries({
    queries: projectIds.map((id) => ({
      ...peopleQuery(id),
      enabled: by === "assignee" && members.isError,
    })),
  });
  const names = [...(members.data ?? []), ...people.flatMap((q) => q.data ?? [])];
  return {
    statuses: new Map<string, Status>(statuses.flatMap((q) => q.data ?? []).map((s) => [s.id, s])),
    people: new Map(names.map((p) => [p.user_id, p.name])),
    projects,
  };
}

/** Columns by status category: statuses differ between projects, their categories do not. */
function Board({ tasks, projects }: { tasks: Task[]; projects: Map<string, Project> }) {
  return (
    <div className="view-board">
      {CATEGORIES.map(([category, title]) => (
        <section key={category} className="view-column" aria-label={title}>
          <h2>{title}</h2>
          <ul>
            {tasks.map((task) => (
              <CategoryCard key={task.id} task={task} category={category} projects={projects} />
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}

function CategoryCard({
  task,
  category,
  projects,
}: {
  task: Task;
  category: string;
  projects: Map<string, Project>;
}) {
  const statuses = useStatuses(task.project_id);
  const status = statuses.data?.find((s) => s.id === task.status_id);
  if (status?.category !== category) return null;
  return (
    <li className="view-card">
      <Link to={`/p/${task.project_id}/board/${task.key}`}>
        <span className="task-key">{task.key}</span> {task.title}
      </Link>
      <span className="muted small">
        {projects.get(task.project_id)?.name} · {status.name}
        {task.due_date ? ` · due ${formatDate(task.due_date)}` : ""}
      </span>
    </li>
  );
}

/** By due date, earliest first; tasks without one last. */
function Agenda({ tasks, projects }: { tasks: Task[]; projects: Map<string, Project> }) {
  const days = new Map<string, Task[]>();
  for (const task of [...tasks].sort((a, b) =>
    (a.due_date ?? "9999").localeCompare(b.due_date ?? "9999"),
  )) {
    const day = task.due_date ?? "";
    days.set(day, [...(days.get(day) ?? []), task]);
  }
  return (
    <div className="view-agenda">
      {[...days.entries()].map(([day, list]) => (
        <section key={day || "none"} aria-label={day ? formatDate(day) : "No due date"}>
          <h2>{day ? formatDate(day) : "No due date"}</h2>
          <ul>
            {list.map((task) => (
              <li key={task.id}>
                <Link to={`/p/${task.project_id}/board/${task.key}`}>
                  <span className="task-key">{task.key}</span> {task.title}
                </Link>{" "}
                <span className="muted small">
                  {projects.get(task.project_id)?.name} ·{" "}
                  <StatusName projectId={task.project_id} statusId={task.status_id} />
                </span>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}
