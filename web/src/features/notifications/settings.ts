/** The notification settings form: what each kind and channel is called, and the PUT body
 * that sends only what changed. */
import type {
  Channels,
  Email,
  InApp,
  Kind,
  Mute,
  NotificationSettings,
  NotificationSettingsWrite,
  ProjectMute,
} from "./api";

export const KINDS: ReadonlyArray<{ kind: Kind; label: string; description: string }> = [
  { kind: "assigned", label: "Assigned to you", description: "You were assigned a task." },
  {
    kind: "mentioned",
    label: "Mentions",
    description: "Someone mentioned you in a comment or a task description.",
  },
  { kind: "commented", label: "Comments", description: "Someone commented on a task you watch." },
  {
    kind: "status_changed",
    label: "Status changes",
    description: "A task you watch changed status.",
  },
  {
    kind: "due_soon",
    label: "Due soon",
    description: "A task assigned to you is due within a day.",
  },
  {
    kind: "added",
    label: "Added to a workspace or project",
    description: "You were added to a workspace or a project.",
  },
  {
    kind: "webhook_disabled",
    label: "Webhook disabled",
    description: "A webhook of a workspace you administer was disabled.",
  },
];

export const IN_APP: ReadonlyArray<[InApp, string]> = [
  ["off", "Off"],
  ["immediate", "On"],
];

export const EMAIL: ReadonlyArray<[Email, string]> = [
  ["off", "Off"],
  ["immediate", "Immediately"],
  ["digest", "Daily digest"],
];

export const MUTES: ReadonlyArray<[Mute, string]> = [
  ["watching", "Only direct (mute watching)"],
  ["all", "Mute everything"],
];

/** What the form edits. */
export type SettingsDraft = Pick<
  NotificationSettings,
  "types" | "digest_hour" | "time_zone" | "projects"
>;

const DEFAULT_CHANNELS: Channels = { in_app: "immediate", email: "off" };

export function channelsOf(draft: SettingsDraft, kind: Kind): Channels {
  return draft.types[kind] ?? DEFAULT_CHANNELS;
}

function sameMutes(a: readonly ProjectMute[], b: readonly ProjectMute[]): boolean {
  return (
    a.length === b.length &&
    a.every((m, i) => m.project_id === b[i]?.project_id && m.level === b[i]?.level)
  );
}

/** The PUT body for going from `saved` to `draft`: only the kinds that changed, the digest
 * hour and time zone if changed, and the whole mute list if it changed; null if nothing did. */
export function settingsChanges(
  saved: SettingsDraft,
  draft: SettingsDraft,
): NotificationSettingsWrite | null {
  const body: NotificationSettingsWrite = {};
  const types: Record<string, Channels> = {};
  for (const { kind } of KINDS) {
    const before = channelsOf(saved, kind);
    const after = channelsOf(draft, kind);
    if (before.in_app !== after.in_app || before.email !== after.email) types[kind] = after;
  }
  if (Object.keys(types).length) body.types = types;
  if (draft.digest_hour !== saved.digest_hour) body.digest_hour = draft.digest_hour;
  if ((draft.time_zone ?? null) !== (saved.time_zone ?? null)) body.time_zone = draft.time_zone;
  if (!sameMutes(saved.projects, draft.projects)) body.projects = draft.projects;
  return Object.keys(body).length ? body : null;
}

/** "8:00 AM" for 8: how the digest hour is offered. */
export function hourLabel(hour: number): string {
  const h = hour % 12 === 0 ? 12 : hour % 12;
  return `${h}:00 ${hour < 12 ? "AM" : "PM"}`;
}
