/** The new workspace page: make a workspace from an archive (an export of this or another
 * Tasklane). The file is uploaded with a progress bar, then the worker imports it; the page
 * follows it to a link to the new workspace, or says why it failed. */
import { useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useId, useRef, useState } from "react";
import { Link } from "react-router";
import { formatBytes } from "../attachments/files";
import {
  ARCHIVE_ACCEPT,
  describeImport,
  describeUploadError,
  isUnfinished,
  uploadArchive,
  useWorkspaceImport,
  type WorkspaceImport,
} from "./api";
import "./archive.css";

const SLUG_PATTERN = "[a-z0-9]+(-[a-z0-9]+)*";

export function ImportArchive() {
  const fileId = useId();
  const slugId = useId();
  const qc = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [slug, setSlug] = useState("");
  const [sent, setSent] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [importId, setImportId] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);
  const run = useWorkspaceImport(importId);
  const uploading = sent !== null;
  const working = uploading || (importId !== null && isUnfinished(run.data?.state));
  const done = run.data?.state === "done";

  useEffect(() => {
    if (done) void qc.invalidateQueries({ queryKey: ["workspaces"] });
  }, [done, qc]);
  useEffect(() => () => abort.current?.abort(), []);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (!file) return;
    setError(null);
    setImportId(null);
    const controller = new AbortController();
    abort.current = controller;
    setSent(0);
    try {
      const started = await uploadArchive(file, slug.trim(), {
        signal: controller.signal,
        onProgress: setSent,
        onSent: () => setSent(file.size),
      });
      setImportId(started.id);
    } catch (err) {
      setError(describeUploadError(err));
    } finally {
      setSent(null);
      abort.current = null;
    }
  }

  return (
    <section aria-labelledby="import-archive-title" className="import-archive">
      <h2 id="import-archive-title">Import a workspace archive</h2>
      <p className="muted">
        An archive made with “Export workspace” (Workspace settings) or <code>tasklane export</code>
        , from this Tasklane or another, becomes a new workspace with its projects, tasks, files and
        history. You are its owner; its other members are invited with their role and join when they
        accept (people without an account here by the same e-mail address get one they sign in to
        with “Forgot password”).
      </p>
      <form className="stack" onSubmit={(e) => void submit(e)}>
        <label htmlFor={fileId}>Workspace archive</label>
        <input
          id={fileId}
          type="file"
          accept={ARCHIVE_ACCEPT}
          disabled={working}
          onChange={(e) => {
            setFile(e.target.files?.[0] ?? null);
            setError(null);
            setImportId(null);
          }}
        />
        <label htmlFor={slugId}>Address (optional)</label>
        <input
          id={slugId}
          name="slug"
          value={slug}
          maxLength={64}
          pattern={SLUG_PATTERN}
          placeholder="acme-robotics"
          autoComplete="off"
          aria-describedby={`${slugId}-hint`}
          disabled={working}
          onChange={(e) => setSlug(e.target.value.toLowerCase())}
        />
        <p id={`${slugId}-hint`} className="muted small archive-hint">
          The workspace's name in its links (lower-case letters, digits and dashes). Left empty: the
          archive's, or the next free one like it.
        </p>
        <div className="settings-actions">
          <button className="primary" type="submit" disabled={!file || working}>
            Import
          </button>
          {uploading && (
            <button type="button" onClick={() => abort.current?.abort()}>
              Cancel
            </button>
          )}
        </div>
      </form>
      {uploading && file && (
        <label className="archive-progress">
          Upload progress <progress value={sent ?? 0} max={Math.max(file.size, 1)} />{" "}
          <span className="muted small">
            {formatBytes(sent ?? 0)} of {formatBytes(file.size)}
          </span>
        </label>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {importId !== null && run.isError && (
        <p className="form-error" role="alert">
          {describeUploadError(run.error)}
        </p>
      )}
      {run.data && <ImportState run={run.data} />}
    </section>
  );
}

function ImportState({ run }: { run: WorkspaceImport }) {
  const name = run.source.name || run.source.slug;
  if (run.state === "failed") {
    return (
      <div className="import-state" role="alert">
        <p className="form-error">
          The import of {run.filename} failed, and made nothing. {run.error}
        </p>
      </div>
    );
  }
  return (
    <div className="import-state" role="status">
      {run.state === "queued" && <p>Uploaded. Waiting for the worker to import {name}…</p>}
      {run.state === "running" && <p>Importing {name}…</p>}
      {run.state === "done" && run.workspace && (
        <p>
          <strong>{run.workspace.name}</strong> is ready. {describeImport(run)}{" "}
          <Link to={`/w/${run.workspace.id}`}>Open {run.workspace.name}</Link>
        </p>
      )}
    </div>
  );
}
