import { useEffect } from "react";
import { Link, useParams } from "react-router";
import type { User } from "../../api/types";
import { Spinner } from "../../app/ui";
import { canEdit, useLabels, useProject, useStatuses } from "../projects/api";
import { setCurrentWorkspace } from "../shell/current";
import { useMembers } from "../workspaces/api";
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
  const members = useMembers(project.data?.workspace_id);
  useEffect(() => {
    if (project.data) setCurrentWorkspace(project.data.workspace_id);
  }, [project.data]);
  if (task.isPending) return <Spinner label="Loading task" />;
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
      {task.isError || (project.data && statuses.data) ? (
        <TaskDetail
          taskRef={taskRef}
          statuses={statuses.data ?? []}
          labels={labels.data ?? []}
          members={members.data ?? []}
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
