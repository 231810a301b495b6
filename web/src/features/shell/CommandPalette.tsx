import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { useLocation, useNavigate } from "react-router";
import type { Project, Workspace } from "../../api/types";
import { Modal } from "../../app/ui";
import { search, searchable } from "../search/api";
import { CREATE_TASK_EVENT, setCurrentWorkspace, useCurrentWorkspace } from "./current";

interface Command {
  id: string;
  label: string;
  hint?: string;
  /** Where a found task lives (its project). */
  detail?: string;
  run: () => void;
}

export function CommandPalette({
  open,
  onClose,
  workspaces,
  projects,
  onTheme,
  onHelp,
  onSignOut,
}: {
  open: boolean;
  onClose: () => void;
  workspaces: Workspace[];
  projects: Project[];
  onTheme: () => void;
  onHelp: () => void;
  onSignOut: () => void;
}) {
  return (
    <Modal open={open} onClose={onClose} title="Command palette" className="palette">
      <PaletteBody
        onClose={onClose}
        workspaces={workspaces}
        projects={projects}
        onTheme={onTheme}
        onHelp={onHelp}
        onSignOut={onSignOut}
      />
    </Modal>
  );
}

/** Filter commands by every word of the query, in any order. */
export function matchCommand(label: string, query: string): boolean {
  const hay = label.toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((word) => hay.includes(word));
}

function PaletteBody({
  onClose,
  workspaces,
  projects,
  onTheme,
  onHelp,
  onSignOut,
}: {
  onClose: () => void;
  workspaces: Workspace[];
  projects: Project[];
  onTheme: () => void;
  onHelp: () => void;
  onSignOut: () => void;
}) {
  const navigate = useNavigate();
  const location = useLocation();
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const projectId = /^\/p\/([^/]+)/.exec(location.pathname)?.[1];
  // Tasks of every project of the workspace the sidebar shows (the one the shell lists
  // projects of), by key or title.
  const current = useCurrentWorkspace();
  const workspaceId =
    projects[0]?.workspace_id ?? (workspaces.find((w) => w.id === current) ?? workspaces[0])?.id;
  const [debounced, setDebounced] = useState("");
  useEffect(() => {
    const t = setTimeout(() => setDebounced(query.trim()), 150);
    return () => clearTimeout(t);
  }, [query]);
  // Full-text search (the key first, words of titles, descriptions and comments, the last
  // one as a prefix): one line per task.
  const tasks = useQuery({
    queryKey: ["palette", workspaceId, debounced],
    enabled: Boolean(workspaceId && debounced.length >= 2 && searchable(debounced)),
    queryFn: ({ signal }) => search(workspaceId as string, debounced, 8, undefined, signal),
    retry: false,
  });

  const commands = useMemo(() => {
    const go = (to: string) => () => {
      onClose();
      navigate(to);
    };
    const list: Command[] = [];
    if (projectId) {
      list.push({
        id: "create",
        label: "Create a task",
        hint: "C",
        run: () => {
          onClose();
          window.dispatchEvent(new Event(CREATE_TASK_EVENT));
        },
      });
      list.push({ id: "board", label: "Go to board", run: go(`/p/${projectId}/board`) });
      list.push({ id: "list", label: "Go to list", run: go(`/p/${projectId}/list`) });
      list.push({ id: "settings", label: "Project settings", run: go(`/p/${projectId}/settings`) });
    }
    for (const p of projects)
      list.push({
        id: `p-${p.id}`,
        label: `Open project ${p.key} ${p.name}`,
        run: go(`/p/${p.id}/board`),
      });
    for (const w of workspaces) {
      list.push({
        id: `w-${w.id}`,
        label: `Switch to workspace ${w.name}`,
        run: () => {
          setCurrentWorkspace(w.id);
          go(`/w/${w.id}`)();
        },
      });
    }
    list.push({ id: "new-ws", label: "Create a workspace", run: go("/?new=workspace") });
    list.push({ id: "theme", label: "Switch theme (system, light, dark)", run: () => onTheme() });
    list.push({
      id: "help",
      label: "Keyboard shortcuts",
      hint: "?",
      run: () => {
        onClose();
        onHelp();
      },
    });
    list.push({
      id: "signout",
      label: "Sign out",
      run: () => {
        onClose();
        onSignOut();
      },
    });
    const found = list.filter((c) => matchCommand(c.label, query));
    const projectNames = new Map(projects.map((p) => [p.id, p.name]));
    const seen = new Set<string>();
    const taskHits: Command[] = (tasks.data?.items ?? [])
      .filter((hit) => !seen.has(hit.task_id) && Boolean(seen.add(hit.task_id)))
      .map((hit) => ({
        id: `t-${hit.task_id}`,
        label: `${hit.task_key} ${hit.title}`,
        detail: projectNames.get(hit.project_id) ?? "task",
        run: go(`/p/${hit.project_id}/board/${hit.task_key}`),
      }));
    return [...taskHits, ...found];
  }, [
    projectId,
    projects,
    workspaces,
    query,
    tasks.data,
    navigate,
    onClose,
    onTheme,
    onHelp,
    onSignOut,
  ]);

  const clamped = Math.min(active, Math.max(0, commands.length - 1));
  return (
    <div className="palette-body">
      <input
        autoFocus
        role="combobox"
        aria-expanded="true"
        aria-controls="palette-list"
        aria-activedescendant={commands[clamped] ? `cmd-${commands[clamped].id}` : undefined}
        aria-label="Type a command or search tasks"
        placeholder={workspaceId ? "Type a command or search tasks…" : "Type a command…"}
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          setActive(0);
        }}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") {
            e.preventDefault();
            setActive((clamped + 1) % Math.max(1, commands.length));
          } else if (e.key === "ArrowUp") {
            e.preventDefault();
            setActive((clamped - 1 + commands.length) % Math.max(1, commands.length));
          } else if (e.key === "Enter") {
            e.preventDefault();
            commands[clamped]?.run();
          }
        }}
      />
      <div id="palette-list" role="listbox" aria-label="Commands" className="palette-list">
        {commands.map((c, i) => (
          // biome-ignore lint/a11y/useKeyWithClickEvents: the combobox input handles the keys
          <div
            key={c.id}
            id={`cmd-${c.id}`}
            role="option"
            tabIndex={-1}
            aria-selected={i === clamped}
            className={i === clamped ? "active" : undefined}
            onMouseEnter={() => setActive(i)}
            onClick={() => c.run()}
          >
            <span>{c.label}</span>
            {c.hint && <kbd>{c.hint}</kbd>}
            {c.detail && <span className="muted small">{c.detail}</span>}
          </div>
        ))}
        {commands.length === 0 && <p className="muted">Nothing matches “{query}”.</p>}
      </div>
    </div>
  );
}
