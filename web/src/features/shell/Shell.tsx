import { useQueryClient } from "@tanstack/react-query";
import { lazy, type ReactNode, Suspense, useEffect, useState } from "react";
import { Link, NavLink, useNavigate } from "react-router";
import type { User } from "../../api/types";
import { Avatar, Modal, Spinner } from "../../app/ui";
import { signOut } from "../auth/api";
import { useLiveState } from "../realtime/useLive";
import { useProjects, useWorkspaces } from "../workspaces/api";
import { setCurrentWorkspace, useCurrentWorkspace } from "./current";
import { useKeys } from "./keys";
import { nextTheme, useTheme } from "./theme";
import { dismiss, useToasts } from "./toasts";

const CommandPalette = lazy(() =>
  import("./CommandPalette").then((m) => ({ default: m.CommandPalette })),
);

export function Shell({ me, children }: { me: User; children: ReactNode }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const workspaces = useWorkspaces();
  const current = useCurrentWorkspace();
  const workspace = workspaces.data?.find((w) => w.id === current) ?? workspaces.data?.[0];
  const projects = useProjects(workspace?.id);
  const [theme, setTheme] = useTheme();
  const [palette, setPalette] = useState(false);
  const [help, setHelp] = useState(false);

  useKeys({
    "mod+k": (e) => {
      e.preventDefault();
      setPalette(true);
    },
    "?": () => setHelp(true),
  });

  async function doSignOut() {
    await signOut();
    qc.clear();
    qc.setQueryData(["me"], null);
    navigate("/signin");
  }

  const themeLabel =
    theme === "system" ? "System theme" : theme === "light" ? "Light theme" : "Dark theme";
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <nav className="sidebar" aria-label="Workspace">
        <Link to="/" className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Tasklane
        </Link>
        {workspaces.data && workspaces.data.length > 0 && (
          <label className="switcher">
            <span className="sr-only">Workspace</span>
            <select
              value={workspace?.id ?? ""}
              onChange={(e) => {
                setCurrentWorkspace(e.target.value);
                navigate(`/w/${e.target.value}`);
              }}
            >
              {workspaces.data.map((w) => (
                <option key={w.id} value={w.id}>
                  {w.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <button type="button" className="search-button" onClick={() => setPalette(true)}>
          Search or command <kbd>Ctrl K</kbd>
        </button>
        {workspace && (
          <>
            <h2 className="nav-heading">
              <Link to={`/w/${workspace.id}`}>Projects</Link>
            </h2>
            <ul className="nav-list">
              {projects.data
                ?.filter((p) => !p.archived)
                .map((p) => (
                  <li key={p.id}>
                    <NavLink to={`/p/${p.id}`}>
                      <span className="project-key">{p.key}</span> {p.name}
                    </NavLink>
                  </li>
                ))}
              {projects.data?.length === 0 && <li className="muted small">No projects yet.</li>}
            </ul>
          </>
        )}
        <div className="sidebar-foot">
          <LiveIndicator />
          <button
            type="button"
            className="ghost"
            onClick={() => setTheme(nextTheme(theme))}
            aria-label={`${themeLabel}; switch theme`}
          >
            {theme === "dark" ? "☾" : theme === "light" ? "☀" : "◐"} {themeLabel}
          </button>
          <button type="button" className="ghost" onClick={() => setHelp(true)}>
            ? Keyboard shortcuts
          </button>
          <div className="me">
            <Avatar id={me.id} name={me.name} />
            <span className="me-name">{me.name}</span>
            <button type="button" className="link small" onClick={() => void doSignOut()}>
              Sign out
            </button>
          </div>
        </div>
      </nav>
      <div className="main-col">
        <LiveBanner />
        <div id="main" className="main">
          <Suspense fallback={<Spinner />}>{children}</Suspense>
        </div>
      </div>
      {palette && (
        <Suspense fallback={null}>
          <CommandPalette
            open={palette}
            onClose={() => setPalette(false)}
            workspaces={workspaces.data ?? []}
            projects={projects.data ?? []}
            onTheme={() => setTheme(nextTheme(theme))}
            onHelp={() => setHelp(true)}
            onSignOut={() => void doSignOut()}
          />
        </Suspense>
      )}
      <Modal open={help} onClose={() => setHelp(false)} title="Keyboard shortcuts">
        <HelpContent onClose={() => setHelp(false)} />
      </Modal>
      <Toaster />
    </div>
  );
}

const SHORTCUTS: Array<[string, string]> = [
  ["C", "Create a task"],
  ["/", "Search and filter"],
  ["J / K", "Next / previous task"],
  ["Enter", "Open the selected task"],
  ["Esc", "Close the task or dialog"],
  ["Space", "Pick up a card on the board, arrows to move, Space to drop"],
  ["X", "Select the task under the cursor (list)"],
  ["Ctrl/⌘ K", "Command palette"],
  ["?", "This help"],
];

function HelpContent({ onClose }: { onClose: () => void }) {
  return (
    <div className="help">
      <h2>Keyboard shortcuts</h2>
      <dl>
        {SHORTCUTS.map(([k, what]) => (
          <div key={k} className="shortcut">
            <dt>
              <kbd>{k}</kbd>
            </dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
      <button type="button" onClick={onClose}>
        Close
      </button>
    </div>
  );
}

function LiveIndicator() {
  const state = useLiveState();
  const text =
    state === "live"
      ? "Live"
      : state === "paused"
        ? "Live updates paused"
        : state === "offline"
          ? "Reconnecting…"
          : state === "unavailable"
            ? "Live updates unavailable"
            : "Connecting…";
  return (
    <span className={`live-indicator ${state}`} title={text}>
      <span className="live-dot" aria-hidden="true" /> {text}
    </span>
  );
}

function LiveBanner() {
  const state = useLiveState();
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    window.addEventListener("online", update);
    window.addEventListener("offline", update);
    return () => {
      window.removeEventListener("online", update);
      window.removeEventListener("offline", update);
    };
  }, []);
  if (!online || state === "offline") {
    return (
      <div className="banner offline" role="status">
        Offline — reconnecting… Changes from others will appear when the connection is back.
      </div>
    );
  }
  if (state === "paused") {
    return (
      <div className="banner paused" role="status">
        Live updates paused: the server is catching up. What you see may be a little behind.
      </div>
    );
  }
  return null;
}

function Toaster() {
  const toasts = useToasts();
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((t) => (
        <div
          key={t.id}
          className={`toast ${t.kind}`}
          role={t.kind === "error" ? "alert" : "status"}
        >
          <span>{t.text}</span>
          <button
            type="button"
            className="icon-button"
            aria-label="Dismiss"
            onClick={() => dismiss(t.id)}
          >
            ✕
          </button>
        </div>
      ))}
    </div>
  );
}
