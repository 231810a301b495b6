import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from "react";
import { NavLink, useNavigate, useParams, useSearchParams } from "react-router";
import { ApiError } from "../../api/client";
import type { Task, User } from "../../api/types";
import { AvatarStack, Empty, ErrorNote, Spinner } from "../../app/ui";
import { useLiveScope } from "../realtime/useLive";
import { CREATE_TASK_EVENT, setCurrentWorkspace } from "../shell/current";
import { useKeys } from "../shell/keys";
import { Board } from "../tasks/Board";
import { CreateTaskDialog } from "../tasks/CreateTaskDialog";
import { todayIso } from "../tasks/filters";
import type { CardContext } from "../tasks/TaskCard";
import { useMembers } from "../workspaces/api";
import { canEdit, useLabels, usePeople, useProject, useStatuses } from "./api";

// Only the board is on the first load's path; the other views load when opened.
const ListView = lazy(() => import("../tasks/ListView").then((m) => ({ default: m.ListView })));
const TaskDetail = lazy(() =>
  import("../tasks/TaskDetail").then((m) => ({ default: m.TaskDetail })),
);
const ProjectSettings = lazy(() =>
  import("./ProjectSettings").then((m) => ({ default: m.ProjectSettings })),
);
// The charts (and their library) load only with the Insights view.
const ProjectInsights = lazy(() =>
  import("../insights/InsightsPage").then((m) => ({ default: m.ProjectInsights })),
);
const Trash = lazy(() => import("../tasks/Trash").then((m) => ({ default: m.Trash })));
const ImportExport = lazy(() =>
  import("../imports/ImportExport").then((m) => ({ default: m.ImportExport })),
);

/** Views that show no tasks: a task opened from them opens beside the board. */
const TASKLESS_VIEWS = ["settings", "trash", "import"];

