import { useQueryClient } from "@tanstack/react-query";
import { lazy, type ReactNode, Suspense, useEffect, useRef, useState } from "react";
import { flushSync } from "react-dom";
import { Link, NavLink, useLocation, useNavigate } from "react-router";
import type { User } from "../../api/types";
import { Avatar, Modal, Spinner } from "../../app/ui";
import { signOut } from "../auth/api";
import { useNotificationFeed } from "../notifications/api";
import { Bell } from "../notifications/Bell";
import { useLiveState } from "../realtime/useLive";
import { useAccountPreferences, useAvatarColorFeed } from "../settings/api";
import { AccountLink, WorkspaceSettingsLink } from "../settings/links";
import { useViews } from "../views/api";
import { useProjects, useWorkspaces } from "../workspaces/api";
import { InvitationsLink } from "../workspaces/Invitations";
import { setCurrentWorkspace, useCurrentWorkspace } from "./current";
import { useKeys } from "./keys";
import { nextTheme } from "./theme";
import { act, dismiss, useToasts } from "./toasts";

const CommandPalette = lazy(() =>
  import("./CommandPalette").then((m) => ({ default: m.CommandPalette })),
);
const SearchDialog = lazy(() =>
  import("../search/SearchDialog").then((m) => ({ default: m.SearchDialog })),
);

