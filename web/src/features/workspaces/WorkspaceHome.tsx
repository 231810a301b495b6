import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { Link, useLocation, useNavigate, useParams, useSearchParams } from "react-router";
import { ApiError, api, unwrap } from "../../api/client";
import type { WorkspaceRole } from "../../api/types";
import { Avatar, Empty, ErrorNote, Spinner } from "../../app/ui";
import { ImportArchive } from "../archive/ImportArchive";
import { setCurrentWorkspace, useCurrentWorkspace } from "../shell/current";
import { Onboarding } from "../shell/Onboarding";
import { toast } from "../shell/toasts";
import { messageOf } from "../tasks/api";
import { useMembers, useProjects, useWorkspaces } from "./api";
import { InviteForm, MyInvitations, PendingInvitations } from "./Invitations";

export function Home() {
  const workspaces = useWorkspaces();
  const current = useCurrentWorkspace();
  const [params] = useSearchParams();
  if (workspaces.isPending) return <Spinner />;
  if (workspaces.isError)
    return <ErrorNote error={workspaces.error} retry={() => void workspaces.refetch()} />;
  const list = workspaces.data;
  if (list.length === 0 || params.get("new") === "workspace")
    return <CreateWorkspace first={list.length === 0} />;
  const target = list.find((w) => w.id === current) ?? list[0];
  return <GoOn to={`/w/${target?.id}`} />;
}

/**
 * Home's redirect to the current workspace, unless the user has gone elsewhere meanwhile. A
 * click on a sidebar link while the workspace list was loading moves the URL at once but
 * renders the new page in a transition; `<Navigate>` would then fire from this stale page
 * and take the user away from what they clicked.
 */
function GoOn({ to }: { to: string }) {
  const navigate = useNavigate();
  const { pathname, search } = useLocation();
  useEffect(() => {
    if (window.location.pathname === pathname && window.location.search === search) {
      navigate(to, { replace: true });
    }
  }, [navigate, to, pathname, search]);
  return <Spinner />;
}

function CreateWorkspace({ first }: { first: boolean }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const create = useMutation({
    mutationFn: (name: string) => unwrap(api.POST("/api/v1/workspaces", { body: { name } })),
    onSuccess: (ws) => {
      void qc.invalidateQueries({ queryKey: ["workspaces"] });
      setCurrentWorkspace(ws.id);
      navigate(`/w/${ws.id}`);
    },
  });
  return (
    <main className="page narrow">
      <h1>{first ? "Welcome to Tasklane" : "New workspace"}</h1>
      <MyInvitations />
      <p className="muted">
        {first
          ? "Start with a workspace for your team. You can invite people and add projects next."
          : "A workspace holds projects and members."}
      </p>
      <form
        className="stack"
        onSubmit={(e: FormEvent<HTMLFormElement>) => {
          e.preventDefault();
          const name = String(new FormData(e.currentTarget).get("name") ?? "").trim();
          if (name) create.mutate(name);
        }}
      >
        <label>
          Workspace name
          <input name="name" required maxLength={100} placeholder="Acme" autoFocus />
        </label>
        {create.isError && (
          <p className="form-error" role="alert">
            {messageOf(create.error, "The workspace was not created.")}
          </p>
        )}
        <button className="primary" type="submit" disabled={create.isPending}>
          Create workspace
        </button>
      </form>
      <ImportArchive />
      {first && <Onboarding />}
    </main>
  );
}

const ROLES: WorkspaceRole[] = ["owner", "admin", "member", "guest"];

