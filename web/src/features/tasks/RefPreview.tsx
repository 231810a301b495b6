/**
 * Task references (`ENG-4`) as links with a preview card: key, title, status and assignees,
 * shown after a short hover or on keyboard focus, hidden on leaving or Escape. The task is
 * fetched once and cached (TanStack Query, shared with the task views); a task that is
 * missing or hidden from the reader says "No such task", is not asked for again, and its
 * link turns into plain-looking text.
 */
import { useQuery } from "@tanstack/react-query";
import {
  type FocusEvent,
  type KeyboardEvent,
  type MouseEvent,
  type ReactNode,
  useCallback,
  useEffect,
  useId,
  useRef,
  useState,
} from "react";
import { createPortal } from "react-dom";
import { Link, useNavigate } from "react-router";
import { ApiError } from "../../api/client";
import { AvatarStack } from "../../app/ui";
import { referencedKeys, taskHref } from "../../lib/taskRefs";
import { usePeople, useStatuses } from "../projects/api";
import { useCurrentWorkspace } from "../shell/current";
import { fetchTaskIn, useWorkspaceSlug } from "./paths";
import "./RefPreview.css";

/** Long enough that moving the pointer across a paragraph does not flash cards. */
export const OPEN_DELAY_MS = 350;
const CLOSE_DELAY_MS = 150;

/** The task a key names in the workspace being worked in (keys are unique only there). */
function useRefTask(key: string) {
  const workspace = useCurrentWorkspace() ?? undefined;
  return useQuery({
    queryKey: ["task-ref-preview", workspace ?? "", key],
    queryFn: ({ signal }) => fetchTaskIn(key, workspace, signal),
    // A missing task stays missing: no retries, and no new request on the next hover.
    retry: false,
    retryOnMount: false,
    staleTime: 60_000,
  });
}

function missing(error: unknown): boolean {
  return error instanceof ApiError && error.status >= 400 && error.status < 500;
}

function RefCard({
  refKey,
  anchor,
  id,
  onEnter,
  onLeave,
}: {
  refKey: string;
  anchor: HTMLElement;
  id: string;
  onEnter: () => void;
  onLeave: () => void;
}) {
  const query = useRefTask(refKey);
  const task = query.data;
  const statuses = useStatuses(task?.project_id);
  const people = usePeople(task?.project_id);
  const gone = query.isError && missing(query.error);
  useEffect(() => {
    if (gone) anchor.dataset.missing = "true";
  }, [gone, anchor]);
  const rect = anchor.getBoundingClientRect();
  const below = rect.bottom + 180 < window.innerHeight;
  const style = {
    left: Math.max(8, Math.min(rect.left, window.innerWidth - 328)),
    ...(below ? { top: rect.bottom + 6 } : { bottom: window.innerHeight - rect.top + 6 }),
  };
  const status = statuses.data?.find((s) => s.id === task?.status_id);
  const names = new Map((people.data ?? []).map((p) => [p.user_id, p.name]));
  let body: ReactNode;
  if (task) {
    const assignees = task.assignee_ids.map((id) => ({ id, name: names.get(id) ?? "Someone" }));
    body = (
      <>
        <div className="ref-card-head">
          <span className="task-key">{task.key}</span>
          {status && (
            <span className="status-pill">
              <span className="status-dot" style={{ background: status.color }} aria-hidden />
              {status.name}
            </span>
          )}
        </div>
        <p className="ref-card-title">{task.title}</p>
        <div className="ref-card-people">
          {assignees.length ? (
            <>
              <AvatarStack people={assignees} />
              <span className="small">{assignees.map((a) => a.name).join(", ")}</span>
            </>
          ) : (
            <span className="muted small">Nobody assigned</span>
          )}
        </div>
      </>
    );
  } else if (gone) {
    body = (
      <p className="muted">
        <span className="task-key">{refKey}</span> No such task
      </p>
    );
  } else if (query.isError) {
    body = <p className="muted">{refKey}: could not be loaded.</p>;
  } else {
    body = <p className="muted">Loading {refKey}…</p>;
  }
  // Inside an open <dialog> (the top layer) the card must be in the dialog to be seen.
  const host = anchor.closest("dialog[open]") ?? document.body;
  return createPortal(
    <div
      id={id}
      role="tooltip"
      className="ref-card"
      style={style}
      onMouseEnter={onEnter}
      onMouseLeave={onLeave}
    >
      {body}
    </div>,
    host,
  );
}

