/** A project's "Import and export" screen: download the tasks as CSV; upload a CSV, see what
 * importing it would do row by row (a dry run), then import it and follow its progress to a
 * summary. */
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useState } from "react";
import type { Project } from "../../api/types";
import { ErrorNote } from "../../app/ui";
import {
  describeCounts,
  describeProblems,
  exportUrl,
  FORMATS,
  type ImportFormat,
  type ImportPreview,
  isFinished,
  type MappingNote,
  mappingKind,
  type RowReport,
  toImport,
  useDryRun,
  useImportRun,
  useStartImport,
} from "./api";
import "./imports.css";

const ACTION_LABEL: Record<RowReport["action"], string> = {
  create: "Create",
  update: "Update",
  skip: "Skip",
  error: "Error",
};

export function ImportExport({ project, editable }: { project: Project; editable: boolean }) {
  const [trashed, setTrashed] = useState(false);
  return (
    <section className="import-export" aria-labelledby="import-export-title">
      <h2 id="import-export-title">Import and export</h2>
      <h3>Export</h3>
      <p className="muted">
        Every task of {project.name} as a CSV file, with its status, people, labels and dates by
        name. It opens in any spreadsheet, and imports back here or into another project.
      </p>
      <div className="export-row">
        <a className="button" href={exportUrl(project.id, trashed)} download>
          Download CSV
        </a>
        <label className="inline">
          <input type="checkbox" checked={trashed} onChange={(e) => setTrashed(e.target.checked)} />{" "}
          Include tasks in the trash
        </label>
      </div>
      <h3>Import</h3>
      {editable && !project.archived ? (
        <Importer project={project} />
      ) : (
        <p className="muted">
          {project.archived
            ? "The project is archived: nothing can be imported into it."
            : "Only project members (not viewers) can import tasks."}
        </p>
      )}
    </section>
  );
}

