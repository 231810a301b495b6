/**
 * Files on a task: the Attachments section of the task detail (its own files; those sent with a
 * comment show under the comment), the cards that show them, the uploads in progress, the
 * "Attach files" button, and the drop zone that makes the whole task take dropped files.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { type DragEvent, type ReactNode, useCallback, useMemo, useRef, useState } from "react";
import type { Task } from "../../api/types";
import { ErrorNote, formatDateTime, Modal, timeAgo } from "../../app/ui";
import { commentsQuery } from "../comments/cache";
import { useProject } from "../projects/api";
import {
  attachFiles,
  commentScope,
  taskScope,
  uploads,
  useAttachments,
  useDeleteAttachment,
} from "./api";
import {
  type Attachment,
  badgeText,
  carriesFiles,
  droppedFiles,
  fileKind,
  formatBytes,
  isImage,
  previewUrl,
  splitByComment,
} from "./files";
import { Lightbox } from "./Lightbox";
import { isFinal, progressOf, type Upload, useUploads } from "./uploads";
import "./attachments.css";

export interface FileDrop {
  dragging: boolean;
  handlers: {
    onDragEnter: (e: DragEvent) => void;
    onDragOver: (e: DragEvent) => void;
    onDragLeave: (e: DragEvent) => void;
    onDrop: (e: DragEvent) => void;
  };
}

/**
 * Make an element take dropped files. `enabled` false still keeps a dropped file from replacing
 * the page (the browser's default); `inner` keeps the drop from reaching a drop zone around it.
 */
export function useFileDrop(
  onFiles: (files: File[]) => void,
  enabled: boolean,
  inner = false,
): FileDrop {
  const [dragging, setDragging] = useState(false);
  // dragenter and dragleave come for every element crossed inside: count them.
  const depth = useRef(0);
  const handlers = {
    onDragEnter: (e: DragEvent) => {
      if (!carriesFiles(e.dataTransfer)) return;
      e.preventDefault();
      if (inner) e.stopPropagation();
      if (!enabled) return;
      depth.current++;
      setDragging(true);
    },
    onDragOver: (e: DragEvent) => {
      if (!carriesFiles(e.dataTransfer)) return;
      e.preventDefault();
      if (inner) e.stopPropagation();
      e.dataTransfer.dropEffect = enabled ? "copy" : "none";
    },
    onDragLeave: (e: DragEvent) => {
      if (!carriesFiles(e.dataTransfer)) return;
      if (inner) e.stopPropagation();
      depth.current = Math.max(0, depth.current - 1);
      if (depth.current === 0) setDragging(false);
    },
    onDrop: (e: DragEvent) => {
      if (!carriesFiles(e.dataTransfer)) return;
      e.preventDefault();
      if (inner) e.stopPropagation();
      depth.current = 0;
      setDragging(false);
      const files = droppedFiles(e.dataTransfer);
      if (enabled && files.length) onFiles(files);
    },
  };
  return { dragging, handlers };
}

/** What shows over a drop zone while files are dragged over it. */
export function DropHint({ children }: { children: ReactNode }) {
  return (
    <div className="drop-hint" aria-hidden="true">
      <span>{children}</span>
    </div>
  );
}

/** A button that opens the file chooser (several files at once). */
export function FileButton({
  label,
  onFiles,
  children,
  disabled,
}: {
  /** The input's accessible name. */
  label: string;
  onFiles: (files: File[]) => void;
  children: ReactNode;
  disabled?: boolean;
}) {
  return (
    <label className={`button file-button${disabled ? " disabled" : ""}`}>
      {children}
      <input
        type="file"
        multiple
        className="sr-only"
        aria-label={label}
        disabled={disabled}
        onChange={(e) => {
          const files = Array.from(e.target.files ?? []);
          // The same file can be chosen again (after a failure, say).
          e.target.value = "";
          if (files.length) onFiles(files);
        }}
      />
    </label>
  );
}

