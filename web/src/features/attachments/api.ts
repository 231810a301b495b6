/** A task's attachments, removing one, a workspace's storage, and starting uploads. */
import {
  type QueryClient,
  queryOptions,
  useMutation,
  useQuery,
  useQueryClient,
} from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { Task } from "../../api/types";
import { toast } from "../shell/toasts";
import { messageOf } from "../tasks/api";
import { taskKeys } from "../tasks/cache";
import { type Attachment, awaitingThumbnail } from "./files";
import { explainUploadError, uploadTo } from "./transfer";
import { UploadStore } from "./uploads";

/** While an image's thumbnail is being made, the list is asked again this often. */
const THUMBNAIL_POLL_MS = 3000;

export function attachmentsQuery(task: Pick<Task, "id" | "key">) {
  return queryOptions({
    queryKey: taskKeys.attachments(task.key),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/tasks/{task_ref}/attachments", {
          params: { path: { task_ref: task.id } },
          signal,
        }),
      ),
  });
}

export function useAttachments(task: Pick<Task, "id" | "key">) {
  return useQuery({
    ...attachmentsQuery(task),
    refetchInterval: (query) =>
      awaitingThumbnail(query.state.data ?? []) ? THUMBNAIL_POLL_MS : false,
  });
}

function byAge(a: Attachment, b: Attachment): number {
  return a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0;
}

/** Put this tab's new (or changed) attachment into the cached list, oldest first. */
export function putAttachment(qc: QueryClient, task: Pick<Task, "key">, attachment: Attachment) {
  qc.setQueryData<Attachment[]>(taskKeys.attachments(task.key), (old) => {
    if (!old) return old; // Not loaded: it comes with the list.
    const rest = old.filter((a) => a.id !== attachment.id);
    return [...rest, attachment].sort(byAge);
  });
}

export function takeAttachment(qc: QueryClient, task: Pick<Task, "key">, id: string) {
  qc.setQueryData<Attachment[]>(taskKeys.attachments(task.key), (old) =>
    old?.filter((a) => a.id !== id),
  );
}

export function useDeleteAttachment(task: Pick<Task, "key">) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (attachment: Attachment) =>
      unwrap(
        api.DELETE("/api/v1/attachments/{attachment_id}", {
          params: { path: { attachment_id: attachment.id } },
        }),
      ),
    onSuccess: (_, attachment) => {
      takeAttachment(qc, task, attachment.id);
      void qc.invalidateQueries({ queryKey: taskKeys.activity(task.key) });
      toast.info(`${attachment.filename} deleted.`);
    },
    onError: (e, attachment) =>
      toast.error(messageOf(e, `${attachment.filename} was not deleted.`)),
  });
}

export function useStorageUsage(workspaceId: string) {
  return useQuery({
    queryKey: ["workspace", workspaceId, "storage"],
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/workspaces/{workspace_id}/storage", {
          params: { path: { workspace_id: workspaceId } },
          signal,
        }),
      ),
  });
}

/** Every upload of the app, by scope. */
export const uploads = new UploadStore(explainUploadError);

/** The uploads of a task's own files, and of the comment being written on it. */
export const taskScope = (task: Pick<Task, "id">) => `task:${task.id}`;
export const commentScope = (task: Pick<Task, "id">) => `comment:${task.id}`;

/** Upload `files` to `task`: each shows in the list as soon as it is stored. Uploads for a
 * comment stay in the comment's form until it is sent. */
export function attachFiles(
  qc: QueryClient,
  task: Pick<Task, "id" | "key">,
  files: File[],
  scope: string = taskScope(task),
): void {
  if (!files.length) return;
  uploads.add(scope, files, uploadTo(task.id), (attachment, id) => {
    putAttachment(qc, task, attachment);
    void qc.invalidateQueries({ queryKey: taskKeys.activity(task.key) });
    // A task's file is in its list now; one for a comment waits in the form.
    if (scope === taskScope(task)) uploads.dismiss(scope, id);
  });
}
