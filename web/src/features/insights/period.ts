/**
 * The period an Insights page shows, kept in the address (`?period=30|90|custom&from=&to=
 * &interval=day|week&q=`). Days are UTC calendar days (`2026-12-05`), as the API counts them.
 */

export type Interval = "day" | "week";
export type Preset = "30" | "90" | "custom";

export interface Period {
  preset: Preset;
  /** First day, inclusive. */
  from: string;
  /** Last day, inclusive. */
  to: string;
  interval: Interval;
}

const DAY_MS = 86_400_000;
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
/** The API's longest period. */
export const MAX_DAYS = 366;

/** Today as a UTC day. */
export function utcToday(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

function toTime(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

/** `day` moved by `n` days (negative: back). */
export function addDays(day: string, n: number): string {
  return new Date(toTime(day) + n * DAY_MS).toISOString().slice(0, 10);
}

/** Days from `a` to `b` (0 for the same day). */
export function daysBetween(a: string, b: string): number {
  return Math.round((toTime(b) - toTime(a)) / DAY_MS);
}

export function isDay(text: string | null | undefined): text is string {
  return Boolean(text && ISO_DAY.test(text) && !Number.isNaN(toTime(text)));
}

/** The last `n` days up to and including `today`. */
export function lastDays(n: number, today: string): { from: string; to: string } {
  return { from: addDays(today, -(n - 1)), to: today };
}

/** The period in the address; anything missing or wrong falls back to the last 30 days, by
 * week. A custom period keeps its days in order and within the API's longest span. */
export function periodFromParams(params: URLSearchParams, today: string): Period {
  const interval: Interval = params.get("interval") === "day" ? "day" : "week";
  const preset = params.get("period");
  if (preset === "custom") {
    const rawTo = params.get("to");
    const rawFrom = params.get("from");
    const to = isDay(rawTo) ? rawTo : today;
    let from = isDay(rawFrom) ? rawFrom : lastDays(30, to).from;
    if (from > to) from = to;
    if (daysBetween(from, to) + 1 > MAX_DAYS) from = addDays(to, -(MAX_DAYS - 1));
    return { preset: "custom", from, to, interval };
  }
  const n = preset === "90" ? 90 : 30;
  return { preset: n === 90 ? "90" : "30", ...lastDays(n, today), interval };
}

/** The address parameters of a period (with the others kept). */
export function periodParams(period: Period, keep?: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams(keep);
  out.set("period", period.preset);
  out.set("interval", period.interval);
  if (period.preset === "custom") {
    out.set("from", period.from);
    out.set("to", period.to);
  } else {
    out.delete("from");
    out.delete("to");
  }
  return out;
}

const SHORT = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
const LONG = new Intl.DateTimeFormat("en-US", {
  month: "short",
  day: "numeric",
  year: "numeric",
  timeZone: "UTC",
});

/** "Dec 5", or "Dec 5, 2027" when the year is not `thisYear`. */
export function dayLabel(day: string, thisYear?: string): string {
  if (!isDay(day)) return day;
  const date = new Date(toTime(day));
  return (thisYear && day.slice(0, 4) !== thisYear ? LONG : SHORT).format(date);
}

/** An axis label for a bucket: the day, or "Week of Dec 1". */
export function bucketLabel(day: string, interval: Interval): string {
  return interval === "week" ? `Week of ${dayLabel(day)}` : dayLabel(day);
}

/** A number of days the way the charts write it: "0.5 days", "1 day", "12 days". */
export function daysText(days: number | null | undefined): string {
  if (days === null || days === undefined || Number.isNaN(days)) return "–";
  const rounded = days >= 10 ? Math.round(days) : Math.round(days * 10) / 10;
  return `${rounded} ${rounded === 1 ? "day" : "days"}`;
}
