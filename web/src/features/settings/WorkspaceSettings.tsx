/** A workspace's settings: its name, its members and their roles, its archives (owners),
 * leaving it, deleting it. */
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { ApiError } from "../../api/client";
import type { Member, Workspace, WorkspaceRole } from "../../api/types";
import { Avatar, ErrorNote, Modal, Spinner } from "../../app/ui";
import { ArchivePanel } from "../archive/ArchivePanel";
import { StoragePanel } from "../attachments/StoragePanel";
import { useAuthConfig, useMe } from "../auth/api";
import { setCurrentWorkspace } from "../shell/current";
import { toast } from "../shell/toasts";
import { useMembers } from "../workspaces/api";
import { PendingInvitations } from "../workspaces/Invitations";
import { NoSuchWorkspace, useRouteWorkspace } from "../workspaces/routeWorkspace";
import {
  useChangeRole,
  useDeleteWorkspace,
  useRemoveMember,
  useRenameWorkspace,
  useSignInRule,
} from "./api";
import "./settings.css";

const ROLES: WorkspaceRole[] = ["owner", "admin", "member", "guest"];

function explain(error: unknown, fallback: string): string {
  if (!(error instanceof ApiError)) return fallback;
  if (error.code === "mfa_not_enabled") {
    return "Turn on two-factor sign-in for your own account first (Account settings).";
  }
  if (error.code === "last_owner") {
    return "A workspace needs at least one owner: make someone else an owner first.";
  }
  return error.userMessage;
}

export function WorkspaceSettings() {
  const { workspace, workspaces } = useRouteWorkspace();

  if (workspaces.isPending) return <Spinner />;
  if (workspaces.isError) return <ErrorNote error={workspaces.error} />;
  if (!workspace) return <NoSuchWorkspace />;
  const isAdmin = workspace.role === "owner" || workspace.role === "admin";
  return (
    <main className="page settings-page">
      <p className="muted small">
        <Link to={`/w/${workspace.id}`}>{workspace.name}</Link> / Settings
      </p>
      <h1>Workspace settings</h1>
      <Rename workspace={workspace} canRename={isAdmin} />
      {workspace.role !== "guest" && <Members workspace={workspace} isAdmin={isAdmin} />}
      {isAdmin && <PendingInvitations workspaceId={workspace.id} />}
      {isAdmin && <Security workspace={workspace} />}
      {isAdmin && <StoragePanel workspaceId={workspace.id} />}
      {isAdmin && (
        <p>
          <Link to={`/w/${workspace.id}/settings/webhooks`}>Webhooks</Link>
          <span className="muted">
            {" "}
            — send this workspace's events to other systems as they happen
          </span>
        </p>
      )}
      {isAdmin && (
        <p>
          <Link to={`/w/${workspace.id}/audit`}>Audit log</Link>
          <span className="muted"> — who signed in and what changed, with export</span>
        </p>
      )}
      {workspace.role === "owner" && <ArchivePanel workspace={workspace} />}
      <Leave workspace={workspace} />
      {workspace.role === "owner" && <DeleteWorkspace workspace={workspace} />}
    </main>
  );
}

function Rename({ workspace, canRename }: { workspace: Workspace; canRename: boolean }) {
  const rename = useRenameWorkspace(workspace.id);
  const [name, setName] = useState(workspace.name);
  const [saved, setSaved] = useState(false);
  return (
    <section aria-labelledby="ws-general-title" className="settings-card">
      <h2 id="ws-general-title">General</h2>
      <form
        className="settings-form"
        onSubmit={(e) => {
          e.preventDefault();
          setSaved(false);
          rename.mutate(name.trim(), { onSuccess: () => setSaved(true) });
        }}
      >
        <label>
          Workspace name
          <input
            name="name"
            required
            maxLength={100}
            value={name}
            readOnly={!canRename}
            onChange={(e) => {
              setName(e.target.value);
              setSaved(false);
            }}
          />
        </label>
        {canRename ? (
          <div className="settings-actions">
            <button
              type="submit"
              className="primary"
              disabled={rename.isPending || name.trim() === workspace.name}
            >
              Rename
            </button>
            {saved && (
              <span role="status" className="saved">
                Renamed.
              </span>
            )}
          </div>
        ) : (
          <p className="muted small">Only admins and owners rename a workspace.</p>
        )}
        {rename.isError && (
          <p className="form-error" role="alert">
            {explain(rename.error, "The workspace was not renamed.")}
          </p>
        )}
      </form>
    </section>
  );
}

