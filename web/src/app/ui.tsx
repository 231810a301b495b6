/** Small building blocks shared by every feature. */
import { type ReactNode, useEffect, useRef } from "react";
import type { Label, Priority } from "../api/types";
import { PRIORITY_LABEL } from "../api/types";

const AVATAR_COLORS = [
  "#6366f1",
  "#0ea5e9",
  "#10b981",
  "#f59e0b",
  "#ef4444",
  "#8b5cf6",
  "#ec4899",
  "#14b8a6",
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

export function Avatar({ name, id, size = 22 }: { name: string; id: string; size?: number }) {
  return (
    <span
      className="avatar"
      title={name}
      style={{
        width: size,
        height: size,
        background: AVATAR_COLORS[hash(id) % AVATAR_COLORS.length],
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
  people: Array<{ id: string; name: string }>;
  max?: number;
}) {
  const shown = people.slice(0, max);
  return (
    <span className="avatar-stack">
      {shown.map((p) => (
        <Avatar key={p.id} id={p.id} name={p.name} />
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
  return (
    <div className="error-note" role="alert">
      <p>{text}</p>
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
const DAY_TIME = new Intl.DateTimeFormat("en-US", {
  month: "short",
  day: "numeric",
  year: "numeric",
  hour: "numeric",
  minute: "2-digit",
});

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
