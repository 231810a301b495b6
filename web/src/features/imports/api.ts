import { useMutation, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";

export type ImportPreview = components["schemas"]["ImportPreview"];
export type ImportRun = components["schemas"]["ImportRunRead"];
export type RowReport = components["schemas"]["RowReport"];
export type ImportCounts = components["schemas"]["ImportCounts"];
export type ImportFormat = components["schemas"]["ImportFormat"];
export type MappingNote = components["schemas"]["MappingNote"];

/** What each source is called in the picker, and the files it takes. */
export const FORMATS: { value: ImportFormat; label: string; accept: string }[] = [
  { value: "csv", label: "CSV (Tasklane or a spreadsheet)", accept: ".csv,text/csv" },
  { value: "trello", label: "Trello board (JSON export)", accept: ".json,application/json" },
  { value: "jira", label: "Jira (CSV export)", accept: ".csv,text/csv" },
];

export interface Upload {
  file: File;
  format: ImportFormat;
}

/** The project's CSV export (a plain download: the session cookie signs it). */
export function exportUrl(projectId: string, trashed = false): string {
  const query = trashed ? "?trashed=true" : "";
  return `/api/v1/projects/${encodeURIComponent(projectId)}/export.csv${query}`;
}

async function send(projectId: string, { file, format }: Upload, dryRun: boolean) {
  const form = new FormData();
  form.append("file", file, file.name);
  return unwrap(
    api.POST("/api/v1/projects/{project_id}/imports", {
      params: { path: { project_id: projectId }, query: { dry_run: dryRun, format } },
      // A multipart form: the browser writes its boundary.
      body: form as unknown as { file: string },
      bodySerializer: (body) => body as unknown as FormData,
    }),
  );
}

/** A dry run: what importing the file would do, row by row. */
export function useDryRun(projectId: string) {
  return useMutation({
    mutationFn: async (upload: Upload) => (await send(projectId, upload, true)) as ImportPreview,
  });
}

/** Start the import of the file: the run, which the worker then carries out. */
export function useStartImport(projectId: string) {
  return useMutation({
    mutationFn: async (upload: Upload) => (await send(projectId, upload, false)) as ImportRun,
  });
}

export function isFinished(run: ImportRun | undefined): boolean {
  return run?.status === "succeeded" || run?.status === "failed";
}

/** A run, read again every second until it has finished. */
export function useImportRun(importId: string | null) {
  return useQuery({
    queryKey: ["import", importId],
    enabled: importId !== null,
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/imports/{import_id}", {
          params: { path: { import_id: importId ?? "" } },
        }),
      ),
    refetchInterval: (query) => (isFinished(query.state.data) ? false : 1000),
  });
}

/** The rows a real run would write (created or updated). */
export function toImport(counts: ImportCounts): number {
  return (counts.create ?? 0) + (counts.update ?? 0);
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "3 to create, 1 to update, 2 unchanged, 1 with errors" (what a dry run found), or, for a
 * finished run, "3 created, 1 updated, 2 skipped, 1 with errors". */
export function describeCounts(counts: ImportCounts, done: boolean): string {
  const { create = 0, update = 0, skip = 0, error = 0 } = counts;
  const parts = done
    ? [`${create} created`, `${update} updated`, `${skip} skipped`]
    : [`${create} to create`, `${update} to update`, `${skip} unchanged or skipped`];
  parts.push(`${plural(error, "row")} with errors`);
  return parts.join(", ");
}

/** A row's problems as one line: "status: No status …; assignees: x is not a member …". */
export function describeProblems(row: RowReport): string {
  if (row.problems.length === 0) {
    if (row.action === "update") return `Changes ${row.changes.join(", ")}`;
    if (row.action === "skip") return "Unchanged";
    return "";
  }
  return row.problems.map((p) => (p.column ? `${p.column}: ${p.message}` : p.message)).join(" ");
}

const MAPPING_KIND: Record<string, string> = {
  status: "Status",
  person: "Person",
  label: "Label",
  column: "Columns",
  content: "Content",
};

/** The kind of a mapping line, as the table heads it. */
export function mappingKind(kind: string): string {
  return MAPPING_KIND[kind] ?? kind;
}