function Importer({ project }: { project: Project }) {
  const inputId = useId();
  const formatId = useId();
  const [format, setFormat] = useState<ImportFormat>("csv");
  const [file, setFile] = useState<File | null>(null);
  const [runId, setRunId] = useState<string | null>(null);
  const dryRun = useDryRun(project.id);
  const start = useStartImport(project.id);
  const run = useImportRun(runId);
  const qc = useQueryClient();
  const finished = isFinished(run.data);

  useEffect(() => {
    if (finished) void qc.invalidateQueries({ queryKey: ["tasks"] });
  }, [finished, qc]);

  function choose(next: File | null, as: ImportFormat = format) {
    setFile(next);
    setRunId(null);
    start.reset();
    if (next) dryRun.mutate({ file: next, format: as });
    else dryRun.reset();
  }

  function pickFormat(next: ImportFormat) {
    setFormat(next);
    if (file) choose(file, next);
  }

  async function importNow() {
    if (!file) return;
    const started = await start.mutateAsync({ file, format });
    setRunId(started.id);
  }

  const preview = dryRun.data;
  return (
    <div className="importer">
      <p className="muted">
        The first line names the columns: <code>title</code> is needed; <code>external_id</code> (or{" "}
        <code>key</code>), <code>description</code>, <code>status</code>, <code>priority</code>,{" "}
        <code>assignees</code> (e-mails), <code>labels</code>, <code>start_date</code>,{" "}
        <code>due_date</code>, <code>estimate</code> and <code>parent</code> are read. Rows seen
        before (by their id) update their task instead of making another. Up to 5000 rows, in UTF-8;
        a file larger than the server takes (50 MB unless its admins set otherwise) is refused with
        the limit it has.
      </p>
      <p className="muted">
        From Trello (a board's JSON export) or Jira (a CSV export): cards and issues become tasks,
        their lists and statuses the project's statuses of that name or kind of work, people are
        matched by e-mail or name, checklist items become subtasks, comments and attachments' links
        come along. The dry run shows what maps to what.
      </p>
      <div className="source-row">
        <label htmlFor={formatId}>Source</label>{" "}
        <select
          id={formatId}
          value={format}
          onChange={(e) => pickFormat(e.target.value as ImportFormat)}
        >
          {FORMATS.map((f) => (
            <option key={f.value} value={f.value}>
              {f.label}
            </option>
          ))}
        </select>
      </div>
      <label htmlFor={inputId}>{format === "trello" ? "JSON file" : "CSV file"}</label>{" "}
      <input
        id={inputId}
        type="file"
        accept={FORMATS.find((f) => f.value === format)?.accept}
        disabled={start.isPending || (runId !== null && !finished)}
        onChange={(e) => choose(e.target.files?.[0] ?? null)}
      />
      {dryRun.isPending && <p role="status">Checking the file…</p>}
      {dryRun.isError && <ErrorNote error={dryRun.error} />}
      {preview && runId === null && (
        <DryRun
          preview={preview}
          starting={start.isPending}
          onImport={() => void importNow()}
          onCancel={() => choose(null)}
        />
      )}
      {start.isError && <ErrorNote error={start.error} />}
      {runId !== null && run.isError && <ErrorNote error={run.error} />}
      {run.data && <Progress run={run.data} />}
    </div>
  );
}

function DryRun({
  preview,
  starting,
  onImport,
  onCancel,
}: {
  preview: ImportPreview;
  starting: boolean;
  onImport: () => void;
  onCancel: () => void;
}) {
  const count = toImport(preview.counts);
  return (
    <div className="dry-run">
      <p role="status">
        <strong>{preview.filename}</strong>: {preview.total_rows} rows.{" "}
        {describeCounts(preview.counts, false)}. Nothing has changed yet.
      </p>
      {preview.mapping.length > 0 && <MappingTable notes={preview.mapping} />}
      <ReportTable rows={preview.rows} caption="What the import would do" />
      <div className="actions">
        <button
          type="button"
          className="primary"
          disabled={count === 0 || starting}
          onClick={onImport}
        >
          Import {count} {count === 1 ? "row" : "rows"}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}

function Progress({ run }: { run: NonNullable<ReturnType<typeof useImportRun>["data"]> }) {
  const done = isFinished(run);
  const withProblems = run.rows.filter((r) => r.problems.length > 0);
  return (
    <div className="import-progress">
      <label>
        Import progress <progress value={run.rows_done} max={Math.max(run.total_rows, 1)} />
      </label>
      <p role="status">
        {run.status === "queued" && "Waiting for the worker…"}
        {run.status === "running" && `Imported ${run.rows_done} of ${run.total_rows} rows…`}
        {run.status === "succeeded" && `Import finished: ${describeCounts(run.counts, true)}.`}
        {run.status === "failed" && `The import stopped after ${run.rows_done} rows.`}
      </p>
      {run.status === "failed" && run.error && (
        <p className="form-error" role="alert">
          {run.error}
        </p>
      )}
      {done && withProblems.length > 0 && (
        <ReportTable rows={withProblems} caption="Rows with errors or warnings" />
      )}
    </div>
  );
}

function MappingTable({ notes }: { notes: MappingNote[] }) {
  return (
    <table className="import-report mapping">
      <caption>What maps to what</caption>
      <thead>
        <tr>
          <th scope="col">Kind</th>
          <th scope="col">In the file</th>
          <th scope="col">In this project</th>
        </tr>
      </thead>
      <tbody>
        {notes.map((n) => (
          <tr key={`${n.kind}:${n.source}`}>
            <td>{mappingKind(n.kind)}</td>
            <td>{n.source}</td>
            <td>{n.target}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Rows a table shows at most: those with problems come first, so none is hidden. */
const SHOWN_ROWS = 500;

function ReportTable({ rows, caption }: { rows: RowReport[]; caption: string }) {
  const shown =
    rows.length > SHOWN_ROWS
      ? [...rows.filter((r) => r.problems.length > 0), ...rows.filter((r) => !r.problems.length)]
          .slice(0, SHOWN_ROWS)
          .sort((a, b) => a.row - b.row)
      : rows;
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must take focus to scroll by keyboard (axe scrollable-region-focusable)
    <section className="report-scroll" aria-label={caption} tabIndex={0}>
      <table className="import-report">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Row</th>
            <th scope="col">Action</th>
            <th scope="col">Task</th>
            <th scope="col">Message</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((row) => (
            <tr key={row.row} className={`action-${row.action}`}>
              <td>{row.row}</td>
              <td>{ACTION_LABEL[row.action]}</td>
              <td>
                {row.key ? <span className="project-key">{row.key}</span> : null} {row.title}
              </td>
              <td>{describeProblems(row)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {shown.length < rows.length && (
        <p className="muted small">
          {shown.length} of {rows.length} rows shown (every row with a problem among them).
        </p>
      )}
    </section>
  );
}
