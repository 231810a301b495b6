import { describe, expect, it } from "vitest";
import {
  addDays,
  bucketLabel,
  daysBetween,
  daysText,
  lastDays,
  periodFromParams,
  periodParams,
  utcToday,
} from "./period";

const TODAY = "2026-12-05";

describe("days", () => {
  it("counts UTC days across months and years", () => {
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(addDays("2026-03-01", -1)).toBe("2026-02-28");
    expect(daysBetween("2026-11-06", TODAY)).toBe(29);
  });

  it("takes today in UTC, not in the browser's zone", () => {
    expect(utcToday(new Date("2026-12-05T23:30:00-05:00"))).toBe("2026-12-06");
  });

  it("has the last n days end today, both days included", () => {
    expect(lastDays(30, TODAY)).toEqual({ from: "2026-11-06", to: TODAY });
    expect(lastDays(1, TODAY)).toEqual({ from: TODAY, to: TODAY });
  });
});

describe("periodFromParams", () => {
  it("defaults to the last 30 days by week", () => {
    expect(periodFromParams(new URLSearchParams(), TODAY)).toEqual({
      preset: "30",
      from: "2026-11-06",
      to: TODAY,
      interval: "week",
    });
  });

  it("reads the 90-day preset and the day interval", () => {
    const p = periodFromParams(new URLSearchParams("period=90&interval=day"), TODAY);
    expect(p).toEqual({ preset: "90", from: "2026-09-07", to: TODAY, interval: "day" });
  });

  it("keeps a custom period, puts its days in order and caps its length", () => {
    const custom = (q: string) => periodFromParams(new URLSearchParams(q), TODAY);
    expect(custom("period=custom&from=2026-10-01&to=2026-10-31")).toMatchObject({
      from: "2026-10-01",
      to: "2026-10-31",
    });
    expect(custom("period=custom&from=2026-11-01&to=2026-10-01")).toMatchObject({
      from: "2026-10-01",
      to: "2026-10-01",
    });
    expect(custom("period=custom&from=2020-01-01&to=2026-12-05")).toMatchObject({
      from: "2025-12-05",
    });
    expect(custom("period=custom&from=nope&to=2026-13-45")).toMatchObject({
      from: "2026-11-06",
      to: TODAY,
    });
  });

  it("round-trips through the address and keeps the other parameters", () => {
    const period = periodFromParams(
      new URLSearchParams("period=custom&from=2026-10-01&to=2026-10-31&interval=day"),
      TODAY,
    );
    const params = periodParams(period, new URLSearchParams("q=label%3Abug"));
    expect(params.get("q")).toBe("label:bug");
    expect(periodFromParams(params, TODAY)).toEqual(period);
    const preset = periodParams({ ...period, preset: "30" }, params);
    expect(preset.has("from")).toBe(false);
  });
});

describe("labels", () => {
  it("writes buckets and durations for people", () => {
    expect(bucketLabel("2026-11-30", "week")).toBe("Week of Nov 30");
    expect(bucketLabel("2026-11-30", "day")).toBe("Nov 30");
    expect(daysText(1)).toBe("1 day");
    expect(daysText(2.345)).toBe("2.3 days");
    expect(daysText(12.6)).toBe("13 days");
    expect(daysText(null)).toBe("–");
  });
});
