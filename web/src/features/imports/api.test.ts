import { describe, expect, it } from "vitest";
import {
  describeCounts,
  describeProblems,
  exportUrl,
  isFinished,
  mappingKind,
  toImport,
} from "./api";

describe("imports", () => {
  it("counts what a run would write", () => {
    expect(toImport({ create: 3, update: 2, skip: 5, error: 1 })).toBe(5);
  });

  it("describes a dry run and a finished run", () => {
    const counts = { create: 3, update: 1, skip: 2, error: 1 };
    expect(describeCounts(counts, false)).toBe(
      "3 to create, 1 to update, 2 unchanged or skipped, 1 row with errors",
    );
    expect(describeCounts({ ...counts, error: 0 }, true)).toBe(
      "3 created, 1 updated, 2 skipped, 0 rows with errors",
    );
  });

  it("puts the column before each problem", () => {
    const row = {
      row: 3,
      action: "error" as const,
      external_id: "P-2",
      key: null,
      title: "x",
      changes: [],
      problems: [
        { column: "status", message: "No status 'Later'.", severity: "error" },
        { column: null, message: "Row 2 already has the id.", severity: "error" },
      ],
    };
    expect(describeProblems(row)).toBe("status: No status 'Later'. Row 2 already has the id.");
    expect(describeProblems({ ...row, action: "update", problems: [], changes: ["title"] })).toBe(
      "Changes title",
    );
  });

  it("knows finished runs and builds the export address", () => {
    expect(isFinished(undefined)).toBe(false);
    expect(exportUrl("p 1", true)).toBe("/api/v1/projects/p%201/export.csv?trashed=true");
  });

  it("names the kinds of the mapping", () => {
    expect(mappingKind("status")).toBe("Status");
    expect(mappingKind("other")).toBe("other");
  });
});
