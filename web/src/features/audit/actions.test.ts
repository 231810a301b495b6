import { describe, expect, it } from "vitest";
import { describeAction, describeDetails } from "./actions";
import type { AuditEntry } from "./api";
import { auditQuery } from "./api";

function entry(action: string, details: Record<string, unknown>): AuditEntry {
  return {
    seq: 1,
    at: "2026-12-04T06:00:00Z",
    actor_id: null,
    actor_email: null,
    workspace_id: null,
    action,
    ip: null,
    details,
    hash: "0",
  };
}

describe("audit actions", () => {
  it("reads actions and their details", () => {
    expect(describeAction("member.role_changed")).toBe("Changed a member's role");
    expect(describeAction("something.new")).toBe("something.new");
    expect(
      describeDetails(
        entry("member.role_changed", { email: "b@x.io", from: "member", to: "admin" }),
      ),
    ).toBe("b@x.io: member → admin");
    expect(
      describeDetails(
        entry("workspace.updated", { changes: { require_mfa: { from: false, to: true } } }),
      ),
    ).toBe("requires two-factor sign-in");
    expect(
      describeDetails(
        entry("workspace.updated", {
          changes: { require_sso: { from: false, to: true } },
          sessions_ended: 3,
        }),
      ),
    ).toBe("requires single sign-on (3 sessions ended)");
    expect(describeDetails(entry("auth.login_failed", { email: "a@x.io", step: "passkey" }))).toBe(
      "a@x.io: passkey not accepted",
    );
    expect(describeDetails(entry("auth.login_failed", { email: "a@x.io", step: "password" }))).toBe(
      "a@x.io: wrong password or unknown account",
    );
    expect(describeDetails(entry("auth.passkey_added", { name: "Yubikey" }))).toBe("“Yubikey”");
    expect(describeDetails(entry("auth.login", { via: "cookie", sso: true }))).toBe(
      "browser, single sign-on",
    );
  });

  it("reads webhook changes, with the webhook's URL", () => {
    expect(describeAction("webhook.secret_rotated")).toBe("Gave a webhook a new secret");
    const details = { webhook_id: "w1", url: "https://example.com/hook" };
    expect(describeDetails(entry("webhook.created", details))).toBe("https://example.com/hook");
    expect(describeDetails(entry("webhook.deleted", details))).toBe("https://example.com/hook");
  });

  it("turns a day range into the API's time range", () => {
    const q = auditQuery({ action: "auth.", from: "2026-12-01", to: "2026-12-03" });
    expect(q.action).toBe("auth.");
    expect(new Date(q.since ?? "").getDate()).toBe(1);
    expect(new Date(q.until ?? "").getDate()).toBe(4);
    expect(auditQuery({})).toEqual({});
  });
});
