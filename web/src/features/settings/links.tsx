/** The shell's ways into the settings pages: the account (user menu) and a workspace's. */
import { Link } from "react-router";
import type { User, Workspace } from "../../api/types";
import "./links.css";

export function AccountLink({ me }: { me: User }) {
  return (
    <Link to="/account" className="me-name account-link" title="Account settings">
      {me.name}
      <span className="sr-only"> — account settings</span>
    </Link>
  );
}

export function WorkspaceSettingsLink({ workspace }: { workspace: Workspace }) {
  return (
    <Link
      to={`/w/${workspace.id}/settings`}
      className="workspace-settings-link"
      title="Workspace settings"
    >
      <span aria-hidden="true">⚙</span>
      <span className="sr-only">Settings of {workspace.name}</span>
    </Link>
  );
}
