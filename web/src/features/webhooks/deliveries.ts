/** The deliveries view's small rules: how a delivery's status, duration, next attempt, headers
 * and bodies are written, the replay window, and what a refused webhook call means. */
import { ApiError } from "../../api/client";

export type DeliveryStatus = "pending" | "delivered" | "failed";

export const STATUSES: ReadonlyArray<{ status: DeliveryStatus; label: string }> = [
  { status: "delivered", label: "Delivered" },
  { status: "pending", label: "Pending" },
  { status: "failed", label: "Failed" },
];

export function statusLabel(status: string): string {
  return STATUSES.find((s) => s.status === status)?.label ?? status;
}

/** Whether any delivery is still on its way (the view then refreshes by itself). */
export function anyPending(items: ReadonlyArray<{ status: string }>): boolean {
  return items.some((d) => d.status === "pending");
}

/** "85 ms", "2.4 s", "12 s"; a dash when nothing was timed. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 1000)} s`;
}

/** When the next attempt goes, from now: "now", "in 40 s", "in 5 min", "in 2 h". */
export function untilText(iso: string, now = Date.now()): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  if (seconds <= 1) return "now";
  if (seconds < 60) return `in ${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `in ${minutes} min`;
  return `in ${Math.round(minutes / 60)} h`;
}

/** A JSON value as people read it: indented by two spaces. */
export function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? "";
}

/** A response body: pretty-printed when it is JSON, as it came otherwise. */
export function prettyBody(body: string | null | undefined): string {
  if (!body) return "";
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed !== null && typeof parsed === "object") return prettyJson(parsed);
  } catch {
    // Not JSON: shown as it came.
  }
  return body;
}

/** Request headers as `[name, value]`, sorted by name. */
export function headerLines(headers: Record<string, unknown>): Array<[string, string]> {
  return Object.entries(headers)
    .map(([name, value]): [string, string] => [
      name,
      typeof value === "string" ? value : JSON.stringify(value),
    ])
    .sort(([a], [b]) => a.localeCompare(b));
}

/** A moment as a `datetime-local` input's value ("2026-12-04T09:30") in the browser's zone. */
export function localInputValue(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}`
  );
}

/** The replay's window from two `datetime-local` values (the browser's zone), as the API takes
 * it; null when either is missing or `until` is not after `since`. */
export function replayWindow(
  since: string,
  until: string,
): { since: string; until: string } | null {
  const from = new Date(since);
  const to = new Date(until);
  if (!since || !until || Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) return null;
  if (to <= from) return null;
  return { since: from.toISOString(), until: to.toISOString() };
}

/** The message of the first field refused under `prefix` (`event_types` covers
 * `event_types.2`), or null. */
export function fieldMessage(error: unknown, prefix: string): string | null {
  if (!(error instanceof ApiError)) return null;
  const found = error.problem.errors?.find(
    (e) => e.field === prefix || e.field.startsWith(`${prefix}.`),
  );
  return found?.message ?? null;
}

/** A refused webhook call, as a person can act on it. */
export function explainError(error: unknown, fallback: string): string {
  if (!(error instanceof ApiError)) return fallback;
  if (error.code === "too_many_webhooks") {
    return "This workspace has as many webhooks as it may (25). Delete one it no longer needs first.";
  }
  if (error.status === 403) return "Only the workspace's owners and admins manage its webhooks.";
  if (error.status === 404) return "This webhook no longer exists.";
  return error.userMessage;
}