function Security({ workspace }: { workspace: Workspace }) {
  const rule = useSignInRule(workspace.id);
  const sso = useAuthConfig().data?.sso ?? null;
  return (
    <section aria-labelledby="ws-security-title" className="settings-card">
      <h2 id="ws-security-title">Security</h2>
      <label className="inline">
        <input
          type="checkbox"
          checked={workspace.require_mfa}
          disabled={rule.isPending}
          onChange={(e) =>
            rule.mutate(
              { require_mfa: e.target.checked },
              {
                onSuccess: (w) =>
                  toast.info(
                    w.require_mfa
                      ? "Members now need two-factor sign-in to use this workspace."
                      : "Two-factor sign-in is no longer required.",
                  ),
              },
            )
          }
        />
        Require two-factor sign-in
      </label>
      <p className="muted small">
        Members without it can do nothing in {workspace.name} until they turn it on in their account
        settings.
      </p>
      <label className="inline">
        <input
          type="checkbox"
          checked={workspace.require_sso}
          disabled={rule.isPending || (!sso && !workspace.require_sso)}
          onChange={(e) =>
            rule.mutate(
              { require_sso: e.target.checked },
              {
                onSuccess: (w) =>
                  toast.info(
                    w.require_sso
                      ? "Members now sign in only through single sign-on."
                      : "Single sign-on is no longer required.",
                  ),
              },
            )
          }
        />
        Require single sign-on
      </label>
      <p className="muted small">
        {sso
          ? `Members sign in only with “Sign in with ${sso.display_name}”: their password and passkey sessions end now, and their API tokens go on until revoked.`
          : "Single sign-on is not set up on this installation (TASKLANE_OIDC_ISSUER)."}
      </p>
      {rule.isError && (
        <p className="form-error" role="alert">
          {explain(rule.error, "The setting was not saved.")}
        </p>
      )}
    </section>
  );
}

