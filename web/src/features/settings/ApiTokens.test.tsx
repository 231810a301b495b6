import { describe, expect, it } from "vitest";
import { accessLabel, EXPIRY, expiresAt, formatDay, isExpired } from "./ApiTokens";

const NOW = Date.parse("2026-12-03T23:30:00Z");
const DAY = 24 * 60 * 60 * 1000;

describe("token expiry", () => {
  it("counts the days of each choice from now, and never is null", () => {
    expect(expiresAt("30", NOW)).toBe(new Date(NOW + 30 * DAY).toISOString());
    expect(expiresAt("90", NOW)).toBe("2027-03-03T23:30:00.000Z");
    expect(expiresAt("365", NOW)).toBe("2027-12-03T23:30:00.000Z");
    expect(expiresAt("never", NOW)).toBeNull();
    expect(EXPIRY.map((e) => e.label)).toEqual(["30 days", "90 days", "1 year", "Never"]);
  });

  it("marks a token expired from its expiry on, and never one without", () => {
    const at = "2026-12-03T23:30:00Z";
    expect(isExpired({ expires_at: at }, NOW - 1)).toBe(false);
    expect(isExpired({ expires_at: at }, NOW)).toBe(true);
    expect(isExpired({ expires_at: null }, NOW + 1000 * DAY)).toBe(false);
  });

  it("writes the day in the account's time zone", () => {
    expect(formatDay("2026-12-03T23:30:00Z", "UTC")).toBe("Dec 3, 2026");
    expect(formatDay("2026-12-03T23:30:00Z", "Asia/Tokyo")).toBe("Dec 4, 2026");
    // A zone this browser does not know: the browser's own, rather than nothing.
    expect(formatDay("2026-06-15T12:00:00Z", "Mars/Olympus_Mons")).toMatch(/^Jun 1[45], 2026$/);
  });
});

describe("token access", () => {
  it("names the widest scope held", () => {
    expect(accessLabel(["read"])).toBe("Read only");
    expect(accessLabel(["write"])).toBe("Read and write");
    expect(accessLabel(["read", "write"])).toBe("Read and write");
    expect(accessLabel(["admin"])).toBe("Full access (admin)");
    expect(accessLabel(["read", "write", "admin"])).toBe("Full access (admin)");
  });

  it("shows a scope it does not know as it is", () => {
    expect(accessLabel(["billing"])).toBe("billing");
  });
});