/** The task detail's Attachments section. */
export function AttachmentsSection({
  task,
  me,
  names,
  editable,
}: {
  task: Task;
  me: string;
  names: Map<string, string>;
  editable: boolean;
}) {
  const qc = useQueryClient();
  const list = useAttachments(task);
  const comments = useQuery(commentsQuery(task));
  const sending = useUploads(uploads, taskScope(task));
  const drafts = useUploads(uploads, commentScope(task));
  const { shown, inComments } = useMemo(() => {
    const commentIds = comments.data ? new Set(comments.data.map((c) => c.id)) : null;
    const split = splitByComment(list.data ?? [], commentIds);
    // Files waiting in the comment being written are shown there, not here.
    const drafted = new Set(drafts.map((u) => u.attachment?.id).filter(Boolean));
    return {
      shown: split.task.filter((a) => !drafted.has(a.id)),
      inComments: [...split.byComment.values()].reduce((n, files) => n + files.length, 0),
    };
  }, [list.data, comments.data, drafts]);
  const add = (files: File[]) => attachFiles(qc, task, files);

  return (
    <section className="attachments" aria-labelledby="attachments-title">
      <div className="section-head">
        <h3 id="attachments-title">
          Attachments
          {shown.length > 0 && (
            <span className="count">
              <span className="sr-only">:</span> {shown.length}
              <span className="sr-only"> {shown.length === 1 ? "file" : "files"}</span>
            </span>
          )}
        </h3>
        {editable && (
          <FileButton label="Attach files" onFiles={add}>
            Attach files
          </FileButton>
        )}
      </div>
      {list.isError && <ErrorNote error={list.error} retry={() => void list.refetch()} />}
      {sending.length > 0 && <UploadList scope={taskScope(task)} uploads={sending} />}
      {shown.length > 0 ? (
        <AttachmentCards
          attachments={shown}
          task={task}
          me={me}
          names={names}
          canAdd={editable}
          label="Files of this task"
        />
      ) : (
        list.isSuccess &&
        sending.length === 0 && (
          <p className="muted">
            {editable ? "No files yet. Drop files on the task, or use Attach files." : "No files."}
          </p>
        )
      )}
      {inComments > 0 && (
        <p className="muted small">
          {inComments === 1 ? "1 more file is" : `${inComments} more files are`} with the comments
          below.
        </p>
      )}
    </section>
  );
}

/** Files as cards: images open in the lightbox, other files download. */
export function AttachmentCards({
  attachments,
  task,
  me,
  names,
  canAdd,
  label,
  compact = false,
}: {
  attachments: Attachment[];
  task: Pick<Task, "key" | "project_id">;
  me: string;
  names: Map<string, string>;
  /** The person may add files here (a project member, not a viewer). */
  canAdd: boolean;
  label: string;
  compact?: boolean;
}) {
  const moderator = useProject(task.project_id).data?.role === "admin";
  const images = attachments.filter(isImage);
  const [viewing, setViewing] = useState<number | null>(null);
  const [deleting, setDeleting] = useState<Attachment | null>(null);
  const remove = useDeleteAttachment(task);
  const close = useCallback(() => setViewing(null), []);
  return (
    <>
      <ul className={`attachment-cards${compact ? " compact" : ""}`} aria-label={label}>
        {attachments.map((a) => (
          <AttachmentCard
            key={a.id}
            attachment={a}
            uploader={a.created_by ? (names.get(a.created_by) ?? "Someone") : "A former member"}
            onView={() => setViewing(images.indexOf(a))}
            onDelete={
              (canAdd && a.created_by === me) || moderator ? () => setDeleting(a) : undefined
            }
          />
        ))}
      </ul>
      {viewing !== null && (
        <Lightbox
          images={images}
          index={viewing}
          onIndex={setViewing}
          onClose={close}
          names={names}
        />
      )}
      <Modal open={deleting !== null} onClose={() => setDeleting(null)} title="Delete file">
        {deleting && (
          <div className="attachment-confirm">
            <h2>Delete {deleting.filename}?</h2>
            <p>
              It is removed from {task.key} for everyone, and cannot be brought back. The task's
              history keeps its name.
            </p>
            <div className="row">
              <button type="button" onClick={() => setDeleting(null)} autoFocus>
                Cancel
              </button>
              <button
                type="button"
                className="primary danger-fill"
                disabled={remove.isPending}
                onClick={() => remove.mutate(deleting, { onSettled: () => setDeleting(null) })}
              >
                Delete file
              </button>
            </div>
          </div>
        )}
      </Modal>
    </>
  );
}

function AttachmentCard({
  attachment: a,
  uploader,
  onView,
  onDelete,
}: {
  attachment: Attachment;
  uploader: string;
  onView: () => void;
  onDelete?: () => void;
}) {
  const preview = previewUrl(a);
  const added = `Added by ${uploader}, ${formatDateTime(a.created_at)}`;
  return (
    <li className="attachment-card" data-kind={fileKind(a)}>
      {preview ? (
        <button
          type="button"
          className="attachment-preview"
          onClick={onView}
          aria-label={`View ${a.filename}`}
        >
          <img src={preview} alt="" loading="lazy" decoding="async" />
        </button>
      ) : (
        // The file's name below is the link; it covers this icon too (attachments.css).
        <div className="attachment-preview" aria-hidden="true">
          <FileIcon filename={a.filename} kind={fileKind(a)} />
        </div>
      )}
      <div className="attachment-info">
        {preview ? (
          <span className="attachment-name" title={a.filename}>
            {a.filename}
          </span>
        ) : (
          <a className="attachment-name" href={a.url} download={a.filename} title={a.filename}>
            {a.filename}
          </a>
        )}
        <span className="attachment-meta" title={added}>
          {formatBytes(a.size)} · <time dateTime={a.created_at}>{timeAgo(a.created_at)}</time>
        </span>
        <span className="attachment-meta attachment-who" title={added}>
          {uploader}
        </span>
        <span className="attachment-actions">
          {preview && (
            <a href={a.url} download={a.filename} aria-label={`Download ${a.filename}`}>
              Download
            </a>
          )}
          {onDelete && (
            <button
              type="button"
              className="link delete-file"
              onClick={onDelete}
              aria-label={`Delete ${a.filename}`}
            >
              Delete
            </button>
          )}
        </span>
      </div>
    </li>
  );
}

