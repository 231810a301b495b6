import { useQuery } from "@tanstack/react-query";
import { useEffect } from "react";
import { Link, Navigate, useParams } from "react-router";
import { ApiError } from "../../api/client";
import type { User } from "../../api/types";
import { ErrorNote, Spinner } from "../../app/ui";
import { canEdit, useLabels, usePeople, useProject, useStatuses } from "../projects/api";
import { setCurrentWorkspace } from "../shell/current";
import { useWorkspaces } from "../workspaces/api";
import { useTask } from "./api";
import { ambiguousIn, taskLookup, taskPath, useTaskId, useWorkspaceSlug } from "./paths";
import { TaskDetail } from "./TaskDetail";
import "./TaskPage.css";

/** A task on its own page: /acme/t/ENG-42 (the key is resolved in the workspace named). */
export function TaskPage({ me }: { me: User }) {
  const { workspaceSlug = "", taskRef = "" } = useParams();
  const resolved = useTaskId(taskRef, workspaceSlug);
  const task = useTask(resolved.id);
  const projectId = task.data?.project_id;
  const project = useProject(projectId);
  const statuses = useStatuses(projectId);
  const labels = useLabels(projectId);
  const people = usePeople(projectId);
  useEffect(() => {
    if (project.data) setCurrentWorkspace(project.data.workspace_id);
  }, [project.data]);
  if (resolved.error) return <TaskMissing error={resolved.error} retry={resolved.retry} />;
  if (task.isPending) return <Spinner label="Loading task" />;
  // The page answers a failed load itself. (Rendering TaskDetail for it added a second observer
  // that fetched again on mount; that put the query back to pending, which unmounted
  // TaskDetail, whose next mount fetched again: a request loop.)
  if (task.isError) return <TaskMissing error={task.error} retry={() => void task.refetch()} />;
  return (
    <main className="page task-page">
      {project.data && (
        <nav className="crumbs" aria-label="Breadcrumb">
          <Link to={`/p/${project.data.id}/board`}>
            {project.data.key} {project.data.name}
          </Link>{" "}
          / {task.data.key}
        </nav>
      )}
      {project.data && statuses.data ? (
        <TaskDetail
          taskRef={task.data.id}
          statuses={statuses.data ?? []}
          labels={labels.data ?? []}
          members={people.data ?? []}
          me={me.id}
          editable={canEdit(project.data?.role)}
          fullPage
        />
      ) : (
        <Spinner />
      )}
    </main>
  );
}

/** An address from before tasks were named within their workspace, /t/ENG-42: on to the task's
 * workspace address, or, when the key is in more than one of the person's workspaces, a choice
 * between them. */
export function OldTaskPage() {
  const { taskRef = "" } = useParams();
  const lookup = useQuery(taskLookup(taskRef, undefined));
  const project = useProject(lookup.data?.project_id);
  const slug = useWorkspaceSlug(project.data?.workspace_id);
  const workspaces = useWorkspaces();
  if (lookup.isError) {
    const slugs = ambiguousIn(lookup.error);
    if (slugs) return <KeyChooser taskKey={taskRef.toUpperCase()} slugs={slugs} />;
    return <TaskMissing error={lookup.error} retry={() => void lookup.refetch()} />;
  }
  if (project.isError) return <TaskMissing error={project.error} retry={() => undefined} />;
  if (lookup.data && project.data && (slug || workspaces.isFetched)) {
    // A workspace not in the cached list yet: its id names it as well as its slug.
    return <Navigate to={taskPath(slug ?? project.data.workspace_id, lookup.data.key)} replace />;
  }
  return <Spinner label="Loading task" />;
}

function KeyChooser({ taskKey, slugs }: { taskKey: string; slugs: string[] }) {
  const workspaces = useWorkspaces();
  const names = new Map((workspaces.data ?? []).map((w) => [w.slug, w.name]));
  const count = slugs.length === 2 ? "two" : String(slugs.length);
  return (
    <main className="page task-page">
      <h1>Which {taskKey}?</h1>
      <p>
        {taskKey} exists in {count} of your workspaces:{" "}
        {slugs.map((s) => names.get(s) ?? s).join(", ")}.
      </p>
      <ul className="key-chooser">
        {slugs.map((s) => (
          <li key={s}>
            <Link className="button" to={taskPath(s, taskKey)}>
              {taskKey} in {names.get(s) ?? s}
            </Link>
          </li>
        ))}
      </ul>
    </main>
  );
}

function TaskMissing({ error, retry }: { error: Error; retry: () => void }) {
  const status = error instanceof ApiError ? error.status : 0;
  return (
    <main className="page task-page">
      {status === 404 ? (
        <>
          <h1>Task not found</h1>
          <p className="muted">This task does not exist, was deleted, or you cannot see it.</p>
        </>
      ) : (
        <>
          <h1>The task did not load</h1>
          {/* A 4xx answer would be the same again: no retry for it. */}
          <ErrorNote error={error} retry={status >= 400 && status < 500 ? undefined : retry} />
        </>
      )}
      <p>
        <Link to="/">Go to your workspaces</Link>
      </p>
    </main>
  );
}
