/** Small building blocks shared by every feature. */
import { type ReactNode, useEffect, useRef, useSyncExternalStore } from "react";
import { Link } from "react-router";
import type { Label, Priority } from "../api/types";
import { PRIORITY_LABEL } from "../api/types";

// Dark enough for white initials at 10 px (contrast 4.5:1 or more), in light and dark mode.
const AVATAR_COLORS = [
  "#4f46e5",
  "#0369a1",
  "#047857",
  "#b45309",
  "#dc2626",
  "#7c3aed",
  "#be185d",
  "#0f766e",
];

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0;
  return Math.abs(h);
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters =
    parts.length > 1
      ? `${parts[0]?.[0] ?? ""}${parts[parts.length - 1]?.[0] ?? ""}`
      : name.slice(0, 2);
  return letters.toUpperCase() || "?";
}

/** The colours a person can pick for their avatar (the server accepts these names or #rrggbb);
 * each dark enough for white initials, like AVATAR_COLORS. */
export const AVATAR_PALETTE: Record<string, string> = {
  slate: "#475569",
  red: "#dc2626",
  orange: "#c2410c",
  amber: "#b45309",
  green: "#047857",
  teal: "#0f766e",
  blue: "#1d4ed8",
  indigo: "#4f46e5",
  violet: "#7c3aed",
};

/**
 * The avatar colours people chose, by user id, as far as the app has seen them. Filled from
 * every people or members list the app loads (`noteAvatarColors`), so an avatar drawn from just
 * an id and a name (a task's assignees) still shows the person's colour.
 */
const chosen = new Map<string, string>();
const listeners = new Set<() => void>();
let version = 0;

export function noteAvatarColors(
  people: ReadonlyArray<{ user_id?: string; id?: string; avatar_color?: string | null }>,
): void {
  let changed = false;
  for (const p of people) {
    const id = p.user_id ?? p.id;
    if (!id || p.avatar_color === undefined) continue;
    const color = p.avatar_color ?? "";
    if ((chosen.get(id) ?? "") === color) continue;
    if (color) chosen.set(id, color);
    else chosen.delete(id);
    changed = true;
  }
  if (!changed) return;
  version++;
  for (const listener of listeners) listener();
}

function subscribeColors(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function avatarColor(id: string, color?: string | null): string {
  const picked = color ?? chosen.get(id);
  if (picked) return AVATAR_PALETTE[picked] ?? picked;
  return AVATAR_COLORS[hash(id) % AVATAR_COLORS.length] as string;
}

export function Avatar({
  name,
  id,
  color,
  size = 22,
}: {
  name: string;
  id: string;
  /** A palette name or #rrggbb; left out, the colour the person chose if the app knows it. */
  color?: string | null;
  size?: number;
}) {
  useSyncExternalStore(subscribeColors, () => version);
  return (
    <span
      className="avatar"
      title={name}
      style={{
        width: size,
        height: size,
        background: avatarColor(id, color),
      }}
    >
      <span aria-hidden="true">{initials(name)}</span>
      <span className="sr-only">{name}</span>
    </span>
  );
}

export function AvatarStack({
  people,
  max = 3,
}: {
  people: Array<{ id: string; name: string; color?: string | null }>;
  max?: number;
}) {
  const shown = people.slice(0, max);
  return (
    <span className="avatar-stack">
      {shown.map((p) => (
        <Avatar key={p.id} id={p.id} name={p.name} color={p.color} />
      ))}
      {people.length > max && <span className="avatar more">+{people.length - max}</span>}
    </span>
  );
}

const PRIORITY_BARS: Record<Priority, number> = { none: 0, low: 1, medium: 2, high: 3, urgent: 4 };

export function PriorityIcon({ priority }: { priority: Priority }) {
  const label = PRIORITY_LABEL[priority];
  if (priority === "urgent") {
    return (
      <span className="prio urgent" role="img" aria-label={`Priority: ${label}`} title={label}>
        !
      </span>
    );
  }
  const bars = PRIORITY_BARS[priority];
  return (
    <svg
      className={`prio prio-${priority}`}
      width="14"
      height="14"
      viewBox="0 0 14 14"
      role="img"
      aria-label={`Priority: ${label}`}
    >
      <title>{label}</title>
      {[0, 1, 2].map((i) => (
        <rect
          key={i}
          x={1 + i * 4.5}
          y={10 - i * 4}
          width="3"
          height={3 + i * 4}
          rx="1"
          className={i < bars ? "on" : "off"}
        />
      ))}
    </svg>
  );
}

export function LabelChip({ label }: { label: Label }) {
  return (
    <span className="label-chip">
      <span className="dot" style={{ background: label.color }} aria-hidden="true" />
      {label.name}
    </span>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children && <div className="muted">{children}</div>}
    </div>
  );
}

