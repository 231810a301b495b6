import { describe, expect, it } from "vitest";
import { snoozeUntil, usableZone, wallClock, zonedTime } from "./snooze";

describe("zonedTime", () => {
  it("finds the moment a zone's wall clock shows a time, across summer and winter time", () => {
    expect(zonedTime(2026, 1, 15, 9, 0, "Europe/Berlin").toISOString()).toBe(
      "2026-01-15T08:00:00.000Z",
    );
    expect(zonedTime(2026, 7, 15, 9, 0, "Europe/Berlin").toISOString()).toBe(
      "2026-07-15T07:00:00.000Z",
    );
    expect(zonedTime(2026, 3, 9, 9, 0, "America/New_York").toISOString()).toBe(
      "2026-03-09T13:00:00.000Z",
    );
    expect(zonedTime(2026, 6, 1, 9, 0, "Asia/Kolkata").toISOString()).toBe(
      "2026-06-01T03:30:00.000Z",
    );
  });
});

describe("snoozeUntil", () => {
  it("is one hour later for 'hour'", () => {
    const now = new Date("2026-05-06T10:20:30Z");
    expect(snoozeUntil("hour", now, "Europe/Berlin").toISOString()).toBe(
      "2026-05-06T11:20:30.000Z",
    );
  });

  it("is tomorrow at 9:00 on the person's wall clock", () => {
    // 23:30 in UTC on Wednesday is already Thursday 01:30 in Berlin: tomorrow is Friday.
    const now = new Date("2026-05-06T23:30:00Z");
    expect(snoozeUntil("tomorrow", now, "Europe/Berlin").toISOString()).toBe(
      "2026-05-08T07:00:00.000Z",
    );
    expect(snoozeUntil("tomorrow", now, "America/Los_Angeles").toISOString()).toBe(
      "2026-05-07T16:00:00.000Z",
    );
  });

  it("is next Monday at 9:00, a week on when today is Monday", () => {
    const wednesday = new Date("2026-05-06T12:00:00Z");
    expect(snoozeUntil("monday", wednesday, "UTC").toISOString()).toBe("2026-05-11T09:00:00.000Z");
    const monday = new Date("2026-05-11T12:00:00Z");
    expect(snoozeUntil("monday", monday, "UTC").toISOString()).toBe("2026-05-18T09:00:00.000Z");
    const sunday = new Date("2026-05-10T12:00:00Z");
    expect(snoozeUntil("monday", sunday, "UTC").toISOString()).toBe("2026-05-11T09:00:00.000Z");
  });

  it("crosses a change to summer time at the wall clock's 9:00", () => {
    // Europe's clocks go forward on Sunday 2026-03-29.
    const saturday = new Date("2026-03-28T12:00:00Z");
    expect(snoozeUntil("monday", saturday, "Europe/Paris").toISOString()).toBe(
      "2026-03-30T07:00:00.000Z",
    );
    expect(snoozeUntil("tomorrow", saturday, "Europe/Paris").toISOString()).toBe(
      "2026-03-29T07:00:00.000Z",
    );
  });

  it("falls back to a zone the browser knows", () => {
    expect(usableZone("Not/A_Zone")).not.toBe("Not/A_Zone");
    expect(usableZone("Asia/Tokyo")).toBe("Asia/Tokyo");
    const w = wallClock(new Date("2026-05-06T23:30:00Z"), "Asia/Tokyo");
    expect([w.day, w.hour, w.minute, w.weekday]).toEqual([7, 8, 30, 4]);
  });
});
