import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../api/client";
import type { Label, Member, Project, ProjectRole, Status, StatusCategory } from "../../api/types";
import { Avatar, Empty } from "../../app/ui";
import { toast } from "../shell/toasts";
import { messageOf } from "../tasks/api";
import { useProjectMembers } from "./api";
import { CATEGORY_ORDER, newStatusPosition } from "./statusOrder";

const CATEGORIES = CATEGORY_ORDER;
const PROJECT_ROLES: ProjectRole[] = ["admin", "member", "viewer"];

/** A mutation that refreshes `keys` afterwards and explains a failure. */
function useChange<V>(fn: (v: V) => Promise<unknown>, keys: unknown[][], failure: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSettled: () => {
      for (const key of keys) void qc.invalidateQueries({ queryKey: key });
    },
    onError: (e) => toast.error(messageOf(e, failure)),
  });
}

export function ProjectSettings({
  project,
  statuses,
  labels,
  workspaceMembers,
}: {
  project: Project;
  statuses: Status[];
  labels: Label[];
  workspaceMembers: Member[];
}) {
  const pid = project.id;
  const isAdmin = project.role === "admin";
  const path = { project_id: pid };
  const updateProject = useChange(
    (body: { name?: string; description?: string; archived?: boolean }) =>
      unwrap(api.PATCH("/api/v1/projects/{project_id}", { params: { path }, body })),
    [["project", pid], ["projects"]],
    "The project was not changed.",
  );
  const addStatus = useChange(
    (body: { name: string; category: StatusCategory; position: number }) =>
      unwrap(api.POST("/api/v1/projects/{project_id}/statuses", { params: { path }, body })),
    [["statuses", pid]],
    "The status was not added.",
  );
  const updateStatus = useChange(
    ({
      id,
      ...body
    }: {
      id: string;
      name?: string;
      category?: StatusCategory;
      color?: string;
      position?: number;
    }) =>
      unwrap(
        api.PATCH("/api/v1/projects/{project_id}/statuses/{status_id}", {
          params: { path: { project_id: pid, status_id: id } },
          body,
        }),
      ),
    [
      ["statuses", pid],
      ["tasks", pid],
    ],
    "The status was not changed.",
  );
  const deleteStatus = useChange(
    (id: string) =>
      unwrap(
        api.DELETE("/api/v1/projects/{project_id}/statuses/{status_id}", {
          params: { path: { project_id: pid, status_id: id } },
        }),
      ),
    [
      ["statuses", pid],
      ["tasks", pid],
    ],
    "The status was not removed.",
  );
  const addLabel = useChange(
    (body: { name: string; color: string }) =>
      unwrap(api.POST("/api/v1/projects/{project_id}/labels", { params: { path }, body })),
    [["labels", pid]],
    "The label was not added.",
  );
  const updateLabel = useChange(
    ({ id, ...body }: { id: string; name?: string; color?: string }) =>
      unwrap(
        api.PATCH("/api/v1/projects/{project_id}/labels/{label_id}", {
          params: { path: { project_id: pid, label_id: id } },
          body,
        }),
      ),
    [["labels", pid]],
    "The label was not changed.",
  );
  const deleteLabel = useChange(
    (id: string) =>
      unwrap(
        api.DELETE("/api/v1/projects/{project_id}/labels/{label_id}", {
          params: { path: { project_id: pid, label_id: id } },
        }),
      ),
    [
      ["labels", pid],
      ["tasks", pid],
    ],
    "The label was not removed.",
  );
  const members = useProjectMembers(pid);
  const addMember = useChange(
    (body: { user_id: string; role: ProjectRole }) =>
      unwrap(api.POST("/api/v1/projects/{project_id}/members", { params: { path }, body })),
    [
      ["projectMembers", pid],
      ["people", pid],
    ],
    "The member was not added.",
  );
  const setRole = useChange(
    ({ userId, role }: { userId: string; role: ProjectRole }) =>
      unwrap(
        api.PATCH("/api/v1/projects/{project_id}/members/{user_id}", {
          params: { path: { project_id: pid, user_id: userId } },
          body: { role },
        }),
      ),
    [
      ["projectMembers", pid],
      ["people", pid],
    ],
    "The role was not changed.",
  );
  const removeMember = useChange(
    (userId: string) =>
      unwrap(
        api.DELETE("/api/v1/projects/{project_id}/members/{user_id}", {
          params: { path: { project_id: pid, user_id: userId } },
        }),
      ),
    [
      ["projectMembers", pid],
      ["people", pid],
    ],
    "The member was not removed.",
  );
  const [labelColor, setLabelColor] = useState("#6366f1");
  const explicit = new Set((members.data ?? []).map((m) => m.user_id));

  return (
    <div className="settings">
      {!isAdmin && (
        <p className="note">Only project admins can change these settings. You can look.</p>
      )}
      <section aria-labelledby="general-title">
        <h2 id="general-title">General</h2>
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            const form = new FormData(e.currentTarget);
            updateProject.mutate({
              name: String(form.get("name") ?? "").trim(),
              description: String(form.get("description") ?? ""),
            });
          }}
        >
          <fieldset disabled={!isAdmin} className="stack">
            <label>
              Name
              <input name="name" defaultValue={project.name} required maxLength={100} />
            </label>
            <label>
              Description
              <textarea
                name="description"
                defaultValue={project.description}
                rows={2}
                maxLength={10000}
              />
            </label>
            <div className="row">
              <button type="submit" className="primary">
                Save
              </button>
              <button
                type="button"
                onClick={() => updateProject.mutate({ archived: !project.archived })}
              >
                {project.archived ? "Restore project" : "Archive project"}
              </button>
            </div>
          </fieldset>
        </form>
      </section>

      <section aria-labelledby="statuses-title">
        <h2 id="statuses-title">Workflow</h2>
        <ol className="settings-list">
          {statuses.map((s, i) => (
            <li key={s.id}>
              <ColorAndName
                noun="status"
                item={s}
                disabled={!isAdmin}
                onChange={(patch) => updateStatus.mutate({ id: s.id, ...patch })}
              />
              <select
                aria-label={`Category of ${s.name}`}
                disabled={!isAdmin}
                value={s.category}
                onChange={(e) =>
                  updateStatus.mutate({ id: s.id, category: e.target.value as StatusCategory })
                }
              >
                {CATEGORIES.map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </select>
              <button
                type="button"
                disabled={!isAdmin || i === 0}
                aria-label={`Move ${s.name} earlier`}
                onClick={() => updateStatus.mutate({ id: s.id, position: i - 1 })}
              >
                ↑
              </button>
              <button
                type="button"
                disabled={!isAdmin || i === statuses.length - 1}
                aria-label={`Move ${s.name} later`}
                onClick={() => updateStatus.mutate({ id: s.id, position: i + 1 })}
              >
                ↓
              </button>
              <button
                type="button"
                className="danger"
                disabled={!isAdmin || statuses.length === 1}
                onClick={() => {
                  if (
                    window.confirm(
                      `Remove the status “${s.name}”? Its tasks move to another status of the same kind.`,
                    )
                  )
                    deleteStatus.mutate(s.id);
                }}
              >
                Remove
              </button>
            </li>
          ))}
        </ol>
        {isAdmin && (
          <form
            className="inline-form"
            aria-label="Add a status"
            onSubmit={(e) => {
              e.preventDefault();
              const form = new FormData(e.currentTarget);
              const category = String(form.get("category")) as StatusCategory;
              addStatus.mutate({
                name: String(form.get("name") ?? "").trim(),
                category,
                // Not last (after Cancelled): with the other statuses of its category.
                position: newStatusPosition(statuses, category),
              });
              e.currentTarget.reset();
            }}
          >
            <label>
              New status
              <input name="name" required maxLength={50} placeholder="In review" />
            </label>
            <label>
              Category
              <select name="category" defaultValue="started">
                {CATEGORIES.map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit">Add status</button>
          </form>
        )}
      </section>

      <section aria-labelledby="labels-title">
        <h2 id="labels-title">Labels</h2>
        {labels.length === 0 && (
          <Empty title="No labels yet.">Labels like “bug” or “design” help filter the list.</Empty>
        )}
        <ul className="settings-list">
          {labels.map((l) => (
            <li key={l.id}>
              <ColorAndName
                noun="label"
                item={l}
                disabled={!isAdmin}
                onChange={(patch) => updateLabel.mutate({ id: l.id, ...patch })}
              />
              <button
                type="button"
                className="danger"
                disabled={!isAdmin}
                onClick={() => deleteLabel.mutate(l.id)}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
        {isAdmin && (
          <form
            className="inline-form"
            aria-label="Add a label"
            onSubmit={(e) => {
              e.preventDefault();
              const name = String(new FormData(e.currentTarget).get("name") ?? "").trim();
              if (name) addLabel.mutate({ name, color: labelColor });
              e.currentTarget.reset();
            }}
          >
            <label>
              New label
              <input name="name" required maxLength={50} placeholder="bug" />
            </label>
            <label>
              Color
              <input
                type="color"
                value={labelColor}
                onChange={(e) => setLabelColor(e.target.value)}
              />
            </label>
            <button type="submit">Add label</button>
          </form>
        )}
      </section>

      <section aria-labelledby="pmembers-title">
        <h2 id="pmembers-title">Members and roles</h2>
        <p className="muted small">
          Workspace members without a role here are project members; workspace owners and admins
          administer every project.
        </p>
        <ul className="member-list">
          {members.data?.map((m) => (
            <li key={m.user_id}>
              <Avatar id={m.user_id} name={m.name} />
              <span>
                <strong>{m.name}</strong>{" "}
                <span className="muted small">
                  {m.email ? `${m.email} · ` : ""}workspace {m.workspace_role}
                </span>
              </span>
              <span className="spacer" />
              <select
                aria-label={`Project role of ${m.name}`}
                disabled={!isAdmin}
                value={m.role}
                onChange={(e) =>
                  setRole.mutate({ userId: m.user_id, role: e.target.value as ProjectRole })
                }
              >
                {PROJECT_ROLES.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </select>
              <button
                type="button"
                className="danger"
                disabled={!isAdmin}
                onClick={() => removeMember.mutate(m.user_id)}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
        {isAdmin && (
          <form
            className="inline-form"
            aria-label="Give a role in this project"
            onSubmit={(e) => {
              e.preventDefault();
              const form = new FormData(e.currentTarget);
              const userId = String(form.get("user") ?? "");
              if (userId)
                addMember.mutate({
                  user_id: userId,
                  role: String(form.get("role")) as ProjectRole,
                });
            }}
          >
            <label>
              Person
              <select name="user" defaultValue="">
                <option value="">Choose a workspace member…</option>
                {workspaceMembers
                  .filter((m) => !explicit.has(m.user_id))
                  .map((m) => (
                    <option key={m.user_id} value={m.user_id}>
                      {m.name}
                    </option>
                  ))}
              </select>
            </label>
            <label>
              Role
              <select name="role" defaultValue="member">
                {PROJECT_ROLES.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit">Add</button>
          </form>
        )}
      </section>
    </div>
  );
}

/** The colour and name of a status or label, each saved when it loses focus (if changed). */
function ColorAndName({
  noun,
  item,
  disabled,
  onChange,
}: {
  noun: "status" | "label";
  item: { name: string; color: string };
  disabled: boolean;
  onChange: (patch: { name?: string; color?: string }) => void;
}) {
  return (
    <>
      <input
        type="color"
        aria-label={`Color of ${noun} ${item.name}`}
        disabled={disabled}
        defaultValue={item.color}
        onBlur={(e) => e.target.value !== item.color && onChange({ color: e.target.value })}
      />
      <input
        aria-label={`Name of ${noun} ${item.name}`}
        disabled={disabled}
        defaultValue={item.name}
        maxLength={50}
        onBlur={(e) => {
          const name = e.target.value.trim();
          if (name && name !== item.name) onChange({ name });
        }}
      />
    </>
  );
}