export function Spinner({ label = "Loading" }: { label?: string }) {
  return (
    <div className="spinner" role="status">
      <span className="sr-only">{label}…</span>
    </div>
  );
}

export function ErrorNote({ error, retry }: { error: unknown; retry?: () => void }) {
  const text =
    error && typeof error === "object" && "userMessage" in error
      ? String((error as { userMessage: string }).userMessage)
      : "Something went wrong while loading this.";
  const code =
    error && typeof error === "object" && "code" in error
      ? String((error as { code: unknown }).code)
      : null;
  return (
    <div className="error-note" role="alert">
      <p>{text}</p>
      {code === "mfa_required" && (
        <p>
          <Link to="/account#two-factor">Set up two-factor sign-in</Link>
        </p>
      )}
      {retry && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** A modal dialog on the native <dialog>: focus stays inside, Esc closes, the page is inert. */
export function Modal({
  open,
  onClose,
  title,
  children,
  className = "",
}: {
  open: boolean;
  onClose: () => void;
  title: string;
  children: ReactNode;
  className?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className={`modal ${className}`}
      aria-label={title}
      onClose={onClose}
      onClick={(e) => {
        if (e.target === ref.current) onClose();
      }}
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
        }
      }}
    >
      {open && children}
    </dialog>
  );
}

/* One way to write dates in the whole app: "Dec 2" this year, "Dec 2, 2026" otherwise, and
 * "Dec 2, 2026, 4:05 PM" where the time matters (tooltips). English, like the rest of the UI. */
const DAY = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric" });
const DAY_YEAR = new Intl.DateTimeFormat("en-US", {
  month: "short",
  day: "numeric",
  year: "numeric",
});
function dayTime(timeZone?: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat("en-US", {
    month: "short",
    day: "numeric",
    year: "numeric",
    hour: "numeric",
    minute: "2-digit",
    timeZone,
  });
}
let DAY_TIME = dayTime();
let displayZone: string | null = null;

/** Write moments in the account's time zone (an IANA name); null: the browser's own. */
export function setDisplayTimeZone(zone: string | null | undefined): void {
  if ((zone ?? null) === displayZone) return;
  try {
    DAY_TIME = dayTime(zone ?? undefined);
    displayZone = zone ?? null;
  } catch {
    // A zone this browser does not know: keep the browser's own.
    DAY_TIME = dayTime();
    displayZone = null;
  }
}

function formatDay(date: Date, now: Date): string {
  return (date.getFullYear() === now.getFullYear() ? DAY : DAY_YEAR).format(date);
}

/** A calendar day (`2026-12-02`, as due dates are): "Dec 2" or "Dec 2, 2027". */
export function formatDate(day: string | null | undefined, now = new Date()): string {
  if (!day) return "";
  const [y, m, d] = day.slice(0, 10).split("-").map(Number);
  return formatDay(new Date(y ?? 1970, (m ?? 1) - 1, d ?? 1), now);
}

/** A moment (an ISO timestamp), in full: "Dec 2, 2026, 4:05 PM". */
export function formatDateTime(iso: string): string {
  return DAY_TIME.format(new Date(iso));
}

/** A moment, relative while that helps ("5 min ago"), then as a day. */
export function timeAgo(iso: string, now = Date.now()): string {
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  if (days < 7) return `${days} d ago`;
  return formatDay(new Date(iso), new Date(now));
}
