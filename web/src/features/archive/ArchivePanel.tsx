/** Workspace settings, for owners: make an archive of the whole workspace and download it. */
import type { Workspace } from "../../api/types";
import { ErrorNote, formatDateTime, Spinner } from "../../app/ui";
import { formatBytes } from "../attachments/files";
import {
  describeContents,
  describeUploadError,
  downloadUrl,
  exportState,
  isUnfinished,
  useExports,
  useStartExport,
  type WorkspaceExport,
} from "./api";
import "./archive.css";

export function ArchivePanel({ workspace }: { workspace: Workspace }) {
  const exports = useExports(workspace.id);
  const start = useStartExport(workspace.id);
  const list = exports.data ?? [];
  const busy = list.some((e) => isUnfinished(e.state));
  const newest = list[0];
  return (
    <section aria-labelledby="ws-archive-title" className="settings-card archive-panel">
      <h2 id="ws-archive-title">Archive</h2>
      <p className="muted">
        An archive of {workspace.name} holds everything in it: projects, tasks, comments, files, the
        whole history, saved views, webhooks with their secrets, and its members with their e-mail
        addresses (never their passwords). It imports into any Tasklane as a new workspace (“Import
        a workspace archive” on the new workspace page, or <code>tasklane import</code>). Keep it as
        safe as you keep the workspace.
      </p>
      <div className="settings-actions">
        <button
          type="button"
          className="primary"
          disabled={busy || start.isPending}
          onClick={() => start.mutate()}
        >
          Export workspace
        </button>
        <span role="status" className="muted small">
          {newest ? statusLine(newest) : ""}
        </span>
      </div>
      {start.isError && (
        <p className="form-error" role="alert">
          {describeUploadError(start.error)}
        </p>
      )}
      {exports.isPending && <Spinner label="Loading exports" />}
      {exports.isError && <ErrorNote error={exports.error} retry={() => void exports.refetch()} />}
      {list.length > 0 && <ExportTable workspaceId={workspace.id} exports={list} />}
      <p className="muted small">
        Exports are kept a few days, the newest few of each workspace; an archive downloaded is
        yours to keep.
      </p>
    </section>
  );
}

function statusLine(newest: WorkspaceExport): string {
  if (newest.state === "queued") return "Export waiting for the worker…";
  if (newest.state === "running") return "Writing the archive…";
  if (newest.state === "done") {
    return `Export ready: ${formatBytes(newest.size ?? 0)}, ${describeContents(newest)}.`;
  }
  return "The last export failed.";
}

function ExportTable({
  workspaceId,
  exports,
}: {
  workspaceId: string;
  exports: WorkspaceExport[];
}) {
  return (
    <table className="archive-table">
      <caption>Exports</caption>
      <thead>
        <tr>
          <th scope="col">Made</th>
          <th scope="col">State</th>
          <th scope="col">Size</th>
          <th scope="col">
            <span className="sr-only">Download</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {exports.map((e) => (
          <tr key={e.id} className={`archive-${e.state}`}>
            <td>{formatDateTime(e.created_at)}</td>
            <td>
              {exportState(e.state)}
              {e.state === "failed" && e.error && (
                <span className="archive-error small"> — {e.error}</span>
              )}
            </td>
            <td>{e.size !== null && e.size !== undefined ? formatBytes(e.size) : "—"}</td>
            <td>
              {e.state === "done" ? (
                <a
                  href={downloadUrl(workspaceId, e.id)}
                  download={e.filename}
                  aria-label={`Download ${e.filename}`}
                >
                  Download
                </a>
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
