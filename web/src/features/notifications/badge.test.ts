import { describe, expect, it } from "vitest";
import { badgeText, bellLabel } from "./badge";

describe("badgeText", () => {
  it("shows no badge at 0 (or before the count is known)", () => {
    expect(badgeText(0)).toBe("");
    expect(badgeText(undefined)).toBe("");
    expect(badgeText(-1)).toBe("");
  });

  it("shows the number up to 99, then 99+", () => {
    expect(badgeText(1)).toBe("1");
    expect(badgeText(99)).toBe("99");
    expect(badgeText(100)).toBe("99+");
    expect(badgeText(1000)).toBe("99+");
  });
});

describe("bellLabel", () => {
  it("names the bell and says how many are unread", () => {
    expect(bellLabel(0)).toBe("Notifications");
    expect(bellLabel(undefined)).toBe("Notifications");
    expect(bellLabel(3)).toBe("Notifications, 3 unread");
    expect(bellLabel(150)).toBe("Notifications, 150 unread");
  });

  it("says 'more than 999' at the API's cap", () => {
    expect(bellLabel(1000)).toBe("Notifications, more than 999 unread");
  });
});
