import { describe, expect, it } from "vitest";
import { formatDate, formatDateTime, timeAgo } from "./ui";

describe("dates", () => {
  const now = new Date(2026, 11, 2, 12, 0);

  it("writes a day one way: the year only when it is not this year", () => {
    expect(formatDate("2026-12-02", now)).toBe("Dec 2");
    expect(formatDate("2027-01-15", now)).toBe("Jan 15, 2027");
    expect(formatDate(null, now)).toBe("");
  });

  it("is relative while that helps, then the same day format", () => {
    const at = (ms: number) => new Date(now.getTime() - ms).toISOString();
    expect(timeAgo(at(10_000), now.getTime())).toBe("just now");
    expect(timeAgo(at(5 * 60_000), now.getTime())).toBe("5 min ago");
    expect(timeAgo(at(3 * 3_600_000), now.getTime())).toBe("3 h ago");
    expect(timeAgo(at(2 * 86_400_000), now.getTime())).toBe("2 d ago");
    expect(timeAgo(new Date(2026, 9, 1, 9).toISOString(), now.getTime())).toBe("Oct 1");
    expect(timeAgo(new Date(2025, 9, 1, 9).toISOString(), now.getTime())).toBe("Oct 1, 2025");
  });

  it("gives the full moment for tooltips", () => {
    expect(formatDateTime(new Date(2026, 11, 2, 16, 5).toISOString())).toBe("Dec 2, 2026, 4:05 PM");
  });
});
