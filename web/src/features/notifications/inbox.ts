/** The inbox's small rules: where a notification leads, what its kind is called, which box
 * the address names. */
import { taskPath } from "../tasks/paths";
import type { Box, Kind, Notification } from "./api";

export const BOXES: ReadonlyArray<{ box: Box; label: string; empty: string }> = [
  { box: "inbox", label: "Inbox", empty: "You're all caught up." },
  { box: "snoozed", label: "Snoozed", empty: "Nothing is snoozed." },
  { box: "archived", label: "Archived", empty: "Nothing is archived." },
];

export const KIND_LABEL: Record<Kind, string> = {
  assigned: "Assigned",
  mentioned: "Mentioned",
  commented: "Comment",
  status_changed: "Status",
  due_soon: "Due soon",
  added: "Added",
  webhook_disabled: "Webhook",
};

export function boxOf(value: string | null): Box {
  return BOXES.some((b) => b.box === value) ? (value as Box) : "inbox";
}

/** Where clicking a notification goes: its task (by key, in its workspace), else its project,
 * else its workspace (a disabled webhook: the workspace's webhooks); null when it names nothing
 * you can still see. */
export function notificationTarget(
  n: Pick<Notification, "task_key" | "project_id" | "workspace_id"> &
    Partial<Pick<Notification, "type">>,
  slugOf: (workspaceId: string) => string | undefined,
): string | null {
  if (n.type === "webhook_disabled" && n.workspace_id) {
    return `/w/${n.workspace_id}/settings/webhooks`;
  }
  if (n.task_key) return taskPath(n.workspace_id ? slugOf(n.workspace_id) : undefined, n.task_key);
  if (n.project_id) return `/p/${n.project_id}`;
  if (n.workspace_id) return `/w/${n.workspace_id}`;
  return null;
}

/** After `id` leaves the list (archived, snoozed): the item to select instead, the next one,
 * else the one before. */
export function neighbour(ids: readonly string[], id: string): string | null {
  const at = ids.indexOf(id);
  if (at === -1) return null;
  return ids[at + 1] ?? ids[at - 1] ?? null;
}
