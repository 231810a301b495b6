import { useEffect } from "react";
import { Link, useParams } from "react-router";
import { ApiError } from "../../api/client";
import type { User } from "../../api/types";
import { ErrorNote, Spinner } from "../../app/ui";
import { canEdit, useLabels, usePeople, useProject, useStatuses } from "../projects/api";
import { setCurrentWorkspace } from "../shell/current";
import { useTask } from "./api";
import { TaskDetail } from "./TaskDetail";

/** A task on its own page: /t/ENG-42. */
export function TaskPage({ me }: { me: User }) {
  const { taskRef = "" } = useParams();
  const task = useTask(taskRef);
  const projectId = task.data?.project_id;
  const project = useProject(projectId);
  const statuses = useStatuses(projectId);
  const labels = useLabels(projectId);
  const people = usePeople(projectId);
  useEffect(() => {
    if (project.data) setCurrentWorkspace(project.data.workspace_id);
  }, [project.data]);
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
          / {taskRef}
        </nav>
      )}
      {project.data && statuses.data ? (
        <TaskDetail
          taskRef={taskRef}
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
          <h1>{status === 409 ? "More than one task has this key" : "The task did not load"}</h1>
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
