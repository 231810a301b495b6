/** Account settings: what you are told and how (in the app, by e-mail, in a daily digest), and
 * projects you mute. One form, saved with one PUT of what changed. */
import { useQueries } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { allPages, api, unwrap } from "../../api/client";
import type { Project } from "../../api/types";
import { ErrorNote, Spinner } from "../../app/ui";
import { useMe } from "../auth/api";
import { browserTimeZone, timeZones } from "../settings/api";
import { useWorkspaces } from "../workspaces/api";
import {
  type Mute,
  type NotificationSettings as Saved,
  useNotificationSettings,
  useSaveNotificationSettings,
} from "./api";
import {
  channelsOf,
  EMAIL,
  hourLabel,
  IN_APP,
  KINDS,
  MUTES,
  type SettingsDraft,
  settingsChanges,
} from "./settings";
import "./notifications.css";

const HOURS = Array.from({ length: 24 }, (_, h) => h);

export function NotificationSettings() {
  const ids = useId();
  const query = useNotificationSettings();
  return (
    <section
      aria-labelledby={`${ids}-title`}
      className="settings-card notification-settings"
      id="notifications"
    >
      <h2 id={`${ids}-title`}>Notifications</h2>
      {query.isPending ? (
        <Spinner />
      ) : query.isError ? (
        <ErrorNote error={query.error} retry={() => void query.refetch()} />
      ) : (
        <SettingsForm saved={query.data} />
      )}
    </section>
  );
}

