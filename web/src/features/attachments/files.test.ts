import { describe, expect, it } from "vitest";
import {
  awaitingThumbnail,
  badgeText,
  carriesFiles,
  declaredType,
  droppedFiles,
  fileKind,
  formatBytes,
  previewUrl,
  splitByComment,
  storageShare,
  uploadErrorMessage,
} from "./files";
import { attachment } from "./testdata";

describe("formatBytes", () => {
  it("says bytes below a kilobyte, and one byte as such", () => {
    expect(formatBytes(0)).toBe("0 bytes");
    expect(formatBytes(1)).toBe("1 byte");
    expect(formatBytes(1023)).toBe("1023 bytes");
  });

  it("counts in powers of 1024, one decimal below 10", () => {
    expect(formatBytes(1024)).toBe("1 KB");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(24_300)).toBe("24 KB");
    expect(formatBytes(25 * 1024 * 1024)).toBe("25 MB");
    expect(formatBytes(10 * 1024 ** 3)).toBe("10 GB");
    expect(formatBytes(3.25 * 1024 ** 4)).toBe("3.3 TB");
  });

  it("never writes 1024 of a unit", () => {
    expect(formatBytes(1024 * 1024 - 1)).toBe("1 MB");
    expect(formatBytes(1024 ** 3 - 10)).toBe("1 GB");
  });

  it("writes nothing for what is not a size", () => {
    expect(formatBytes(-1)).toBe("");
    expect(formatBytes(Number.NaN)).toBe("");
  });
});

describe("how a file is shown", () => {
  it("shows an image by its thumbnail once made, by itself until then", () => {
    expect(previewUrl(attachment())).toBe("/api/v1/attachments/a1/content");
    expect(previewUrl(attachment({ thumbnail_url: "/api/v1/attachments/a1/thumbnail" }))).toBe(
      "/api/v1/attachments/a1/thumbnail",
    );
  });

  it("shows no picture of what the server serves as a download (SVG included)", () => {
    expect(previewUrl(attachment({ content_type: "application/pdf" }))).toBeNull();
    expect(previewUrl(attachment({ content_type: "image/svg+xml" }))).toBeNull();
  });

  it("tells the kind from the sniffed type, and from the name where the type is vague", () => {
    const kind = (content_type: string, filename: string) => fileKind({ content_type, filename });
    expect(kind("application/pdf", "report")).toBe("pdf");
    expect(kind("image/png", "x.bin")).toBe("image");
    expect(kind("application/zip", "plan.docx")).toBe("document");
    expect(kind("application/zip", "logs.zip")).toBe("archive");
    expect(kind("text/plain", "data.csv")).toBe("sheet");
    expect(kind("text/plain", "notes")).toBe("text");
    expect(kind("application/octet-stream", "blob")).toBe("file");
  });

  it("labels the icon with a short extension", () => {
    expect(badgeText("report.pdf")).toBe("PDF");
    expect(badgeText("archive.tar.gz")).toBe("GZ");
    expect(badgeText("README")).toBe("FILE");
    expect(badgeText(".env")).toBe("FILE");
    expect(badgeText("x.markdown")).toBe("FILE");
  });

  it("waits for a thumbnail only for a recent image that has none", () => {
    const now = new Date("2026-12-01T10:01:00Z").getTime();
    expect(awaitingThumbnail([attachment()], now)).toBe(true);
    expect(awaitingThumbnail([attachment({ thumbnail_url: "/t" })], now)).toBe(false);
    expect(awaitingThumbnail([attachment({ content_type: "application/pdf" })], now)).toBe(false);
    // An image the worker could not read (or too large) never gets one: stop asking.
    expect(awaitingThumbnail([attachment()], now + 10 * 60_000)).toBe(false);
  });
});

describe("declaredType", () => {
  it("passes what the API accepts and turns the rest into octet-stream", () => {
    expect(declaredType("image/png")).toBe("image/png");
    expect(declaredType("text/plain;charset=utf-8")).toBe("text/plain");
    expect(declaredType("")).toBe("application/octet-stream");
    expect(declaredType("not a type")).toBe("application/octet-stream");
    expect(declaredType(`application/${"x".repeat(130)}`)).toBe("application/octet-stream");
  });
});

describe("a drag's files", () => {
  const file = new File(["x"], "a.txt");
  it("takes files, and nothing from a drag of text or a link", () => {
    expect(droppedFiles({ types: ["Files"], files: [file] as unknown as FileList })).toEqual([
      file,
    ]);
    expect(droppedFiles({ types: ["text/plain"], files: [] as unknown as FileList })).toEqual([]);
    expect(droppedFiles(null)).toEqual([]);
    expect(carriesFiles({ types: ["text/uri-list"] })).toBe(false);
    expect(carriesFiles({ types: ["Files", "text/plain"] })).toBe(true);
  });
});

describe("uploadErrorMessage", () => {
  it("says the workspace is full, with how full, for the quota", () => {
    expect(
      uploadErrorMessage({
        status: 413,
        code: "storage_quota_exceeded",
        detail: "The workspace's storage is full (1048576 of 2097152 bytes used).",
      }),
    ).toBe(
      "The workspace's storage is full (1 MB of 2 MB used). Remove files, or ask an admin for more room.",
    );
  });

  it("gives the upload limit for a file that is too large", () => {
    expect(
      uploadErrorMessage({
        status: 413,
        code: "payload_too_large",
        detail: "The file is larger than 26214400 bytes.",
      }),
    ).toBe("Too large: files can be at most 25 MB.");
    expect(uploadErrorMessage({ status: 413 })).toBe("Too large for an attachment.");
  });

  it("passes on the server's words for a full task and a bad upload", () => {
    expect(
      uploadErrorMessage({
        status: 409,
        code: "too_many_attachments",
        detail: "A task holds at most 100 attachments.",
      }),
    ).toBe("A task holds at most 100 attachments.");
    expect(
      uploadErrorMessage({ status: 422, code: "bad_upload", detail: "Send the file as a form." }),
    ).toBe("Send the file as a form.");
  });

  it("explains a lost connection, a lost task and a server error", () => {
    expect(uploadErrorMessage({ status: 0, code: "network_error" })).toMatch(/cannot be reached/);
    expect(uploadErrorMessage({ status: 404, code: "not_found" })).toMatch(/task is gone/);
    expect(uploadErrorMessage({ status: 503, code: "unavailable" })).toMatch(/Try again/);
    expect(uploadErrorMessage({ status: 418 })).toBe("The upload failed (418).");
  });
});

describe("splitByComment", () => {
  const own = attachment({ id: "a1" });
  const withComment = attachment({ id: "a2", comment_id: "c1" });
  const orphan = attachment({ id: "a3", comment_id: "gone" });

  it("puts a comment's files under it, and the rest on the task", () => {
    const { task, byComment } = splitByComment([own, withComment, orphan], new Set(["c1"]));
    expect(task.map((a) => a.id)).toEqual(["a1", "a3"]);
    expect(byComment.get("c1")?.map((a) => a.id)).toEqual(["a2"]);
  });

  it("keeps comments' files off the task until the comments are loaded", () => {
    const { task } = splitByComment([own, withComment], null);
    expect(task.map((a) => a.id)).toEqual(["a1"]);
  });
});

describe("storageShare", () => {
  it("is the used share of the quota, within 0..1, or null without one", () => {
    expect(storageShare({ used_bytes: 25, quota_bytes: 100 })).toBe(0.25);
    expect(storageShare({ used_bytes: 250, quota_bytes: 100 })).toBe(1);
    expect(storageShare({ used_bytes: 25, quota_bytes: null })).toBeNull();
  });
});
