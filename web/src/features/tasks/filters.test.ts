import { describe, expect, it } from "vitest";
import {
  activeCount,
  boardQuery,
  EMPTY_FILTERS,
  fromSearchParams,
  groupFromSearchParams,
  isOverdue,
  matches,
  toggleSort,
  toQuery,
  toSearchParams,
  withFilters,
  withGroup,
} from "./filters";
import { task } from "./testdata";

describe("filters in the URL", () => {
  it("round-trips every filter", () => {
    const filters = {
      ...EMPTY_FILTERS,
      status_id: ["s1", "s2"],
      priority: ["high" as const],
      assignee_id: ["me", "none"],
      label_id: ["l1"],
      q: "login",
      due_before: "2026-12-01",
      due_after: "2026-01-01",
      sort: "-priority" as const,
    };
    expect(fromSearchParams(toSearchParams(filters))).toEqual(filters);
  });

  it("drops values the API would refuse", () => {
    const f = fromSearchParams(
      new URLSearchParams("priority=huge&priority=low&sort=sideways&due_before=tomorrow"),
    );
    expect(f.priority).toEqual(["low"]);
    expect(f.sort).toBe("position");
    expect(f.due_before).toBe("");
  });

  it("sends only what is set", () => {
    expect(toQuery(EMPTY_FILTERS)).toEqual({ sort: "position" });
    expect(toQuery({ ...EMPTY_FILTERS, q: "  x ", label_id: ["l"] })).toEqual({
      sort: "position",
      q: "x",
      label_id: ["l"],
    });
    expect(activeCount({ ...EMPTY_FILTERS, q: "x", status_id: ["a", "b"] })).toBe(2);
  });
});

describe("matches", () => {
  const me = "u-me";
  it("combines kinds with AND and values with OR, like the API", () => {
    const t = task({ status_id: "s1", priority: "high", label_ids: ["bug"], assignee_ids: [me] });
    expect(matches(t, { ...EMPTY_FILTERS, status_id: ["s1", "s2"], priority: ["high"] }, me)).toBe(
      true,
    );
    expect(matches(t, { ...EMPTY_FILTERS, status_id: ["s2"] }, me)).toBe(false);
    expect(matches(t, { ...EMPTY_FILTERS, label_id: ["ui", "bug"] }, me)).toBe(true);
    expect(matches(t, { ...EMPTY_FILTERS, assignee_id: ["me"] }, me)).toBe(true);
    expect(matches(t, { ...EMPTY_FILTERS, assignee_id: ["none"] }, me)).toBe(false);
    expect(
      matches(task({ assignee_ids: [] }), { ...EMPTY_FILTERS, assignee_id: ["none"] }, me),
    ).toBe(true);
  });

  it("filters by due dates, inclusive, and by text in title or description", () => {
    const t = task({ due_date: "2026-05-10", title: "Fix Login", description: "redirect loop" });
    expect(matches(t, { ...EMPTY_FILTERS, due_before: "2026-05-10" }, "")).toBe(true);
    expect(matches(t, { ...EMPTY_FILTERS, due_after: "2026-05-11" }, "")).toBe(false);
    expect(
      matches(task({ due_date: null }), { ...EMPTY_FILTERS, due_before: "2030-01-01" }, ""),
    ).toBe(false);
    expect(matches(t, { ...EMPTY_FILTERS, q: "login" }, "")).toBe(true);
    expect(matches(t, { ...EMPTY_FILTERS, q: "LOOP" }, "")).toBe(true);
    expect(matches(t, { ...EMPTY_FILTERS, q: "logout" }, "")).toBe(false);
  });
});

describe("isOverdue and sorting", () => {
  it("is overdue only when open and past due", () => {
    expect(isOverdue({ due_date: "2026-01-01", completed_at: null }, "2026-01-02")).toBe(true);
    expect(isOverdue({ due_date: "2026-01-02", completed_at: null }, "2026-01-02")).toBe(false);
    expect(
      isOverdue({ due_date: "2026-01-01", completed_at: "2026-01-01T10:00:00Z" }, "2026-02-01"),
    ).toBe(false);
  });

  it("toggles a column between ascending and descending", () => {
    expect(toggleSort("position", "priority")).toBe("priority");
    expect(toggleSort("priority", "priority")).toBe("-priority");
    expect(toggleSort("-priority", "priority")).toBe("priority");
  });
});

describe("the board's filters and grouping in the URL", () => {
  it("keeps the grouping when the filters change, and drops old filters", () => {
    const current = new URLSearchParams("group=assignee&priority=low&q=old");
    const next = withFilters(current, { ...EMPTY_FILTERS, priority: ["high"] });
    expect(next.getAll("priority")).toEqual(["high"]);
    expect(next.get("q")).toBeNull();
    expect(groupFromSearchParams(next)).toBe("assignee");
  });

  it("reads only the groupings it knows, and leaves none out of the URL", () => {
    expect(groupFromSearchParams(new URLSearchParams("group=priority"))).toBe("priority");
    expect(groupFromSearchParams(new URLSearchParams("group=colour"))).toBe("none");
    const params = new URLSearchParams("priority=high&group=priority");
    expect(withGroup(params, "none").toString()).toBe("priority=high");
    expect(withGroup(params, "assignee").get("group")).toBe("assignee");
    expect(params.get("group")).toBe("priority"); // not changed in place
  });

  it("sends a column the filters but neither the status filter nor the sort", () => {
    const filters = {
      ...EMPTY_FILTERS,
      status_id: ["s1"],
      assignee_id: ["me"],
      q: " bug ",
      sort: "-due" as const,
    };
    expect(boardQuery(filters)).toEqual({ assignee_id: ["me"], q: "bug" });
    expect(boardQuery(EMPTY_FILTERS)).toEqual({});
  });
});