function SettingsForm({ saved: server }: { saved: Saved }) {
  const ids = useId();
  const me = useMe().data;
  const save = useSaveNotificationSettings();
  const projects = useVisibleProjects();
  // The time zone is the account's: the Preferences section above may have changed it.
  const saved: SettingsDraft = { ...server, time_zone: me ? me.time_zone : server.time_zone };
  const [draft, setDraft] = useState<SettingsDraft | null>(null);
  const [status, setStatus] = useState("");
  const shown = draft ?? saved;
  const changes = settingsChanges(saved, shown);

  const edit = (change: Partial<SettingsDraft>) => {
    setStatus("");
    save.reset();
    setDraft({ ...shown, ...change });
  };

  function submit(e: FormEvent) {
    e.preventDefault();
    if (!changes) return;
    save.mutate(changes, {
      onSuccess: () => {
        setDraft(null);
        setStatus("Notification settings saved.");
      },
    });
  }

  const own = browserTimeZone();
  const zones = timeZones(own, shown.time_zone, saved.time_zone);
  const mutedIds = new Set(shown.projects.map((m) => m.project_id));
  const byId = new Map(projects.map((p) => [p.project.id, p]));

  return (
    <form className="notification-form" onSubmit={submit}>
      {!server.email_enabled && (
        <p className="note" id={`${ids}-no-mail`}>
          This installation sends no e-mail (no mail server is set up). Your e-mail choices are kept
          and apply once it does.
        </p>
      )}
      <div className="table-scroll">
        <table className="notification-matrix">
          <caption className="sr-only">What you are told, and how</caption>
          <thead>
            <tr>
              <th scope="col">Notification</th>
              <th scope="col">In the app</th>
              <th scope="col">E-mail</th>
            </tr>
          </thead>
          <tbody>
            {KINDS.map(({ kind, label, description }) => {
              const channels = channelsOf(shown, kind);
              return (
                <tr key={kind}>
                  <th scope="row">
                    <span className="kind-label">{label}</span>
                    <span className="muted small">{description}</span>
                  </th>
                  <td>
                    <select
                      aria-label={`${label}: in the app`}
                      value={channels.in_app}
                      onChange={(e) =>
                        edit({
                          types: {
                            ...shown.types,
                            [kind]: {
                              ...channels,
                              in_app: e.target.value as typeof channels.in_app,
                            },
                          },
                        })
                      }
                    >
                      {IN_APP.map(([value, text]) => (
                        <option key={value} value={value}>
                          {text}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <select
                      aria-label={`${label}: e-mail`}
                      aria-describedby={server.email_enabled ? undefined : `${ids}-no-mail`}
                      value={channels.email}
                      onChange={(e) =>
                        edit({
                          types: {
                            ...shown.types,
                            [kind]: { ...channels, email: e.target.value as typeof channels.email },
                          },
                        })
                      }
                    >
                      {EMAIL.map(([value, text]) => (
                        <option key={value} value={value}>
                          {text}
                        </option>
                      ))}
                    </select>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>

      <div className="digest-fields">
        <label>
          Daily digest at
          <select
            value={shown.digest_hour}
            onChange={(e) => edit({ digest_hour: Number(e.target.value) })}
          >
            {HOURS.map((h) => (
              <option key={h} value={h}>
                {hourLabel(h)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Time zone
          <select
            value={shown.time_zone ?? ""}
            aria-describedby={`${ids}-zone-hint`}
            onChange={(e) => edit({ time_zone: e.target.value || null })}
          >
            <option value="">Not set (digests at UTC hours)</option>
            {zones.map((z) => (
              <option key={z} value={z}>
                {z.replace(/_/g, " ")}
              </option>
            ))}
          </select>
          <span id={`${ids}-zone-hint`} className="hint">
            Your account's time zone: times in Tasklane show in it too.
          </span>
        </label>
      </div>

      <fieldset className="project-mutes">
        <legend>Muted projects</legend>
        <p className="muted small" id={`${ids}-mute-hint`}>
          <strong>Only direct</strong>: nothing from tasks you only watch there (comments, status
          changes); assignments and mentions still come. <strong>Mute everything</strong>: nothing
          from the project at all.
        </p>
        {shown.projects.length === 0 ? (
          <p className="muted small">No project is muted.</p>
        ) : (
          <ul className="mute-list">
            {shown.projects.map((m) => {
              const found = byId.get(m.project_id);
              const name = found
                ? `${found.project.key} ${found.project.name}`
                : "A project no longer listed";
              return (
                <li key={m.project_id}>
                  <span className="mute-project">
                    {name}
                    {found && <span className="muted small"> · {found.workspace}</span>}
                  </span>
                  <select
                    aria-label={`Mute level for ${name}`}
                    value={m.level}
                    onChange={(e) =>
                      edit({
                        projects: shown.projects.map((p) =>
                          p.project_id === m.project_id
                            ? { ...p, level: e.target.value as Mute }
                            : p,
                        ),
                      })
                    }
                  >
                    {MUTES.map(([value, text]) => (
                      <option key={value} value={value}>
                        {text}
                      </option>
                    ))}
                  </select>
                  <button
                    type="button"
                    className="link small"
                    aria-label={`Remove mute: ${name}`}
                    onClick={() =>
                      edit({
                        projects: shown.projects.filter((p) => p.project_id !== m.project_id),
                      })
                    }
                  >
                    Remove
                  </button>
                </li>
              );
            })}
          </ul>
        )}
        <AddMute
          projects={projects.filter((p) => !p.project.archived && !mutedIds.has(p.project.id))}
          describedBy={`${ids}-mute-hint`}
          onAdd={(project_id, level) =>
            edit({ projects: [...shown.projects, { project_id, level }] })
          }
        />
      </fieldset>

      {save.isError && <ErrorNote error={save.error} />}
      <div className="settings-actions">
        <button type="submit" className="primary" disabled={!changes || save.isPending}>
          Save notification settings
        </button>
        {draft && changes && (
          <button type="button" onClick={() => setDraft(null)}>
            Discard changes
          </button>
        )}
        <p role="status" className="saved">
          {status}
        </p>
      </div>
    </form>
  );
}

function AddMute({
  projects,
  describedBy,
  onAdd,
}: {
  projects: VisibleProject[];
  describedBy: string;
  onAdd: (projectId: string, level: Mute) => void;
}) {
  const [projectId, setProjectId] = useState("");
  const [level, setLevel] = useState<Mute>("watching");
  const chosen = projects.some((p) => p.project.id === projectId) ? projectId : "";
  const workspaces = [...new Set(projects.map((p) => p.workspace))];
  return (
    <div className="add-mute">
      <label>
        Project
        <select
          value={chosen}
          aria-describedby={describedBy}
          onChange={(e) => setProjectId(e.target.value)}
        >
          <option value="">Choose a project…</option>
          {workspaces.map((w) => (
            <optgroup key={w} label={w}>
              {projects
                .filter((p) => p.workspace === w)
                .map((p) => (
                  <option key={p.project.id} value={p.project.id}>
                    {p.project.key} {p.project.name}
                  </option>
                ))}
            </optgroup>
          ))}
        </select>
      </label>
      <label>
        Level
        <select value={level} onChange={(e) => setLevel(e.target.value as Mute)}>
          {MUTES.map(([value, text]) => (
            <option key={value} value={value}>
              {text}
            </option>
          ))}
        </select>
      </label>
      <button
        type="button"
        disabled={!chosen}
        onClick={() => {
          onAdd(chosen, level);
          setProjectId("");
        }}
      >
        Mute project
      </button>
    </div>
  );
}

interface VisibleProject {
  project: Project;
  workspace: string;
}

/** Every project the person can see (archived ones too), in every workspace, with the
 * workspace's name; the same caches as the sidebar's project lists. */
function useVisibleProjects(): VisibleProject[] {
  const workspaces = useWorkspaces().data ?? [];
  const lists = useQueries({
    queries: workspaces.map((w) => ({
      queryKey: ["projects", w.id],
      queryFn: () =>
        allPages((cursor) =>
          unwrap(
            api.GET("/api/v1/workspaces/{workspace_id}/projects", {
              params: { path: { workspace_id: w.id }, query: { limit: 200, cursor } },
            }),
          ),
        ),
      staleTime: 60_000,
    })),
  });
  return workspaces.flatMap((w, i) =>
    (lists[i]?.data ?? []).map((project) => ({ project, workspace: w.name })),
  );
}
