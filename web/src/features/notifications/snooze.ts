/**
 * When a snoozed notification comes back: in an hour, tomorrow at 9:00, or next Monday at 9:00,
 * on the wall clock of the person's time zone (the account's, else the browser's).
 */

export type SnoozeChoice = "hour" | "tomorrow" | "monday";

export const SNOOZE_CHOICES: ReadonlyArray<{ choice: SnoozeChoice; label: string }> = [
  { choice: "hour", label: "For 1 hour" },
  { choice: "tomorrow", label: "Until tomorrow, 9:00" },
  { choice: "monday", label: "Until next Monday, 9:00" },
];

const MORNING = 9;
const HOUR_MS = 3_600_000;

interface Wall {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  /** 0 (Sunday) to 6 (Saturday). */
  weekday: number;
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const formats = new Map<string, Intl.DateTimeFormat>();

function format(zone: string): Intl.DateTimeFormat {
  let found = formats.get(zone);
  if (!found) {
    found = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      weekday: "short",
    });
    formats.set(zone, found);
  }
  return found;
}

/** The wall clock in `zone` at `date`. */
export function wallClock(date: Date, zone: string): Wall & { second: number } {
  const parts: Record<string, string> = {};
  for (const p of format(zone).formatToParts(date)) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: WEEKDAYS.indexOf(parts.weekday ?? "Sun"),
  };
}

/** How far `zone`'s wall clock is ahead of UTC at `date`, in ms. */
function offset(date: Date, zone: string): number {
  const w = wallClock(date, zone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(date.getTime() / 1000) * 1000;
}

/** The moment the wall clock in `zone` shows the given day and time. */
export function zonedTime(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  zone: string,
): Date {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  // The offset at the guess may differ from the one at the answer (a DST change in between):
  // a second pass settles it.
  let at = wall - offset(new Date(wall), zone);
  at = wall - offset(new Date(at), zone);
  return new Date(at);
}

/** A zone Intl knows: `zone`, else the browser's, else UTC. */
export function usableZone(zone: string | null | undefined): string {
  for (const candidate of [zone, Intl.DateTimeFormat().resolvedOptions().timeZone]) {
    if (!candidate) continue;
    try {
      format(candidate);
      return candidate;
    } catch {
      // Not a zone this browser knows.
    }
  }
  return "UTC";
}

/** When a notification snoozed now with `choice` comes back. */
export function snoozeUntil(
  choice: SnoozeChoice,
  now: Date = new Date(),
  zone?: string | null,
): Date {
  if (choice === "hour") return new Date(now.getTime() + HOUR_MS);
  const where = usableZone(zone);
  const today = wallClock(now, where);
  // Monday next week when today is Monday.
  const days = choice === "tomorrow" ? 1 : (1 - today.weekday + 7) % 7 || 7;
  const target = new Date(Date.UTC(today.year, today.month - 1, today.day + days));
  return zonedTime(
    target.getUTCFullYear(),
    target.getUTCMonth() + 1,
    target.getUTCDate(),
    MORNING,
    0,
    where,
  );
}