function Members({ workspace, isAdmin }: { workspace: Workspace; isAdmin: boolean }) {
  const me = useMe().data;
  const members = useMembers(workspace.id);
  const changeRole = useChangeRole(workspace.id);
  const remove = useRemoveMember(workspace.id);
  const [removing, setRemoving] = useState<Member | null>(null);
  // Ownership is handed out and taken away by owners only (the server says so too).
  const assignable = (m: Member) =>
    workspace.role === "owner" ? ROLES : m.role === "owner" ? [] : ROLES.slice(1);

  return (
    <section aria-labelledby="ws-members-title" className="settings-card">
      <h2 id="ws-members-title">Members</h2>
      {members.isPending ? (
        <Spinner />
      ) : members.isError ? (
        <ErrorNote error={members.error} retry={() => void members.refetch()} />
      ) : (
        <ul className="member-list" aria-labelledby="ws-members-title">
          {members.data.map((m) => {
            const self = m.user_id === me?.id;
            const roles = assignable(m);
            return (
              <li key={m.user_id}>
                <Avatar id={m.user_id} name={m.name} color={m.avatar_color} />
                <span className="member-who">
                  <strong>{m.name}</strong>
                  {self && <span className="muted small"> (you)</span>}{" "}
                  {m.handle && <span className="muted small">@{m.handle} · </span>}
                  <span className="muted small">{m.email}</span>
                </span>
                <span className="spacer" />
                {isAdmin && !self && roles.length > 0 ? (
                  <>
                    <select
                      aria-label={`Role of ${m.name}`}
                      value={m.role}
                      onChange={(e) =>
                        changeRole.mutate(
                          { userId: m.user_id, role: e.target.value as WorkspaceRole },
                          {
                            onError: (err) =>
                              toast.error(explain(err, "The role was not changed.")),
                          },
                        )
                      }
                    >
                      {roles.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </select>
                    <button
                      type="button"
                      className="danger small"
                      aria-label={`Remove ${m.name}`}
                      onClick={() => setRemoving(m)}
                    >
                      Remove
                    </button>
                  </>
                ) : (
                  <span className="badge">{m.role}</span>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <Modal open={removing !== null} onClose={() => setRemoving(null)} title="Remove member">
        {removing && (
          <div className="confirm">
            <h2>Remove {removing.name}?</h2>
            <p>
              They lose access to {workspace.name} and its projects and are unassigned from its
              tasks. Their tasks and comments stay.
            </p>
            <div className="settings-actions">
              <button type="button" onClick={() => setRemoving(null)}>
                Cancel
              </button>
              <button
                type="button"
                className="primary danger-fill"
                disabled={remove.isPending}
                onClick={() =>
                  remove.mutate(removing.user_id, {
                    onSuccess: () => {
                      toast.info(`${removing.name} was removed from ${workspace.name}.`);
                      setRemoving(null);
                    },
                    onError: (err) => {
                      toast.error(explain(err, "The member was not removed."));
                      setRemoving(null);
                    },
                  })
                }
              >
                Remove
              </button>
            </div>
          </div>
        )}
      </Modal>
    </section>
  );
}

function Leave({ workspace }: { workspace: Workspace }) {
  const me = useMe().data;
  const qc = useQueryClient();
  const navigate = useNavigate();
  const remove = useRemoveMember(workspace.id);
  const [asking, setAsking] = useState(false);
  if (!me) return null;
  return (
    <section aria-labelledby="ws-leave-title" className="settings-card">
      <h2 id="ws-leave-title">Leave workspace</h2>
      <p className="muted">
        You lose access to {workspace.name} and its projects. An admin can add you again.
      </p>
      <button type="button" className="danger" onClick={() => setAsking(true)}>
        Leave {workspace.name}
      </button>
      {remove.isError && (
        <p className="form-error" role="alert">
          {explain(remove.error, "You did not leave the workspace.")}
        </p>
      )}
      <Modal open={asking} onClose={() => setAsking(false)} title="Leave workspace">
        {asking && (
          <div className="confirm">
            <h2>Leave {workspace.name}?</h2>
            <div className="settings-actions">
              <button type="button" onClick={() => setAsking(false)}>
                Stay
              </button>
              <button
                type="button"
                className="primary danger-fill"
                disabled={remove.isPending}
                onClick={() =>
                  remove.mutate(me.id, {
                    onSuccess: () => {
                      setCurrentWorkspace("");
                      void qc.invalidateQueries({ queryKey: ["workspaces"] });
                      toast.info(`You left ${workspace.name}.`);
                      navigate("/", { replace: true });
                    },
                    onSettled: () => setAsking(false),
                  })
                }
              >
                Leave
              </button>
            </div>
          </div>
        )}
      </Modal>
    </section>
  );
}

function DeleteWorkspace({ workspace }: { workspace: Workspace }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const del = useDeleteWorkspace(workspace.id);
  const [typed, setTyped] = useState("");
  const matches = typed === workspace.name;
  return (
    <section aria-labelledby="ws-delete-title" className="settings-card danger-zone">
      <h2 id="ws-delete-title">Delete workspace</h2>
      <p>
        Deletes {workspace.name} with all its projects, tasks and comments, for everyone. This
        cannot be undone.
      </p>
      <form
        className="settings-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!matches) return;
          del.mutate(undefined, {
            onSuccess: () => {
              setCurrentWorkspace("");
              qc.removeQueries({ queryKey: ["projects", workspace.id] });
              qc.removeQueries({ queryKey: ["members", workspace.id] });
              void qc.invalidateQueries({ queryKey: ["workspaces"] });
              toast.info(`${workspace.name} was deleted.`);
              navigate("/", { replace: true });
            },
          });
        }}
      >
        <label>
          <span>
            Type <strong className="confirm-name">{workspace.name}</strong> to confirm
          </span>
          <input
            name="confirm"
            autoComplete="off"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
          />
        </label>
        <div className="settings-actions">
          <button
            type="submit"
            className="primary danger-fill"
            disabled={!matches || del.isPending}
          >
            Delete this workspace
          </button>
        </div>
        {del.isError && (
          <p className="form-error" role="alert">
            {explain(del.error, "The workspace was not deleted.")}
          </p>
        )}
      </form>
    </section>
  );
}
