/** The event types a webhook can ask for, grouped by family, and the checklist's selection: a
 * webhook's `event_types` patterns (`task.created`, `task.*`, `*`) read into checkboxes and
 * written back. A family (`task.*`) or everything (`*`) also takes the types added later, so
 * they stay patterns rather than being spelled out. */
import type { EventType } from "../../api/types";

/** notification.created names no workspace: no webhook can carry it (the server refuses it). */
export type Subscribable = Exclude<EventType, "notification.created">;

export interface EventChoice {
  type: Subscribable;
  label: string;
}

export interface EventFamily {
  family: string;
  label: string;
  types: readonly EventChoice[];
}

export const FAMILIES = [
  {
    family: "task",
    label: "Tasks",
    types: [
      { type: "task.created", label: "Created" },
      { type: "task.updated", label: "Changed" },
      { type: "task.moved", label: "Moved (status or position)" },
      { type: "task.deleted", label: "Moved to the trash" },
      { type: "task.restored", label: "Restored from the trash" },
      { type: "task.relation_added", label: "Relation added" },
      { type: "task.relation_removed", label: "Relation removed" },
    ],
  },
  {
    family: "comment",
    label: "Comments",
    types: [
      { type: "comment.created", label: "Added" },
      { type: "comment.updated", label: "Edited" },
      { type: "comment.deleted", label: "Deleted" },
    ],
  },
  {
    family: "attachment",
    label: "Attachments",
    types: [
      { type: "attachment.added", label: "Added" },
      { type: "attachment.removed", label: "Removed" },
    ],
  },
  {
    family: "project",
    label: "Projects",
    types: [
      { type: "project.created", label: "Created" },
      { type: "project.updated", label: "Changed" },
      { type: "project.deleted", label: "Deleted" },
      { type: "project.member_added", label: "Member added" },
      { type: "project.member_updated", label: "Member's role changed" },
      { type: "project.member_removed", label: "Member removed" },
    ],
  },
  {
    family: "status",
    label: "Statuses",
    types: [
      { type: "status.created", label: "Created" },
      { type: "status.updated", label: "Changed" },
      { type: "status.deleted", label: "Deleted" },
    ],
  },
  {
    family: "label",
    label: "Labels",
    types: [
      { type: "label.created", label: "Created" },
      { type: "label.updated", label: "Changed" },
      { type: "label.deleted", label: "Deleted" },
    ],
  },
  {
    family: "workspace",
    label: "Workspace",
    types: [
      { type: "workspace.updated", label: "Renamed" },
      { type: "workspace.member_added", label: "Member added" },
      { type: "workspace.member_updated", label: "Member's role changed" },
      { type: "workspace.member_removed", label: "Member removed" },
    ],
  },
] as const satisfies readonly EventFamily[];

/** Accepted by the server but not offered: a webhook cannot exist before its workspace, and
 * goes with it. */
export const NOT_OFFERED = ["workspace.created", "workspace.deleted"] as const;

type Offered = (typeof FAMILIES)[number]["types"][number]["type"];
// A new event type in the API fails the type check here until it is offered or set aside.
type Unlisted = Exclude<Subscribable, Offered | (typeof NOT_OFFERED)[number]>;
const everyTypeIsListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyTypeIsListed;

export const ALL_TYPES: readonly string[] = FAMILIES.flatMap((f) => f.types.map((t) => t.type));
const KNOWN = new Set<string>([...ALL_TYPES, ...NOT_OFFERED]);
const FAMILY_NAMES = new Set<string>(FAMILIES.map((f) => f.family));

export function familyOf(type: string): string {
  return type.split(".", 1)[0] ?? type;
}

/** The checklist's state. `other` keeps patterns this app does not know (a newer server's), so
 * that saving does not drop them. */
export interface Selection {
  all: boolean;
  families: ReadonlySet<string>;
  types: ReadonlySet<string>;
  other: readonly string[];
}

export const EMPTY: Selection = { all: false, families: new Set(), types: new Set(), other: [] };

export function parsePatterns(patterns: readonly string[]): Selection {
  const families = new Set<string>();
  const types = new Set<string>();
  const other: string[] = [];
  let all = false;
  for (const p of patterns) {
    if (p === "*") all = true;
    else if (p.endsWith(".*") && FAMILY_NAMES.has(p.slice(0, -2))) families.add(p.slice(0, -2));
    else if (KNOWN.has(p)) types.add(p);
    else if (!other.includes(p)) other.push(p);
  }
  return { all, families, types, other };
}

/** The patterns to send: `*` alone when everything is chosen, else each whole family as
 * `family.*` and the single types outside those, in the checklist's order. */
export function toPatterns(selection: Selection): string[] {
  if (selection.all) return ["*"];
  const out: string[] = [];
  for (const f of FAMILIES) if (selection.families.has(f.family)) out.push(`${f.family}.*`);
  for (const type of [...ALL_TYPES, ...NOT_OFFERED]) {
    if (selection.types.has(type) && !selection.families.has(familyOf(type))) out.push(type);
  }
  return [...out, ...selection.other];
}

/** Whether a type is sent: chosen alone, or through its family or everything. */
export function isSent(selection: Selection, type: string): boolean {
  return selection.all || selection.families.has(familyOf(type)) || selection.types.has(type);
}

export function isEmpty(selection: Selection): boolean {
  return toPatterns(selection).length === 0;
}

export function setAll(selection: Selection, on: boolean): Selection {
  return { ...selection, all: on };
}

export function setFamily(selection: Selection, family: string, on: boolean): Selection {
  const families = new Set(selection.families);
  if (on) families.add(family);
  else families.delete(family);
  return { ...selection, families };
}

export function setType(selection: Selection, type: string, on: boolean): Selection {
  const types = new Set(selection.types);
  if (on) types.add(type);
  else types.delete(type);
  return { ...selection, types };
}

/** A pattern as a person reads it, for the list of webhooks. */
export function describePattern(pattern: string): string {
  if (pattern === "*") return "Every event";
  if (pattern.endsWith(".*")) {
    const family = pattern.slice(0, -2);
    return FAMILY_NAMES.has(family) ? `All ${family} events` : pattern;
  }
  return pattern;
}
