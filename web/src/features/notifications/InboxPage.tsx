/**
 * The inbox (/inbox): your notifications, newest first, in three boxes (Inbox, Snoozed,
 * Archived; `?box=`), the inbox optionally unread only (`?unread=1`). A click (or Enter) marks
 * one read and opens its task. Keys: j / k move, Enter opens, e archives (or brings back),
 * u marks read or unread. New ones appear at the top as they come (the shell's live feed).
 */
import { useEffect, useId, useRef, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { Avatar, Empty, ErrorNote, formatDateTime, Spinner, timeAgo } from "../../app/ui";
import { useMe } from "../auth/api";
import { useKeys } from "../shell/keys";
import { useWorkspaces } from "../workspaces/api";
import {
  type Box,
  type Notification,
  useNotificationAction,
  useNotificationList,
  useSnooze,
  useUnreadCount,
} from "./api";
import { BOXES, boxOf, KIND_LABEL, neighbour, notificationTarget } from "./inbox";
import { SNOOZE_CHOICES, type SnoozeChoice, snoozeUntil } from "./snooze";
import "./notifications.css";

export function InboxPage() {
  const [params, setParams] = useSearchParams();
  const box = boxOf(params.get("box"));
  const unreadOnly = box === "inbox" && params.get("unread") === "1";
  const list = useNotificationList(box, unreadOnly);
  const count = useUnreadCount().data ?? 0;
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  const action = useNotificationAction();
  const snooze = useSnooze();
  const navigate = useNavigate();
  const me = useMe().data;
  const workspaces = useWorkspaces().data;
  const slugOf = (id: string) => workspaces?.find((w) => w.id === id)?.slug;
  const [cursor, setCursor] = useState<string | null>(null);
  const current = items.find((n) => n.id === cursor) ?? null;
  const ids = items.map((n) => n.id);

  function focus(id: string | null) {
    setCursor(id);
    if (id) document.getElementById(linkId(id))?.focus();
  }

  function open(n: Notification) {
    if (!n.read_at) action.mutate({ action: "read", ids: [n.id] });
    const to = notificationTarget(n, slugOf);
    if (to) navigate(to);
  }

  function toggleRead(n: Notification) {
    action.mutate({ action: n.read_at ? "unread" : "read", ids: [n.id] });
  }

  /** Out of this box (archived, brought back, snoozed): the selection moves to a neighbour. */
  function leaving(n: Notification) {
    if (cursor === n.id) focus(neighbour(ids, n.id));
  }

  function archive(n: Notification) {
    leaving(n);
    action.mutate({ action: box === "archived" ? "unarchive" : "archive", ids: [n.id] });
  }

  function snoozeOne(n: Notification, choice: SnoozeChoice) {
    leaving(n);
    snooze.mutate({ id: n.id, until: snoozeUntil(choice, new Date(), me?.time_zone) });
  }

  useKeys({
    j: () => focus(step(ids, cursor, 1)),
    k: () => focus(step(ids, cursor, -1)),
    Enter: (e) => {
      // A focused link or button does its own thing on Enter.
      if (e.target instanceof HTMLAnchorElement || e.target instanceof HTMLButtonElement) return;
      if (!current) return;
      e.preventDefault();
      open(current);
    },
    e: () => current && archive(current),
    u: () => current && toggleRead(current),
  });

  const boxHref = (next: Box) => `?${next === "inbox" ? "" : `box=${next}`}`;
  const boxInfo = BOXES.find((b) => b.box === box) ?? BOXES[0];

  return (
    <main className="page inbox-page">
      <div className="inbox-head">
        <h1>Inbox</h1>
        <span className="spacer" />
        {box === "inbox" && (
          <button
            type="button"
            disabled={count === 0 || action.isPending}
            onClick={() => action.mutate({ action: "read", ids: "all" })}
          >
            Mark all read
          </button>
        )}
      </div>
      <div className="inbox-bar">
        <nav className="tabs" aria-label="Notification boxes">
          {BOXES.map((b) => (
            <Link
              key={b.box}
              to={boxHref(b.box)}
              className={b.box === box ? "active" : undefined}
              aria-current={b.box === box ? "page" : undefined}
            >
              {b.label}
              {b.box === "inbox" && count > 0 && <span className="badge">{count}</span>}
            </Link>
          ))}
        </nav>
        {box === "inbox" && (
          <label className="inline unread-filter">
            <input
              type="checkbox"
              checked={unreadOnly}
              onChange={(e) => {
                const next = new URLSearchParams(params);
                if (e.target.checked) next.set("unread", "1");
                else next.delete("unread");
                setParams(next, { replace: true });
              }}
            />
            Unread only
          </label>
        )}
      </div>
      <p className="muted small inbox-keys">
        <kbd>J</kbd> <kbd>K</kbd> move, <kbd>Enter</kbd> opens, <kbd>E</kbd>{" "}
        {box === "archived" ? "brings back" : "archives"}, <kbd>U</kbd> marks read or unread.
      </p>

      {list.isPending ? (
        <Spinner label="Loading notifications" />
      ) : list.isError ? (
        <ErrorNote error={list.error} retry={() => void list.refetch()} />
      ) : items.length === 0 ? (
        <Empty title={unreadOnly ? "No unread notifications." : (boxInfo?.empty ?? "")}>
          {box === "inbox" &&
            "You are told here when you are assigned a task, mentioned, or something you watch changes."}
        </Empty>
      ) : (
        <ul className="notification-list" aria-label={boxInfo?.label}>
          {items.map((n) => (
            <Item
              key={n.id}
              n={n}
              box={box}
              selected={n.id === cursor}
              to={notificationTarget(n, slugOf)}
              zone={me?.time_zone}
              onFocus={() => setCursor(n.id)}
              onOpen={() => {
                if (!n.read_at) action.mutate({ action: "read", ids: [n.id] });
              }}
              onToggleRead={() => toggleRead(n)}
              onArchive={() => archive(n)}
              onSnooze={(choice) => snoozeOne(n, choice)}
            />
          ))}
        </ul>
      )}
      {list.hasNextPage && (
        <div className="inbox-more">
          <button
            type="button"
            disabled={list.isFetchingNextPage}
            onClick={() => void list.fetchNextPage()}
          >
            {list.isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
        </div>
      )}
    </main>
  );
}

function linkId(id: string): string {
  return `notification-${id}`;
}

function step(ids: string[], current: string | null, delta: 1 | -1): string | null {
  if (ids.length === 0) return null;
  const at = current ? ids.indexOf(current) : -1;
  if (at === -1) return delta === 1 ? (ids[0] ?? null) : (ids[ids.length - 1] ?? null);
  return ids[Math.min(ids.length - 1, Math.max(0, at + delta))] ?? null;
}

function Item({
  n,
  box,
  selected,
  to,
  zone,
  onFocus,
  onOpen,
  onToggleRead,
  onArchive,
  onSnooze,
}: {
  n: Notification;
  box: Box;
  selected: boolean;
  to: string | null;
  zone: string | null | undefined;
  onFocus: () => void;
  onOpen: () => void;
  onToggleRead: () => void;
  onArchive: () => void;
  onSnooze: (choice: SnoozeChoice) => void;
}) {
  const unread = !n.read_at;
  const summaryId = `${linkId(n.id)}-summary`;
  const actor = n.actor_name ?? (n.actor_id ? "Deleted user" : "Tasklane");
  const content = (
    <>
      {unread && <span className="sr-only">Unread: </span>}
      <span id={summaryId}>{n.summary}</span>
    </>
  );
  return (
    <li
      className={`notification${unread ? " unread" : ""}${selected ? " selected" : ""}`}
      data-id={n.id}
    >
      <span className="unread-dot" aria-hidden="true" />
      <Avatar id={n.actor_id ?? n.id} name={actor} size={28} />
      <div className="notification-main">
        <div className="notification-head">
          <strong className="notification-actor">{actor}</strong>
          <span className="notification-kind">{KIND_LABEL[n.type]}</span>
          <time dateTime={n.created_at} title={formatDateTime(n.created_at)} className="muted">
            {timeAgo(n.created_at)}
          </time>
        </div>
        {to ? (
          <Link
            id={linkId(n.id)}
            to={to}
            className="notification-link"
            onClick={onOpen}
            onFocus={onFocus}
          >
            {content}
          </Link>
        ) : (
          <button
            id={linkId(n.id)}
            type="button"
            className="link notification-link"
            onClick={onOpen}
            onFocus={onFocus}
          >
            {content}
          </button>
        )}
        <div className="notification-task muted small">
          {n.task_key ? (
            <>
              <span className="project-key">{n.task_key}</span> {n.task_title}
            </>
          ) : n.task_id === null && n.type !== "added" ? (
            "The task is gone or out of your sight."
          ) : null}
          {n.count > 1 && <span> · {n.count} changes</span>}
          {box === "snoozed" && n.snoozed_until && (
            <span> · back {formatDateTime(n.snoozed_until)}</span>
          )}
        </div>
      </div>
      <div className="notification-actions">
        {box !== "archived" && (
          <button
            type="button"
            className="ghost small"
            aria-describedby={summaryId}
            onClick={onToggleRead}
          >
            {unread ? "Mark read" : "Mark unread"}
          </button>
        )}
        {box !== "snoozed" && box !== "archived" && (
          <SnoozeMenu describedBy={summaryId} zone={zone} onSnooze={onSnooze} />
        )}
        <button
          type="button"
          className="ghost small"
          aria-describedby={summaryId}
          onClick={onArchive}
        >
          {box === "archived" ? "Unarchive" : "Archive"}
        </button>
      </div>
    </li>
  );
}

/** A button that shows three snooze choices under it; Escape, a click elsewhere or moving the
 * focus away closes them. */
function SnoozeMenu({
  describedBy,
  zone,
  onSnooze,
}: {
  describedBy: string;
  zone: string | null | undefined;
  onSnooze: (choice: SnoozeChoice) => void;
}) {
  const [open, setOpen] = useState(false);
  const ids = useId();
  const box = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!open) return;
    first.current?.focus();
    const outside = (e: Event) => {
      if (!box.current?.contains(e.target as Node | null)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      // Before anything else on the page: this Escape closes only the choices.
      e.preventDefault();
      e.stopPropagation();
      setOpen(false);
      button.current?.focus();
    };
    document.addEventListener("pointerdown", outside);
    document.addEventListener("focusin", outside);
    window.addEventListener("keydown", onKey, true);
    return () => {
      document.removeEventListener("pointerdown", outside);
      document.removeEventListener("focusin", outside);
      window.removeEventListener("keydown", onKey, true);
    };
  }, [open]);
  return (
    <div className="snooze" ref={box}>
      <button
        ref={button}
        type="button"
        className="ghost small"
        aria-expanded={open}
        aria-controls={open ? `${ids}-choices` : undefined}
        aria-describedby={describedBy}
        onClick={() => setOpen(!open)}
      >
        Snooze <span aria-hidden="true">▾</span>
      </button>
      {open && (
        <ul className="snooze-choices" id={`${ids}-choices`}>
          {SNOOZE_CHOICES.map(({ choice, label }, i) => (
            <li key={choice}>
              <button
                ref={i === 0 ? first : undefined}
                type="button"
                className="ghost"
                title={formatDateTime(snoozeUntil(choice, new Date(), zone).toISOString())}
                onClick={() => {
                  setOpen(false);
                  onSnooze(choice);
                }}
              >
                {label}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