export function ProjectPage({ me }: { me: User }) {
  const { projectId = "", view = "board", taskRef } = useParams();
  const navigate = useNavigate();
  const [search] = useSearchParams();
  const project = useProject(projectId);
  const statuses = useStatuses(projectId);
  const labels = useLabels(projectId);
  const people = usePeople(projectId);
  // The workspace's member list (with roles) is for project settings only; guests may not read it.
  const members = useMembers(view === "settings" ? project.data?.workspace_id : undefined);
  const viewers = useLiveScope(projectId ? { project_id: projectId } : null);
  const [creating, setCreating] = useState(false);
  const [selectedId, setSelectedId] = useState<string | null>(null);

  useEffect(() => {
    if (project.data) setCurrentWorkspace(project.data.workspace_id);
  }, [project.data]);
  useEffect(() => {
    const open = () => setCreating(true);
    window.addEventListener(CREATE_TASK_EVENT, open);
    return () => window.removeEventListener(CREATE_TASK_EVENT, open);
  }, []);

  const base = `/p/${projectId}/${view}`;
  const query = search.toString() ? `?${search.toString()}` : "";
  const openTask = useCallback(
    (task: Task) =>
      navigate(
        `/p/${projectId}/${TASKLESS_VIEWS.includes(view) ? "board" : view}/${task.key}${query}`,
      ),
    [navigate, projectId, view, query],
  );
  const closeTask = useCallback(() => {
    navigate(`${base}${query}`);
    if (selectedId)
      requestAnimationFrame(() => document.getElementById(`card-${selectedId}`)?.focus());
  }, [navigate, base, query, selectedId]);
  const editable = canEdit(project.data?.role);

  useKeys({
    c: (e) => {
      if (!editable) return;
      e.preventDefault();
      setCreating(true);
    },
    esc: () => {
      if (taskRef) closeTask();
    },
  });

  const peopleMap = useMemo(
    () => new Map((people.data ?? []).map((m) => [m.user_id, m.name])),
    [people.data],
  );
  const labelMap = useMemo(() => new Map((labels.data ?? []).map((l) => [l.id, l])), [labels.data]);
  const ctx: CardContext = useMemo(
    () => ({
      labels: labelMap,
      people: peopleMap,
      today: todayIso(),
      open: openTask,
      select: (t: Task) => setSelectedId(t.id),
    }),
    [labelMap, peopleMap, openTask],
  );

  if (project.isPending || statuses.isPending) return <Spinner label="Loading project" />;
  if (project.isError) {
    if (project.error instanceof ApiError && project.error.status === 404) {
      return (
        <main className="page">
          <Empty title="This project does not exist, or you cannot see it." />
        </main>
      );
    }
    return <ErrorNote error={project.error} retry={() => void project.refetch()} />;
  }
  if (statuses.isError)
    return <ErrorNote error={statuses.error} retry={() => void statuses.refetch()} />;
  const p = project.data;
  const others = viewers.filter((v) => v.user_id !== me.id);

  return (
    <main className={`project-page${taskRef ? " with-panel" : ""}`}>
      <header className="project-head">
        <h1>
          <span className="project-key">{p.key}</span> {p.name}
        </h1>
        <nav className="tabs" aria-label="Views">
          {/* The filters (and the board's grouping) go along from one view to the other. */}
          <NavLink to={`/p/${p.id}/board${query}`}>Board</NavLink>
          <NavLink to={`/p/${p.id}/list${query}`}>List</NavLink>
          <NavLink to={`/p/${p.id}/insights${query}`}>Insights</NavLink>
          <NavLink to={`/p/${p.id}/trash`}>Trash</NavLink>
          <NavLink to={`/p/${p.id}/import`}>Import and export</NavLink>
          <NavLink to={`/p/${p.id}/settings`}>Settings</NavLink>
        </nav>
        <span className="spacer" />
        {others.length > 0 && (
          <span className="presence">
            <span className="sr-only">Also here: {others.map((v) => v.name).join(", ")}</span>
            <AvatarStack people={others.map((v) => ({ id: v.user_id, name: v.name }))} max={4} />
          </span>
        )}
        {editable && view !== "settings" && (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New task <kbd>C</kbd>
          </button>
        )}
      </header>
      {p.archived && (
        <div className="banner paused">
          This project is archived: it is read-only until an admin restores it.
        </div>
      )}
      <div className="project-body">
        <div className="project-view">
          <Suspense fallback={<Spinner />}>
            {view === "settings" ? (
              <ProjectSettings
                project={p}
                statuses={statuses.data}
                labels={labels.data ?? []}
                workspaceMembers={members.data ?? []}
              />
            ) : view === "insights" ? (
              <ProjectInsights project={p} people={people.data ?? []} />
            ) : view === "import" ? (
              <ImportExport project={p} editable={editable} />
            ) : view === "trash" ? (
              <Trash project={p} statuses={statuses.data} editable={editable} />
            ) : view === "list" ? (
              <ListView
                project={p}
                statuses={statuses.data}
                labels={labels.data ?? []}
                members={people.data ?? []}
                editable={editable}
                openTask={openTask}
              />
            ) : (
              <Board
                project={p}
                statuses={statuses.data}
                ctx={ctx}
                editable={editable}
                selectedId={selectedId}
                onSelect={setSelectedId}
              />
            )}
          </Suspense>
        </div>
        {taskRef && (
          <aside className="side-panel" aria-label={`Task ${taskRef}`}>
            <Suspense fallback={<Spinner label="Loading task" />}>
              <TaskDetail
                key={taskRef}
                taskRef={taskRef}
                workspace={p.workspace_id}
                statuses={statuses.data}
                labels={labels.data ?? []}
                members={people.data ?? []}
                me={me.id}
                editable={editable}
                onClose={closeTask}
              />
            </Suspense>
          </aside>
        )}
      </div>
      <CreateTaskDialog
        open={creating}
        onClose={() => setCreating(false)}
        project={p}
        statuses={statuses.data}
        onCreated={(t) => openTask(t)}
      />
    </main>
  );
}
