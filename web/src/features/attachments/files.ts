/** What the web app says about a file: its size in words, what kind it is, how it is shown,
 * and what went wrong with an upload, from the API's problem codes. */
import type { components } from "../../api/schema";

export type Attachment = components["schemas"]["AttachmentRead"];
export type StorageUsage = components["schemas"]["StorageUsage"];
export type UploadLink = components["schemas"]["UploadLink"];

const UNITS = ["KB", "MB", "GB", "TB"];

/** "512 bytes", "1 byte", "2.4 KB", "25 MB", "10 GB": powers of 1024 (as the server counts its
 * limits), one decimal below 10, none above. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "";
  if (bytes < 1024) return bytes === 1 ? "1 byte" : `${Math.round(bytes)} bytes`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  // 1023.97 KB rounds to "1024 KB": say "1 MB" instead.
  if (Math.round(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = value < 10 ? (Math.round(value * 10) / 10).toString() : Math.round(value).toString();
  return `${text} ${UNITS[unit]}`;
}

/** The types the server shows in the browser (everything else is a download): it makes
 * thumbnails of these too. */
export const INLINE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

export function isImage(attachment: Pick<Attachment, "content_type">): boolean {
  return INLINE_TYPES.has(attachment.content_type);
}

/** What an image tile shows: the thumbnail once the worker made it, the image itself until
 * then. Null for a file that is not shown as an image. */
export function previewUrl(attachment: Attachment): string | null {
  if (!isImage(attachment)) return null;
  return attachment.thumbnail_url ?? attachment.url;
}

/** An image added this recently whose thumbnail is not there yet is probably being made: the
 * list asks again until it is (the worker records no event when it is done). */
export const THUMBNAIL_WAIT_MS = 2 * 60_000;

export function awaitingThumbnail(attachments: Attachment[], now = Date.now()): boolean {
  return attachments.some(
    (a) =>
      isImage(a) && !a.thumbnail_url && now - new Date(a.created_at).getTime() < THUMBNAIL_WAIT_MS,
  );
}

export type FileKind =
  | "image"
  | "pdf"
  | "text"
  | "document"
  | "sheet"
  | "slides"
  | "archive"
  | "audio"
  | "video"
  | "code"
  | "file";

const BY_EXTENSION: Record<string, FileKind> = {
  pdf: "pdf",
  txt: "text",
  md: "text",
  log: "text",
  csv: "sheet",
  tsv: "sheet",
  xls: "sheet",
  xlsx: "sheet",
  ods: "sheet",
  doc: "document",
  docx: "document",
  odt: "document",
  rtf: "document",
  ppt: "slides",
  pptx: "slides",
  odp: "slides",
  key: "slides",
  zip: "archive",
  gz: "archive",
  tgz: "archive",
  tar: "archive",
  "7z": "archive",
  rar: "archive",
  json: "code",
  xml: "code",
  yaml: "code",
  yml: "code",
  html: "code",
  js: "code",
  ts: "code",
  py: "code",
  sql: "code",
  svg: "image",
  png: "image",
  jpg: "image",
  jpeg: "image",
  gif: "image",
  webp: "image",
  mp3: "audio",
  wav: "audio",
  ogg: "audio",
  mp4: "video",
  mov: "video",
  webm: "video",
};

/** A file's kind, for its icon: from the type the server sniffed, else from its name. */
export function fileKind(attachment: Pick<Attachment, "content_type" | "filename">): FileKind {
  const type = attachment.content_type.toLowerCase();
  if (type === "application/pdf") return "pdf";
  if (type.startsWith("image/")) return "image";
  if (type.startsWith("audio/")) return "audio";
  if (type.startsWith("video/")) return "video";
  if (type === "application/zip" || type.includes("compressed") || type.endsWith("+zip")) {
    // A .docx is a zip inside: the name tells them apart.
    const byName = BY_EXTENSION[extension(attachment.filename)];
    return byName ?? "archive";
  }
  const byName = BY_EXTENSION[extension(attachment.filename)];
  if (byName) return byName;
  if (type.startsWith("text/")) return "text";
  return "file";
}

