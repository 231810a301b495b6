import { afterEach, describe, expect, it } from "vitest";
import {
  AVATAR_PALETTE,
  avatarColor,
  formatDateTime,
  noteAvatarColors,
  setDisplayTimeZone,
} from "../../app/ui";
import { matchZones, timeZones } from "./api";

describe("time zone search", () => {
  const zones = ["America/New_York", "Asia/Tokyo", "Europe/Berlin", "Europe/Paris", "UTC"];

  it("matches words in any order, with spaces for underscores", () => {
    expect(matchZones(zones, "new york")).toEqual(["America/New_York"]);
    expect(matchZones(zones, "york america")).toEqual(["America/New_York"]);
    expect(matchZones(zones, "europe/")).toEqual(["Europe/Berlin", "Europe/Paris"]);
    expect(matchZones(zones, "TOKYO")).toEqual(["Asia/Tokyo"]);
    expect(matchZones(zones, "atlantis")).toEqual([]);
  });

  it("lists everything, up to the limit, for an empty search", () => {
    expect(matchZones(zones, "  ")).toEqual(zones);
    expect(matchZones(zones, "", 2)).toEqual(zones.slice(0, 2));
  });

  it("knows the IANA zones and always offers the saved one", () => {
    const all = timeZones("Etc/Made_Up_For_Test");
    expect(all).toContain("Europe/Berlin");
    expect(all).toContain("Etc/Made_Up_For_Test");
    expect(all).toEqual([...all].sort());
  });
});

describe("avatar colours", () => {
  it("uses the colour given, by palette name or as #rrggbb", () => {
    expect(avatarColor("u1", "teal")).toBe(AVATAR_PALETTE.teal);
    expect(avatarColor("u1", "#123456")).toBe("#123456");
  });

  it("remembers the colours people chose, and forgets a cleared one", () => {
    const fallback = avatarColor("person-x");
    noteAvatarColors([{ user_id: "person-x", avatar_color: "violet" }]);
    expect(avatarColor("person-x")).toBe(AVATAR_PALETTE.violet);
    // A list without the field (an older payload) changes nothing.
    noteAvatarColors([{ user_id: "person-x" }]);
    expect(avatarColor("person-x")).toBe(AVATAR_PALETTE.violet);
    noteAvatarColors([{ id: "person-x", avatar_color: null }]);
    expect(avatarColor("person-x")).toBe(fallback);
  });
});

describe("display time zone", () => {
  afterEach(() => setDisplayTimeZone(null));
  const moment = "2026-12-02T12:00:00Z";

  it("writes moments in the account's zone", () => {
    setDisplayTimeZone("Asia/Tokyo");
    expect(formatDateTime(moment)).toBe("Dec 2, 2026, 9:00 PM");
    setDisplayTimeZone("America/New_York");
    expect(formatDateTime(moment)).toBe("Dec 2, 2026, 7:00 AM");
  });

  it("falls back to the browser's zone for one it does not know", () => {
    setDisplayTimeZone(null);
    const own = formatDateTime(moment);
    setDisplayTimeZone("Mars/Olympus_Mons");
    expect(formatDateTime(moment)).toBe(own);
  });
});