export function Shell({ me, children }: { me: User; children: ReactNode }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const workspaces = useWorkspaces();
  const current = useCurrentWorkspace();
  const workspace = workspaces.data?.find((w) => w.id === current) ?? workspaces.data?.[0];
  const projects = useProjects(workspace?.id);
  // The theme is the account's: applied on sign-in, and the toggle saves it.
  const [theme, setTheme] = useAccountPreferences(me);
  useAvatarColorFeed();
  // The bell's count and the inbox follow the live `user` channel.
  useNotificationFeed();
  const [palette, setPalette] = useState(false);
  const [searching, setSearching] = useState(false);
  const [help, setHelp] = useState(false);
  const drawer = useDrawer();

  useKeys({
    "mod+k": (e) => {
      e.preventDefault();
      setPalette(true);
    },
    "?": () => setHelp(true),
    // In a project's list, "/" is the list's own filter (ListView binds it).
    "/": (e) => {
      if (!workspace || /^\/p\/[^/]+\/list/.test(window.location.pathname)) return;
      e.preventDefault();
      setSearching(true);
    },
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
    <div className={`shell${drawer.open ? " drawer-open" : ""}`}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <nav id="sidebar" className="sidebar" aria-label="Workspace" ref={drawer.panel}>
        <div className="bell-row">
          <Link to="/" className="brand">
            <span className="brand-mark" aria-hidden="true" />
            Tasklane
          </Link>
          <Bell />
        </div>
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
        <InvitationsLink />
        {workspace && (
          <button type="button" className="search-button" onClick={() => setSearching(true)}>
            Search <kbd>/</kbd>
          </button>
        )}
        {workspace && (
          <NavLink to={`/w/${workspace.id}/tasks`} className="nav-my-tasks" end>
            My tasks
          </NavLink>
        )}
        {workspace && (
          <NavLink to={`/w/${workspace.id}/insights`} className="nav-my-tasks">
            Insights
          </NavLink>
        )}
        {workspace && <SavedViews workspaceId={workspace.id} />}
        <button type="button" className="search-button" onClick={() => setPalette(true)}>
          Search or command <kbd>Ctrl K</kbd>
        </button>
        {workspace && (
          <>
            {/* The settings link sits beside the heading, not in it: the heading is named
                "Projects" alone. */}
            <div className="nav-heading-row">
              <h2 className="nav-heading">
                <Link to={`/w/${workspace.id}`}>Projects</Link>
              </h2>
              <WorkspaceSettingsLink workspace={workspace} />
            </div>
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
            <Avatar id={me.id} name={me.name} color={me.avatar_color} />
            <AccountLink me={me} />
            <button type="button" className="link small" onClick={() => void doSignOut()}>
              Sign out
            </button>
          </div>
        </div>
      </nav>
      {drawer.open && <div className="drawer-backdrop" aria-hidden="true" onClick={drawer.close} />}
      <div className="main-col" inert={drawer.open}>
        <header className="topbar">
          <button
            type="button"
            className="icon-button menu-button"
            ref={drawer.button}
            aria-expanded={drawer.open}
            aria-controls="sidebar"
            aria-label="Open menu"
            onClick={drawer.show}
          >
            <span aria-hidden="true">☰</span>
          </button>
          <Link to="/" className="brand">
            <span className="brand-mark" aria-hidden="true" />
            Tasklane
          </Link>
          <span className="spacer" />
          <Bell />
          <button
            type="button"
            className="icon-button"
            aria-label="Search or command"
            onClick={() => setPalette(true)}
          >
            <span aria-hidden="true">⌕</span>
          </button>
        </header>
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
      {searching && (
        <Suspense fallback={null}>
          <SearchDialog
            open={searching}
            onClose={() => setSearching(false)}
            workspaceId={workspace?.id}
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

/**
 * The sidebar as a drawer on narrow screens (the CSS shows the menu button only there). It is
 * open for the page it was opened on, so any navigation closes it; Escape and a click outside
 * close it too and give focus back to the menu button, and the page behind is inert meanwhile.
 */
function useDrawer() {
  const { pathname } = useLocation();
  const [openAt, setOpenAt] = useState<string | null>(null);
  const open = openAt === pathname;
  const panel = useRef<HTMLElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const close = () => {
    // The page (and the menu button in it) stops being inert first; then it can take focus.
    flushSync(() => setOpenAt(null));
    button.current?.focus();
  };
  const closeRef = useRef(close);
  closeRef.current = close;

  useEffect(() => {
    if (!open) return;
    panel.current?.querySelector<HTMLElement>("a, button, select")?.focus();
    const onKey = (e: KeyboardEvent) => {
      // A dialog opened from the drawer (the palette) takes its own Escape first.
      if (e.key !== "Escape" || document.querySelector("dialog[open]")) return;
      // Before the page's own Escape (closing a task): this one closes only the drawer.
      e.preventDefault();
      e.stopPropagation();
      closeRef.current();
    };
    // A window grown past the breakpoint shows the sidebar in place: nothing to close then.
    const narrow = window.matchMedia("(max-width: 800px)");
    const onResize = () => {
      if (!narrow.matches) setOpenAt(null);
    };
    window.addEventListener("keydown", onKey, true);
    narrow.addEventListener("change", onResize);
    return () => {
      window.removeEventListener("keydown", onKey, true);
      narrow.removeEventListener("change", onResize);
    };
  }, [open]);

  return { open, panel, button, close, show: () => setOpenAt(pathname) };
}

const SHORTCUTS: Array<[string, string]> = [
  ["C", "Create a task"],
  ["/", "Search every project (in a list: filter the list)"],
  ["J / K", "Next / previous task"],
  ["Enter", "Open the selected task"],
  ["Esc", "Close the task or dialog"],
  ["Delete", "Delete the open task (Undo in the message that follows)"],
  ["Space", "Pick up a card on the board, arrows to move, Space to drop"],
  ["X", "Select the task under the cursor (list)"],
  ["E / U", "Inbox: archive / mark read or unread"],
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
          {t.action && (
            <button type="button" className="toast-action" onClick={() => act(t.id)}>
              {t.action.label}
            </button>
          )}
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

/** The workspace's saved views (yours and the shared ones) in the sidebar. */
function SavedViews({ workspaceId }: { workspaceId: string }) {
  const views = useViews(workspaceId);
  if (!views.data?.length) return null;
  return (
    <>
      <h2 className="nav-heading">Views</h2>
      <ul className="nav-list" aria-label="Saved views">
        {views.data.map((v) => (
          <li key={v.id}>
            <NavLink to={`/views/${v.id}`}>
              {v.name}
              {v.shared && <span className="sr-only"> (shared)</span>}
            </NavLink>
          </li>
        ))}
      </ul>
    </>
  );
}