export function extension(filename: string): string {
  const dot = filename.lastIndexOf(".");
  return dot > 0 ? filename.slice(dot + 1).toLowerCase() : "";
}

/** A short label for the icon: "PDF", "PNG", "ZIP"; "FILE" when the name has no extension. */
export function badgeText(filename: string): string {
  const ext = extension(filename);
  return ext && ext.length <= 4 ? ext.toUpperCase() : "FILE";
}

const CONTENT_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$/;

/** The type a direct upload declares: what the browser says, if the API takes it (no
 * parameters, at most 127 characters); otherwise application/octet-stream. The server sniffs
 * the real type from the bytes anyway. */
export function declaredType(browserType: string): string {
  const type = browserType.split(";")[0]?.trim() ?? "";
  return type.length <= 127 && CONTENT_TYPE.test(type) ? type : "application/octet-stream";
}

/** The files a drop carries, or none when it carries something else (text, a link). */
export function droppedFiles(transfer: Pick<DataTransfer, "files" | "types"> | null): File[] {
  if (!transfer || !Array.from(transfer.types).includes("Files")) return [];
  return Array.from(transfer.files);
}

/** Whether a drag carries files (its names are not known until the drop). */
export function carriesFiles(transfer: Pick<DataTransfer, "types"> | null): boolean {
  return Boolean(transfer && Array.from(transfer.types).includes("Files"));
}

export interface UploadProblem {
  status: number;
  code?: string;
  detail?: string;
}

/** What a person reads when an upload was refused or failed. */
export function uploadErrorMessage(problem: UploadProblem): string {
  const { status, code, detail = "" } = problem;
  if (code === "storage_quota_exceeded") {
    const numbers = detail.match(/\((\d+) of (\d+) bytes used\)/);
    const how = numbers
      ? ` (${formatBytes(Number(numbers[1]))} of ${formatBytes(Number(numbers[2]))} used)`
      : "";
    return `The workspace's storage is full${how}. Remove files, or ask an admin for more room.`;
  }
  if (status === 413) {
    const limit = detail.match(/larger than (\d+) bytes/);
    return limit
      ? `Too large: files can be at most ${formatBytes(Number(limit[1]))}.`
      : "Too large for an attachment.";
  }
  if (code === "too_many_attachments") return detail || "This task has as many files as it can.";
  if (code === "project_archived") return "The project is archived: no files can be added.";
  if (status === 0) return "The upload stopped: Tasklane cannot be reached. Try again.";
  if (status === 401) return "You were signed out. Sign in again and retry.";
  if (status === 403) return "You cannot add files to this task.";
  if (status === 404) return "The task is gone, or you can no longer see it.";
  if (status >= 500) return "The server could not store the file. Try again in a moment.";
  return detail || `The upload failed (${status}).`;
}

/** A file's place: on the task itself, or under one of the comments shown. A file whose
 * comment is not shown (gone) stays on the task, so it is never lost from sight. `commentIds`
 * null: the comments are not loaded yet, so a file with a comment waits for them. */
export function splitByComment(
  attachments: Attachment[],
  commentIds: ReadonlySet<string> | null,
): { task: Attachment[]; byComment: Map<string, Attachment[]> } {
  const task: Attachment[] = [];
  const byComment = new Map<string, Attachment[]>();
  for (const a of attachments) {
    if (a.comment_id && (commentIds === null || commentIds.has(a.comment_id))) {
      const list = byComment.get(a.comment_id) ?? [];
      list.push(a);
      byComment.set(a.comment_id, list);
    } else {
      task.push(a);
    }
  }
  return { task, byComment };
}

/** How full the storage is, as a share of the quota (0..1), or null without a quota. */
export function storageShare(usage: Pick<StorageUsage, "used_bytes" | "quota_bytes">) {
  if (!usage.quota_bytes) return null;
  return Math.min(1, Math.max(0, usage.used_bytes / usage.quota_bytes));
}
