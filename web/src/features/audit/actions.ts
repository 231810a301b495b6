/** The audit log's actions as a person reads them. */
import type { AuditEntry } from "./api";

export const ACTION_TEXT: Record<string, string> = {
  "auth.login": "Signed in",
  "auth.login_failed": "Failed sign-in",
  "auth.mfa_enabled": "Turned on two-factor sign-in",
  "auth.mfa_disabled": "Turned off two-factor sign-in",
  "auth.recovery_codes_regenerated": "Made new recovery codes",
  "auth.password_changed": "Changed their password",
  "auth.passkey_added": "Added a passkey",
  "auth.passkey_removed": "Removed a passkey",
  "auth.sso_account_created": "Account made by single sign-on",
  "auth.sso_linked": "Linked single sign-on to the account",
  "token.created": "Created an API token",
  "token.revoked": "Revoked an API token",
  "session.ended": "Ended a sign-in session",
  "calendar_feed.rotated": "Got a new calendar address",
  "member.invited": "Invited someone",
  "member.added": "Joined the workspace",
  "member.removed": "Removed a member",
  "member.role_changed": "Changed a member's role",
  "invitation.cancelled": "Cancelled an invitation",
  "workspace.updated": "Changed the workspace's settings",
  "workspace.exported": "Exported the workspace (an archive)",
  "workspace.imported": "Made the workspace from an archive",
  "webhook.created": "Added a webhook",
  "webhook.updated": "Changed a webhook",
  "webhook.deleted": "Deleted a webhook",
  "webhook.secret_rotated": "Gave a webhook a new secret",
  "audit.exported": "Exported the audit log",
};

/** The kinds the page filters by (a prefix ends with a dot), then single actions. */
export const ACTION_KINDS: { value: string; label: string }[] = [
  { value: "auth.", label: "Sign-in and two-factor" },
  { value: "auth.login_failed", label: "Failed sign-ins only" },
  { value: "token.", label: "API tokens" },
  { value: "session.", label: "Sessions" },
  { value: "calendar_feed.", label: "Calendar addresses" },
  { value: "member.", label: "Members" },
  { value: "member.role_changed", label: "Role changes only" },
  { value: "invitation.", label: "Invitations" },
  { value: "workspace.", label: "Workspace settings" },
  { value: "webhook.", label: "Webhooks" },
  { value: "audit.", label: "Audit log exports" },
];

const FAILED_STEP: Record<string, string> = {
  second_factor: "wrong code",
  passkey: "passkey not accepted",
};

export function describeAction(action: string): string {
  return ACTION_TEXT[action] ?? action;
}

function text(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** One line of what happened, from the entry's details. */
export function describeDetails(entry: AuditEntry): string {
  const d = entry.details as Record<string, unknown>;
  switch (entry.action) {
    case "auth.login":
      return `${d.via === "cookie" ? "browser" : "API"}${d.sso ? ", single sign-on" : ""}${d.second_factor ? ", with a second factor" : ""}`;
    case "auth.sso_account_created":
    case "auth.sso_linked":
      return `${text(d.email)} at ${text(d.issuer)}`;
    case "auth.login_failed":
      return `${text(d.email)}: ${FAILED_STEP[String(d.step)] ?? "wrong password or unknown account"}`;
    case "auth.passkey_added":
      return `“${text(d.name)}”`;
    case "member.role_changed":
      return `${text(d.email)}: ${text(d.from)} → ${text(d.to)}`;
    case "member.invited":
    case "member.added":
      return `${text(d.email)} as ${text(d.role)}`;
    case "member.removed":
      return `${text(d.email)} (${text(d.role)})${d.left ? ", left" : ""}`;
    case "invitation.cancelled":
      return text(d.email);
    case "token.created":
      return `“${text(d.name)}”, ${Array.isArray(d.scopes) ? d.scopes.join(", ") : ""}`;
    case "auth.password_changed":
      return `${text(d.sessions_ended)} other sessions ended`;
    case "workspace.updated": {
      const changes = (d.changes ?? {}) as Record<string, { from?: unknown; to?: unknown }>;
      return Object.entries(changes)
        .map(([field, c]) =>
          field === "require_mfa"
            ? c.to
              ? "requires two-factor sign-in"
              : "no longer requires two-factor sign-in"
            : field === "require_sso"
              ? c.to
                ? `requires single sign-on (${text(d.sessions_ended)} sessions ended)`
                : "no longer requires single sign-on"
              : `${field}: ${text(c.from)} → ${text(c.to)}`,
        )
        .join("; ");
    }
    case "webhook.created":
    case "webhook.updated":
    case "webhook.deleted":
    case "webhook.secret_rotated":
      return text(d.url);
    case "audit.exported":
      return String(d.format ?? "").toUpperCase();
    default:
      return Object.keys(d).length ? JSON.stringify(d) : "";
  }
}
