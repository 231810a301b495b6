/** The workspace a page's address names (`/w/:workspaceId/...`): found among the person's
 * workspaces and made the current one; and what such a page shows when there is none. */
import { useEffect } from "react";
import { Link, useParams } from "react-router";
import { Empty } from "../../app/ui";
import { setCurrentWorkspace } from "../shell/current";
import { useWorkspaces } from "./api";

export function useRouteWorkspace() {
  const { workspaceId = "" } = useParams();
  const workspaces = useWorkspaces();
  const workspace = workspaces.data?.find((w) => w.id === workspaceId);
  useEffect(() => {
    if (workspace) setCurrentWorkspace(workspace.id);
  }, [workspace]);
  return { workspaceId, workspace, workspaces };
}

export function NoSuchWorkspace() {
  return (
    <main className="page">
      <Empty title="This workspace does not exist, or you are not a member.">
        <Link to="/">Go to your workspaces</Link>
      </Empty>
    </main>
  );
}
