/** Workspace archives (docs/archive.md): exports an owner makes and downloads, and archives
 * uploaded to become new workspaces. Both are carried out by the worker: the screens follow
 * their state until it is done or failed. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError, api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { formatBytes } from "../attachments/files";
import { type Progress, postForm } from "../attachments/transfer";

export type WorkspaceExport = components["schemas"]["WorkspaceExportRead"];
export type WorkspaceImport = components["schemas"]["WorkspaceImportRead"];
export type ArchiveState = components["schemas"]["ArchiveState"];

/** What the files picker offers: the archives `tasklane export` and the export button make. */
export const ARCHIVE_ACCEPT = ".gz,.tgz,application/gzip,application/x-gzip";

export function isUnfinished(state: ArchiveState | undefined): boolean {
  return state === "queued" || state === "running";
}

const EXPORT_STATE: Record<ArchiveState, string> = {
  queued: "Waiting for the worker",
  running: "Being written",
  done: "Ready",
  failed: "Failed",
};

/** An export's state as its row in the list reads it. */
export function exportState(state: ArchiveState): string {
  return EXPORT_STATE[state];
}

/** The workspace's exports, newest first, read again every second while one is being made. */
export function useExports(workspaceId: string) {
  return useQuery({
    queryKey: ["archives", workspaceId],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/workspaces/{workspace_id}/archives", {
          params: { path: { workspace_id: workspaceId } },
        }),
      ),
    refetchInterval: (query) =>
      query.state.data?.some((e) => isUnfinished(e.state)) ? 1000 : false,
  });
}

export function useStartExport(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/v1/workspaces/{workspace_id}/archives", {
          params: { path: { workspace_id: workspaceId } },
        }),
      ),
    onSuccess: (started) => {
      qc.setQueryData<WorkspaceExport[]>(["archives", workspaceId], (list) => [
        started,
        ...(list ?? []).filter((e) => e.id !== started.id),
      ]);
      void qc.invalidateQueries({ queryKey: ["archives", workspaceId] });
    },
  });
}

/** The download of a done export (a plain link: the session cookie signs it). */
export function downloadUrl(workspaceId: string, exportId: string): string {
  return `/api/v1/workspaces/${encodeURIComponent(workspaceId)}/archives/${encodeURIComponent(exportId)}/download`;
}

/** Upload an archive to become a new workspace (`slug`: the one asked for, if any), with the
 * upload's progress; resolves to the import, which the worker then carries out. */
export async function uploadArchive(
  file: File,
  slug: string,
  progress: Progress,
): Promise<WorkspaceImport> {
  const query = slug ? `?slug=${encodeURIComponent(slug)}` : "";
  const xhr = await postForm(`/api/v1/workspaces/imports${query}`, {}, file, progress);
  return JSON.parse(xhr.responseText) as WorkspaceImport;
}

/** An import, read again every second until it has finished. */
export function useWorkspaceImport(importId: string | null) {
  return useQuery({
    queryKey: ["workspace-import", importId],
    enabled: importId !== null,
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/workspaces/imports/{import_id}", {
          params: { path: { import_id: importId ?? "" } },
        }),
      ),
    refetchInterval: (query) => (isUnfinished(query.state.data?.state) ? 1000 : false),
  });
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}

/** "1,234 rows and 3 files" of an export that is done. */
export function describeContents(done: WorkspaceExport): string {
  if (!done.contents) return "";
  return `${plural(done.contents.rows, "row")} and ${plural(done.contents.files, "file")}`;
}

/** What a finished import made, in one sentence. */
export function describeImport(done: WorkspaceImport): string {
  const s = done.summary;
  if (!s) return "";
  const people = [
    s.accounts_matched > 0
      ? `${plural(s.accounts_matched, "person", "people")} matched by e-mail`
      : "",
    s.accounts_created > 0
      ? `${plural(s.accounts_created, "account")} made (they set a password with “Forgot password”)`
      : "",
  ].filter(Boolean);
  const owner = s.owner_added ? " You are its owner." : "";
  const invited = s.members_invited
    ? ` ${plural(s.members_invited, "member")} of the archive ${s.members_invited === 1 ? "is" : "are"} invited with their role: they join when they accept.`
    : "";
  const hooks = s.webhooks_paused
    ? ` ${plural(s.webhooks_paused, "webhook")} ${s.webhooks_paused === 1 ? "is" : "are"} turned off: check where ${s.webhooks_paused === 1 ? "it sends" : "they send"} before turning ${s.webhooks_paused === 1 ? "it" : "them"} on.`
    : "";
  return `${plural(s.rows, "row")} and ${plural(s.files, "file")} imported${people.length ? `; ${people.join(", ")}` : ""}.${owner}${invited}${hooks}`;
}

/** What a person reads about an upload the server refused (or that did not get there). */
export function describeUploadError(error: unknown): string {
  if (error instanceof DOMException && error.name === "AbortError") return "Cancelled.";
  if (!(error instanceof ApiError)) return "The upload failed. Try again.";
  const { status, code, problem } = error;
  if (status === 0) return "The upload stopped: Tasklane cannot be reached. Try again.";
  if (code === "storage_quota_exceeded") {
    return `The archive's files (${formatBytes(problem.used_bytes ?? 0)}) are more than a workspace here may hold (${formatBytes(problem.quota_bytes ?? 0)}).`;
  }
  if (status === 413) {
    const limit = (problem.detail ?? "").match(/larger than (\d+) bytes/);
    return limit
      ? `Too large: this Tasklane takes archives of up to ${formatBytes(Number(limit[1]))}.`
      : "Too large for this Tasklane.";
  }
  if (code === "slug_taken") return "That slug is taken: choose another, or leave it empty.";
  if (code === "import_in_progress") {
    return "An archive you uploaded is still being imported: wait for it to finish.";
  }
  if (problem.errors?.length) return problem.errors.map((e) => e.message).join(" ");
  return error.userMessage;
}
