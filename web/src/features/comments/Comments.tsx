import { type QueryClient, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type ClipboardEvent, useId, useMemo, useState } from "react";
import { api, unwrap } from "../../api/client";
import type { Comment, Task } from "../../api/types";
import { Avatar, ErrorNote, formatDateTime, timeAgo } from "../../app/ui";
import { Markdown } from "../../lib/markdown";
import {
  AttachmentCards,
  DropHint,
  FileButton,
  UploadList,
  useFileDrop,
} from "../attachments/Attachments";
import {
  attachFiles,
  commentScope,
  takeAttachment,
  uploads,
  useAttachments,
} from "../attachments/api";
import { type Attachment, splitByComment } from "../attachments/files";
import { busy, type Upload, useUploads } from "../attachments/uploads";
import { MentionTextarea } from "../notifications/MentionTextarea";
import { useProject } from "../projects/api";
import { toast } from "../shell/toasts";
import { messageOf } from "../tasks/api";
import { taskKeys } from "../tasks/cache";
import { commentsQuery, putComment, takeComment } from "./cache";
import "./comments.css";
import { type WriteTab, WriteTabs } from "../../app/WriteTabs";

export function Comments({
  task,
  me,
  canComment,
  names,
}: {
  task: Task;
  me: string;
  canComment: boolean;
  /** People by id, for who added a file. */
  names: Map<string, string>;
}) {
  const qc = useQueryClient();
  const key = taskKeys.comments(task.key);
  const query = useQuery(commentsQuery(task));
  const files = useAttachments(task);
  const filesOf = useMemo(() => {
    const ids = query.data ? new Set(query.data.map((c) => c.id)) : null;
    return splitByComment(files.data ?? [], ids).byComment;
  }, [files.data, query.data]);
  // Project admins moderate: they may delete anyone's comment (the API's comment:moderate).
  const moderator = useProject(task.project_id).data?.role === "admin";
  const [body, setBody] = useState("");
  const scope = commentScope(task);
  const drafts = useUploads(uploads, scope);
  const uploading = busy(drafts);
  const add = useMutation({
    mutationFn: (text: string) =>
      unwrap(
        api.POST("/api/v1/tasks/{task_ref}/comments", {
          params: {
            path: { task_ref: task.id },
            header: { "Idempotency-Key": crypto.randomUUID() },
          },
          body: {
            body: text,
            attachment_ids: drafts.flatMap((u) => (u.attachment ? [u.attachment.id] : [])),
          },
        }),
      ),
    onSuccess: (comment) => {
      void putComment(qc, key, comment);
      void qc.invalidateQueries({ queryKey: taskKeys.activity(task.key) });
      // The files are the comment's now.
      void qc.invalidateQueries({ queryKey: taskKeys.attachments(task.key) });
      uploads.clear(scope);
      setBody("");
    },
    onError: (e) => toast.error(messageOf(e, "Your comment was not posted.")),
  });
  const attach = (list: File[]) => attachFiles(qc, task, list, scope);
  const drop = useFileDrop(attach, canComment, true);
  const unattach = useMutation({
    mutationFn: (upload: Upload) =>
      unwrap(
        api.DELETE("/api/v1/attachments/{attachment_id}", {
          params: { path: { attachment_id: (upload.attachment as Attachment).id } },
        }),
      ),
    onSuccess: (_, upload) => {
      uploads.dismiss(scope, upload.id);
      if (upload.attachment) takeAttachment(qc, task, upload.attachment.id);
      void qc.invalidateQueries({ queryKey: taskKeys.activity(task.key) });
    },
    onError: (e, upload) => toast.error(messageOf(e, `${upload.name} was not removed.`)),
  });
  const send = () => {
    if (body.trim() && !uploading && !add.isPending) add.mutate(body);
  };

  return (
    <section className="comments" aria-labelledby="comments-title">
      <h3 id="comments-title">Comments</h3>
      {query.isError && <ErrorNote error={query.error} retry={() => void query.refetch()} />}
      {query.data?.length === 0 && (
        <p className="muted">
          {/* Only someone who can comment is invited to. */}
          {canComment ? "No comments yet. Start the discussion." : "No comments yet."}
        </p>
      )}
      <ol className="comment-list">
        {query.data?.map((c) => (
          <CommentItem
            key={c.id}
            comment={c}
            task={task}
            canEdit={canComment && c.author_id === me}
            canDelete={(canComment && c.author_id === me) || moderator}
            files={filesOf.get(c.id)}
            me={me}
            canAttach={canComment}
            names={names}
          />
        ))}
      </ol>
      {canComment && (
        <form
          className="comment-form"
          onSubmit={(e) => {
            e.preventDefault();
            send();
          }}
          {...drop.handlers}
        >
          {drop.dragging && <DropHint>Drop files to attach them to your comment</DropHint>}
          <MarkdownField
            projectId={task.project_id}
            label="Write a comment (Markdown)"
            placeholder="Write a comment… Markdown works. Ctrl+Enter sends."
            value={body}
            onChange={setBody}
            onSubmit={send}
            onPasteFiles={attach}
          />
          {drafts.length > 0 && (
            <UploadList scope={scope} uploads={drafts} onRemove={(u) => unattach.mutate(u)} />
          )}
          <div className="comment-form-actions">
            <FileButton label="Attach files to the comment" onFiles={attach}>
              Attach files
            </FileButton>
            <span className="spacer" />
            {uploading && <span className="muted small">Waiting for the files…</span>}
            <button
              type="submit"
              className="primary"
              disabled={!body.trim() || add.isPending || uploading}
            >
              Comment
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

function CommentItem({
  comment: c,
  task,
  canEdit,
  canDelete,
  files,
  me,
  canAttach,
  names,
}: {
  comment: Comment;
  task: Task;
  canEdit: boolean;
  canDelete: boolean;
  files: Attachment[] | undefined;
  me: string;
  canAttach: boolean;
  names: Map<string, string>;
}) {
  const qc = useQueryClient();
  const [draft, setDraft] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const edit = useMutation({
    mutationFn: (text: string) =>
      unwrap(
        api.PATCH("/api/v1/comments/{comment_id}", {
          params: { path: { comment_id: c.id } },
          body: { body: text },
        }),
      ),
    onSuccess: (saved) => {
      void putComment(qc, taskKeys.comments(task.key), saved);
      afterChange(qc, task);
      setDraft(null);
    },
    // The draft stays open, so nothing typed is lost.
    onError: (e) => toast.error(messageOf(e, "Your edit was not saved.")),
  });
  const remove = useMutation({
    mutationFn: () =>
      unwrap(
        api.DELETE("/api/v1/comments/{comment_id}", {
          params: { path: { comment_id: c.id } },
        }),
      ),
    onSuccess: () => {
      void takeComment(qc, taskKeys.comments(task.key), c.id);
      afterChange(qc, task);
      toast.info("Comment deleted.");
    },
    onError: (e) => {
      setConfirming(false);
      toast.error(messageOf(e, "The comment was not deleted."));
    },
  });
  const name = c.author?.name ?? "Deleted user";
  const save = () => {
    if (draft === null || !draft.trim()) return;
    if (draft === c.body) setDraft(null);
    else edit.mutate(draft);
  };

  return (
    <li className="comment">
      <div className="comment-head">
        <Avatar id={c.author?.id ?? c.id} name={name} />
        <strong>{name}</strong>
        <time className="muted" dateTime={c.created_at} title={formatDateTime(c.created_at)}>
          {timeAgo(c.created_at)}
        </time>
        {c.edited_at && (
          <span className="muted comment-edited" title={`Edited ${formatDateTime(c.edited_at)}`}>
            edited
          </span>
        )}
        <span className="spacer" />
        {canEdit && draft === null && !confirming && (
          <button
            type="button"
            className="link small"
            onClick={() => setDraft(c.body)}
            aria-label="Edit this comment"
          >
            Edit
          </button>
        )}
        {canDelete && draft === null && !confirming && (
          <button
            type="button"
            className="link small"
            onClick={() => setConfirming(true)}
            aria-label="Delete this comment"
          >
            Delete
          </button>
        )}
      </div>
      {confirming && (
        // A deleted comment cannot be brought back, so this one asks first.
        <div className="comment-confirm" role="alert">
          <span>Delete this comment? This cannot be undone.</span>
          <button
            type="button"
            className="danger"
            disabled={remove.isPending}
            onClick={() => remove.mutate()}
          >
            Delete comment
          </button>
          <button type="button" onClick={() => setConfirming(false)} autoFocus>
            Cancel
          </button>
        </div>
      )}
      {draft === null ? (
        <Markdown text={c.body} className="comment-body" />
      ) : (
        <form
          className="comment-form comment-edit"
          onSubmit={(e) => {
            e.preventDefault();
            save();
          }}
        >
          <MarkdownField
            projectId={task.project_id}
            label="Edit the comment (Markdown)"
            value={draft}
            onChange={setDraft}
            onSubmit={save}
            onCancel={() => setDraft(null)}
            autoFocus
          />
          <div className="row">
            <button type="submit" className="primary" disabled={!draft.trim() || edit.isPending}>
              Save
            </button>
            <button type="button" onClick={() => setDraft(null)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {files && files.length > 0 && (
        <div className="comment-files">
          <AttachmentCards
            attachments={files}
            task={task}
            me={me}
            names={names}
            canAdd={canAttach}
            label={`Files of ${name}'s comment`}
            compact
          />
        </div>
      )}
    </li>
  );
}

/** The task's history shows comment edits and deletions. */
function afterChange(qc: QueryClient, task: Task): void {
  void qc.invalidateQueries({ queryKey: taskKeys.activity(task.key) });
}

/** A Markdown text box with Write and Preview tabs; Ctrl/⌘+Enter submits, Esc cancels; `@`
 * suggests the project's people to mention. */
function MarkdownField({
  projectId,
  label,
  placeholder,
  value,
  onChange,
  onSubmit,
  onCancel,
  onPasteFiles,
  autoFocus,
}: {
  projectId: string;
  label: string;
  placeholder?: string;
  value: string;
  onChange: (text: string) => void;
  onSubmit: () => void;
  onCancel?: () => void;
  /** Files pasted into the box (a screenshot): given here instead of pasted as text. */
  onPasteFiles?: (files: File[]) => void;
  autoFocus?: boolean;
}) {
  const [tab, setTab] = useState<WriteTab>("write");
  const id = useId();
  return (
    <div className="markdown-field">
      <WriteTabs label="Write or preview" tab={tab} onTab={setTab} idPrefix={id} />
      {tab === "write" ? (
        <MentionTextarea
          projectId={projectId}
          aria-label={label}
          placeholder={placeholder}
          value={value}
          rows={3}
          maxLength={20000}
          autoFocus={autoFocus}
          onChange={onChange}
          onPaste={
            onPasteFiles &&
            ((e: ClipboardEvent<HTMLTextAreaElement>) => {
              const pasted = Array.from(e.clipboardData.files);
              if (!pasted.length) return;
              e.preventDefault();
              onPasteFiles(pasted);
            })
          }
          onKeyDown={(e) => {
            if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              onSubmit();
            }
            if (e.key === "Escape" && onCancel) {
              // Closes the editor only, not the task around it.
              e.preventDefault();
              e.stopPropagation();
              onCancel();
            }
          }}
        />
      ) : (
        <div className="preview" role="tabpanel" aria-labelledby={`${id}-preview`}>
          {value.trim() ? <Markdown text={value} /> : <p className="muted">Nothing to preview.</p>}
        </div>
      )}
    </div>
  );
}
