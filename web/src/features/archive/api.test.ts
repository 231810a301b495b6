import { describe, expect, it } from "vitest";
import { ApiError } from "../../api/client";
import {
  describeContents,
  describeImport,
  describeUploadError,
  downloadUrl,
  exportState,
  isUnfinished,
  type WorkspaceExport,
  type WorkspaceImport,
} from "./api";

const done: WorkspaceExport = {
  id: "e1",
  workspace_id: "w 1",
  state: "done",
  filename: "acme-20261205-101500.tar.gz",
  size: 2048,
  contents: { rows: 1234, files: 1, tables: { tasks: 40 } },
  error: null,
  created_by: "u1",
  created_at: "2026-12-05T10:15:00Z",
  finished_at: "2026-12-05T10:15:03Z",
  expires_at: "2026-12-12T10:15:00Z",
};

function imported(summary: Partial<NonNullable<WorkspaceImport["summary"]>>): WorkspaceImport {
  return {
    id: "i1",
    state: "done",
    filename: "acme.tar.gz",
    size: 2048,
    source: { slug: "acme", name: "Acme", made_at: null },
    workspace: { id: "w2", slug: "acme-2", name: "Acme" },
    summary: {
      rows: 10,
      files: 0,
      accounts_matched: 0,
      accounts_created: 0,
      handles_changed: [],
      owner_added: false,
      ...summary,
    },
    error: null,
    created_at: "2026-12-05T10:15:00Z",
    finished_at: "2026-12-05T10:15:03Z",
  };
}

function refused(status: number, code: string, extra: Record<string, unknown> = {}) {
  return new ApiError(status, { type: "about:blank", title: "No", status, code, ...extra });
}

describe("archives", () => {
  it("knows which states are still being worked on", () => {
    expect(isUnfinished("queued")).toBe(true);
    expect(isUnfinished("running")).toBe(true);
    expect(isUnfinished("done")).toBe(false);
    expect(isUnfinished("failed")).toBe(false);
    expect(isUnfinished(undefined)).toBe(false);
    expect(exportState("done")).toBe("Ready");
  });

  it("links to a download with the ids escaped", () => {
    expect(downloadUrl("w 1", "e1")).toBe("/api/v1/workspaces/w%201/archives/e1/download");
  });

  it("says what an export holds and what an import made", () => {
    expect(describeContents(done)).toBe("1,234 rows and 1 file");
    expect(describeImport(imported({ rows: 1, files: 2, owner_added: true }))).toBe(
      "1 row and 2 files imported. You are its owner.",
    );
    expect(describeImport(imported({ accounts_matched: 1, accounts_created: 3 }))).toBe(
      "10 rows and 0 files imported; 1 person matched by e-mail, 3 accounts made (they set a password with “Forgot password”).",
    );
    expect(describeImport(imported({ webhooks_paused: 1 }))).toBe(
      "10 rows and 0 files imported. 1 webhook is turned off: check where it sends before turning it on.",
    );
    expect(describeImport(imported({ members_invited: 4 }))).toBe(
      "10 rows and 0 files imported. 4 members of the archive are invited with their role: they join when they accept.",
    );
  });

  it("explains a refused upload", () => {
    const notArchive = refused(422, "validation_failed", {
      errors: [
        { field: "file", code: "not_an_archive", message: "a.csv is not a Tasklane archive" },
      ],
    });
    expect(describeUploadError(notArchive)).toBe("a.csv is not a Tasklane archive");
    expect(
      describeUploadError(
        refused(413, "payload_too_large", { detail: "The file is larger than 1048576 bytes." }),
      ),
    ).toBe("Too large: this Tasklane takes archives of up to 1 MB.");
    expect(
      describeUploadError(
        refused(413, "storage_quota_exceeded", { used_bytes: 2048, quota_bytes: 1024 }),
      ),
    ).toBe("The archive's files (2 KB) are more than a workspace here may hold (1 KB).");
    expect(describeUploadError(refused(409, "slug_taken"))).toContain("That slug is taken");
    expect(describeUploadError(refused(0, "network_error"))).toContain("cannot be reached");
    expect(describeUploadError(new DOMException("x", "AbortError"))).toBe("Cancelled.");
  });
});