/** Open and close a card for one anchor at a time, after the delays. */
export function useRefPreview() {
  const [open, setOpen] = useState<{ key: string; anchor: HTMLElement } | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const id = useId();
  const clear = () => clearTimeout(timer.current);
  const show = useCallback((anchor: HTMLElement, key: string) => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setOpen({ key, anchor }), OPEN_DELAY_MS);
  }, []);
  const hide = useCallback((now = false) => {
    clearTimeout(timer.current);
    if (now) setOpen(null);
    else timer.current = setTimeout(() => setOpen(null), CLOSE_DELAY_MS);
  }, []);
  useEffect(() => () => clearTimeout(timer.current), []);
  useEffect(() => {
    if (!open) return;
    open.anchor.setAttribute("aria-describedby", id);
    // A scroll that moves the link away hides its card; one that leaves it where it was (a
    // textarea scrolling, the browser's scroll anchoring as content above it loads) does not.
    const at = open.anchor.getBoundingClientRect();
    const close = () => {
      const now = open.anchor.getBoundingClientRect();
      const moved = Math.abs(now.top - at.top) > 1 || Math.abs(now.left - at.left) > 1;
      if (moved || !open.anchor.isConnected) setOpen(null);
    };
    window.addEventListener("scroll", close, true);
    return () => {
      open.anchor.removeAttribute("aria-describedby");
      window.removeEventListener("scroll", close, true);
    };
  }, [open, id]);
  const card = open ? (
    <RefCard
      key={open.key}
      refKey={open.key}
      anchor={open.anchor}
      id={id}
      onEnter={clear}
      onLeave={() => hide()}
    />
  ) : null;
  /** Escape hides a shown card, and only that: the key is not passed on (to close a panel). */
  const dismiss = (e: KeyboardEvent) => {
    if (e.key !== "Escape" || !open) return;
    e.preventDefault();
    hide(true);
  };
  return { show, hide, dismiss, card };
}

function refAnchor(target: EventTarget | null): HTMLAnchorElement | null {
  return target instanceof Element ? target.closest<HTMLAnchorElement>("a[data-task-ref]") : null;
}

function plainClick(e: MouseEvent): boolean {
  return e.button === 0 && !e.metaKey && !e.ctrlKey && !e.shiftKey && !e.altKey;
}

/** Previews and in-app navigation for every `a[data-task-ref]` inside an element whose HTML
 * is not React's (rendered Markdown): spread `handlers` on it and render `card`. Needs a
 * router above it. */
export function useRefPreviewHost() {
  const { show, hide, dismiss, card } = useRefPreview();
  const navigate = useNavigate();
  return {
    card,
    handlers: {
      onMouseOver: (e: MouseEvent) => {
        const a = refAnchor(e.target);
        if (a && !a.contains(refAnchor(e.relatedTarget))) show(a, a.dataset.taskRef ?? "");
      },
      onMouseOut: (e: MouseEvent) => {
        const a = refAnchor(e.target);
        if (a && !a.contains(e.relatedTarget as Node | null)) hide();
      },
      onFocus: (e: FocusEvent) => {
        const a = refAnchor(e.target);
        if (a) show(a, a.dataset.taskRef ?? "");
      },
      onBlur: (e: FocusEvent) => {
        if (refAnchor(e.target)) hide();
      },
      onKeyDown: (e: KeyboardEvent) => {
        if (refAnchor(e.target)) dismiss(e);
      },
      onClick: (e: MouseEvent) => {
        const a = refAnchor(e.target);
        if (!a || !plainClick(e)) return;
        e.preventDefault();
        hide(true);
        if (a.dataset.missing !== "true") navigate(a.getAttribute("href") ?? "");
      },
    },
  };
}

/** One reference rendered by React (titles): a link with the same preview. */
export function TaskRefLink({ refKey }: { refKey: string }) {
  const { show, hide, dismiss, card } = useRefPreview();
  const workspaceSlug = useWorkspaceSlug(useCurrentWorkspace() ?? undefined);
  return (
    <>
      <Link
        to={taskHref(refKey, workspaceSlug)}
        className="task-ref"
        data-task-ref={refKey}
        onMouseEnter={(e) => show(e.currentTarget, refKey)}
        onMouseLeave={() => hide()}
        onFocus={(e) => show(e.currentTarget, refKey)}
        onBlur={() => hide()}
        onKeyDown={dismiss}
        onClick={(e) => {
          if (e.currentTarget.dataset.missing === "true") e.preventDefault();
          hide(true);
        }}
      >
        {refKey}
      </Link>
      {card}
    </>
  );
}

/** The tasks a title refers to, as links under it (the title itself is an input). */
export function TitleRefs({ title, own }: { title: string; own: string }) {
  const keys = referencedKeys(title, own);
  if (keys.length === 0) return null;
  return (
    <p className="title-refs small">
      <span className="muted">Refers to</span>
      {keys.map((key) => (
        <TaskRefLink key={key} refKey={key} />
      ))}
    </p>
  );
}
