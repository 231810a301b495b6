import { describe, expect, it } from "vitest";
import { hourLabel, type SettingsDraft, settingsChanges } from "./settings";

const saved: SettingsDraft = {
  types: {
    assigned: { in_app: "immediate", email: "immediate" },
    mentioned: { in_app: "immediate", email: "immediate" },
    commented: { in_app: "immediate", email: "digest" },
    status_changed: { in_app: "immediate", email: "digest" },
    due_soon: { in_app: "immediate", email: "immediate" },
    added: { in_app: "off", email: "immediate" },
    webhook_disabled: { in_app: "immediate", email: "immediate" },
  },
  digest_hour: 8,
  time_zone: "Europe/Berlin",
  projects: [{ project_id: "p1", level: "watching" }],
};

describe("settingsChanges", () => {
  it("is null when nothing changed", () => {
    expect(settingsChanges(saved, structuredClone(saved))).toBeNull();
  });

  it("sends only the kinds that changed, with both channels", () => {
    const draft = structuredClone(saved);
    draft.types.commented = { in_app: "off", email: "digest" };
    expect(settingsChanges(saved, draft)).toEqual({
      types: { commented: { in_app: "off", email: "digest" } },
    });
  });

  it("sends the hour and the zone when changed, null to clear the zone", () => {
    expect(settingsChanges(saved, { ...saved, digest_hour: 17 })).toEqual({ digest_hour: 17 });
    expect(settingsChanges(saved, { ...saved, time_zone: null })).toEqual({ time_zone: null });
  });

  it("sends the whole mute list when one is added, changed or removed", () => {
    const added = [...saved.projects, { project_id: "p2", level: "all" as const }];
    expect(settingsChanges(saved, { ...saved, projects: added })).toEqual({ projects: added });
    const changed = [{ project_id: "p1", level: "all" as const }];
    expect(settingsChanges(saved, { ...saved, projects: changed })).toEqual({
      projects: changed,
    });
    expect(settingsChanges(saved, { ...saved, projects: [] })).toEqual({ projects: [] });
  });
});

describe("hourLabel", () => {
  it("writes hours as the rest of the app writes times", () => {
    expect([0, 8, 12, 13, 23].map(hourLabel)).toEqual([
      "12:00 AM",
      "8:00 AM",
      "12:00 PM",
      "1:00 PM",
      "11:00 PM",
    ]);
  });
});