export function WorkspaceHome() {
  const { workspaceId = "" } = useParams();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const workspaces = useWorkspaces();
  const workspace = workspaces.data?.find((w) => w.id === workspaceId);
  const projects = useProjects(workspaceId);
  const members = useMembers(workspaceId);
  const [showArchived, setShowArchived] = useState(false);
  useEffect(() => {
    if (workspace) setCurrentWorkspace(workspace.id);
  }, [workspace]);

  const createProject = useMutation({
    mutationFn: (body: { key: string; name: string }) =>
      unwrap(
        api.POST("/api/v1/workspaces/{workspace_id}/projects", {
          params: { path: { workspace_id: workspaceId } },
          body,
        }),
      ),
    onSuccess: (p) => {
      void qc.invalidateQueries({ queryKey: ["projects", workspaceId] });
      navigate(`/p/${p.id}/board`);
    },
  });
  const changeRole = useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: WorkspaceRole }) =>
      unwrap(
        api.PATCH("/api/v1/workspaces/{workspace_id}/members/{user_id}", {
          params: { path: { workspace_id: workspaceId, user_id: userId } },
          body: { role },
        }),
      ),
    onSettled: () => void qc.invalidateQueries({ queryKey: ["members", workspaceId] }),
    onError: (e) => toast.error(messageOf(e, "The role was not changed.")),
  });

  if (workspaces.isPending) return <Spinner />;
  if (!workspace) {
    return (
      <main className="page">
        <Empty title="This workspace does not exist, or you are not a member.">
          <Link to="/">Go to your workspaces</Link>
        </Empty>
      </main>
    );
  }
  if (projects.error instanceof ApiError && projects.error.code === "mfa_required") {
    // The workspace requires two-factor sign-in and this account has it off: say what to do.
    return (
      <main className="page">
        <h1>{workspace.name}</h1>
        <ErrorNote error={projects.error} />
      </main>
    );
  }
  const isAdmin = workspace.role === "owner" || workspace.role === "admin";
  const canCreate = workspace.role !== "guest";
  const visible = (projects.data ?? []).filter((p) => showArchived || !p.archived);
  return (
    <main className="page">
      <div className="section-head">
        <h1>{workspace.name}</h1>
        <Link to={`/w/${workspace.id}/settings`}>Workspace settings</Link>
      </div>
      <MyInvitations />
      <section aria-labelledby="projects-title">
        <div className="section-head">
          <h2 id="projects-title">Projects</h2>
          <label className="inline small">
            <input
              type="checkbox"
              checked={showArchived}
              onChange={(e) => setShowArchived(e.target.checked)}
            />{" "}
            Show archived
          </label>
        </div>
        {projects.isPending ? (
          <Spinner />
        ) : projects.isError ? (
          <ErrorNote error={projects.error} retry={() => void projects.refetch()} />
        ) : projects.data?.length === 0 && canCreate ? (
          <Onboarding workspaceId={workspace.id} canInvite={isAdmin} membersHref="#members-title" />
        ) : visible.length === 0 ? (
          <Empty title="No projects yet.">
            {canCreate
              ? "Create the first one below: give it a short key like ENG and a name."
              : "Ask an admin to add you to a project."}
          </Empty>
        ) : (
          <ul className="project-grid">
            {visible.map((p) => (
              <li key={p.id}>
                <Link to={`/p/${p.id}/board`} className="project-card">
                  <span className="project-key">{p.key}</span>
                  <strong>{p.name}</strong>
                  {p.description && <span className="muted small">{p.description}</span>}
                  {p.archived && <span className="badge">Archived</span>}
                </Link>
              </li>
            ))}
          </ul>
        )}
        {canCreate && (
          <form
            className="inline-form create-project"
            aria-label="Create a project"
            onSubmit={(e) => {
              e.preventDefault();
              const form = new FormData(e.currentTarget);
              createProject.mutate({
                key: String(form.get("key") ?? "").trim(),
                name: String(form.get("name") ?? "").trim(),
              });
            }}
          >
            <label>
              Key
              <input
                name="key"
                required
                minLength={2}
                maxLength={10}
                pattern="[A-Za-z][A-Za-z0-9]+"
                placeholder="ENG"
                className="key-input"
              />
            </label>
            <label>
              Project name
              <input name="name" required maxLength={100} placeholder="Engineering" />
            </label>
            <button type="submit" className="primary" disabled={createProject.isPending}>
              Create project
            </button>
            {createProject.isError && (
              <p className="form-error" role="alert">
                {messageOf(createProject.error, "The project was not created.")}
              </p>
            )}
          </form>
        )}
      </section>
      <section aria-labelledby="members-title">
        <h2 id="members-title">Members</h2>
        <ul className="member-list">
          {members.data?.map((m) => (
            <li key={m.user_id}>
              <Avatar id={m.user_id} name={m.name} />
              <span>
                <strong>{m.name}</strong> <span className="muted small">{m.email}</span>
              </span>
              <span className="spacer" />
              {isAdmin ? (
                <select
                  aria-label={`Role of ${m.name}`}
                  value={m.role}
                  onChange={(e) =>
                    changeRole.mutate({ userId: m.user_id, role: e.target.value as WorkspaceRole })
                  }
                >
                  {ROLES.map((r) => (
                    <option key={r} value={r}>
                      {r}
                    </option>
                  ))}
                </select>
              ) : (
                <span className="badge">{m.role}</span>
              )}
            </li>
          ))}
        </ul>
        {isAdmin && <InviteForm workspaceId={workspace.id} myRole={workspace.role} />}
        {isAdmin && <PendingInvitations workspaceId={workspace.id} />}
      </section>
    </main>
  );
}