const KIND_COLOR: Record<string, string> = {
  pdf: "#c62828",
  sheet: "#1b7f3b",
  document: "#1d4ed8",
  slides: "#c2410c",
  archive: "#8a5300",
  audio: "#7c3aed",
  video: "#be185d",
  code: "#0f766e",
  image: "#4f46e5",
};

export function FileIcon({ filename, kind }: { filename: string; kind: string }) {
  return (
    <svg className="file-icon" width="40" height="48" viewBox="0 0 40 48" aria-hidden="true">
      <path d="M4 2h22l10 10v32a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2z" className="page" />
      <path d="M26 2v10h10" className="fold" />
      <rect x="0" y="26" width="34" height="13" rx="2" fill={KIND_COLOR[kind] ?? "#475569"} />
      <text x="17" y="35.5" textAnchor="middle" className="badge-text">
        {badgeText(filename)}
      </text>
    </svg>
  );
}

/** Uploads in progress (or failed) of one scope: name, size, a progress bar, and what can be
 * done about each. Files of a comment being written stay here, done, until it is sent. */
export function UploadList({
  scope,
  uploads: list,
  onRemove,
}: {
  scope: string;
  uploads: Upload[];
  /** For a finished upload (a comment's file): take it off again. */
  onRemove?: (upload: Upload) => void;
}) {
  return (
    <ul className="upload-list" aria-label="Uploads">
      {list.map((u) => (
        <UploadRow key={u.id} scope={scope} upload={u} onRemove={onRemove} />
      ))}
    </ul>
  );
}

function UploadRow({
  scope,
  upload: u,
  onRemove,
}: {
  scope: string;
  upload: Upload;
  onRemove?: (upload: Upload) => void;
}) {
  const percent = Math.round(progressOf(u) * 100);
  const going = !isFinal(u.phase);
  const status =
    u.phase === "queued"
      ? "Waiting…"
      : u.phase === "sending"
        ? `${percent}%`
        : u.phase === "finishing"
          ? "Finishing…"
          : u.phase === "cancelled"
            ? "Cancelled."
            : u.phase === "done"
              ? "Attached"
              : "";
  return (
    <li className="upload-row" data-phase={u.phase}>
      <span className="upload-name" title={u.name}>
        {u.name}
      </span>
      <span className="muted small upload-size">{formatBytes(u.size)}</span>
      {going && (
        <div
          className="upload-bar"
          role="progressbar"
          aria-label={`Uploading ${u.name}`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={percent}
          aria-valuetext={status}
        >
          <span style={{ width: `${percent}%` }} />
        </div>
      )}
      {status && <span className="muted small upload-status">{status}</span>}
      {u.phase === "failed" && (
        <span className="form-error upload-error" role="alert">
          {u.name}: {u.error}
        </span>
      )}
      <span className="upload-actions">
        {(u.phase === "queued" || u.phase === "sending") && (
          <button
            type="button"
            className="link small"
            onClick={() => uploads.cancel(scope, u.id)}
            aria-label={`Cancel uploading ${u.name}`}
          >
            Cancel
          </button>
        )}
        {(u.phase === "failed" || u.phase === "cancelled") && (
          <>
            {(u.phase === "cancelled" || u.retryable) && (
              <button
                type="button"
                className="link small"
                onClick={() => uploads.retry(scope, u.id)}
                aria-label={`Retry ${u.name}`}
              >
                Retry
              </button>
            )}
            <button
              type="button"
              className="link small"
              onClick={() => uploads.dismiss(scope, u.id)}
              aria-label={`Dismiss ${u.name}`}
            >
              Dismiss
            </button>
          </>
        )}
        {u.phase === "done" && onRemove && (
          <button
            type="button"
            className="link small"
            onClick={() => onRemove(u)}
            aria-label={`Remove ${u.name}`}
          >
            Remove
          </button>
        )}
      </span>
    </li>
  );
}
