/**
 * Sending a file: the direct-upload flow of the API (docs/openapi.json, attachments).
 *
 * 1. `POST /tasks/{ref}/attachments/uploads {filename, content_type, size}` hands out a link
 *    (an S3 pre-signed POST, or the app's own signed link with local storage);
 * 2. the file goes to that link as a multipart form (the link's `fields` first, then `file`)
 *    through XMLHttpRequest, whose upload events give the progress bar;
 * 3. `POST /tasks/{ref}/attachments {upload_id}` completes it.
 *
 * Steps 1 and 3 use the API client (CSRF header, session refresh). Step 2 sends the CSRF
 * header only to this app's own origin: a storage elsewhere gets no header and no cookies.
 * When the storage elsewhere cannot be reached from the page at all (a network error: blocked
 * by the browser, or down), the file goes through the app instead, as one streamed form.
 */
import { ApiError, api, csrfToken, unwrap } from "../../api/client";
import type { Problem } from "../../api/types";
import { type Attachment, declaredType, type UploadLink, uploadErrorMessage } from "./files";
import type { Transfer } from "./uploads";

/** Whether `url` (absolute, or relative to the page) is on this page's own origin. */
export function isOwnOrigin(url: string, origin: string = window.location.origin): boolean {
  try {
    return new URL(url, origin).origin === origin;
  } catch {
    return false;
  }
}

export interface Progress {
  signal: AbortSignal;
  /** Bytes of the file sent so far. */
  onProgress: (loaded: number) => void;
  /** Every byte is sent; the answer is awaited. */
  onSent: () => void;
}

function abortError(): DOMException {
  return new DOMException("The upload was cancelled.", "AbortError");
}

function problemOf(xhr: XMLHttpRequest, own: boolean): Problem {
  const fallback: Problem = {
    type: "about:blank",
    title: xhr.statusText || "Upload failed",
    status: xhr.status,
    code: "http_error",
  };
  if (!own) return fallback; // A storage's own error document (S3: XML) means nothing here.
  try {
    const body = JSON.parse(xhr.responseText) as Problem;
    return body && typeof body === "object" && "title" in body ? body : fallback;
  } catch {
    return fallback;
  }
}

/** Post `file` after `fields` as multipart/form-data to `url`, reporting the upload's
 * progress; resolves on a 2xx answer, rejects with an ApiError (status 0: no answer) or an
 * AbortError. */
export function postForm(
  url: string,
  fields: Record<string, string>,
  file: File,
  { signal, onProgress, onSent }: Progress,
): Promise<XMLHttpRequest> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortError());
      return;
    }
    const own = isOwnOrigin(url);
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append("file", file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    // Cookies go only to this app's own origin (the default for XHR); so does the CSRF token.
    xhr.withCredentials = false;
    if (own) xhr.setRequestHeader("X-CSRF-Token", csrfToken());
    xhr.upload.onprogress = (e) => {
      // The form is a little larger than the file: count the file's share of it.
      if (e.lengthComputable && e.total > 0)
        onProgress(Math.round((e.loaded / e.total) * file.size));
    };
    xhr.upload.onload = () => onSent();
    xhr.onload = () => {
      signal.removeEventListener("abort", abort);
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr);
      else reject(new ApiError(xhr.status, problemOf(xhr, own)));
    };
    xhr.onerror = () => {
      signal.removeEventListener("abort", abort);
      reject(
        new ApiError(0, {
          type: "about:blank",
          title: "Network error",
          status: 0,
          code: "network_error",
        }),
      );
    };
    xhr.onabort = () => reject(abortError());
    const abort = () => xhr.abort();
    signal.addEventListener("abort", abort, { once: true });
    xhr.send(form);
  });
}

export function startUpload(taskRef: string, file: File, signal?: AbortSignal) {
  return unwrap(
    api.POST("/api/v1/tasks/{task_ref}/attachments/uploads", {
      params: { path: { task_ref: taskRef } },
      body: {
        filename: file.name || "file",
        content_type: declaredType(file.type),
        size: file.size,
      },
      signal,
    }),
  ) as Promise<UploadLink>;
}

export function completeUpload(
  taskRef: string,
  uploadId: string,
  signal?: AbortSignal,
): Promise<Attachment> {
  return unwrap(
    api.POST("/api/v1/tasks/{task_ref}/attachments", {
      params: { path: { task_ref: taskRef } },
      body: { upload_id: uploadId },
      signal,
    }),
  );
}

/** The way through the app: one multipart form to `POST /tasks/{ref}/attachments`. */
async function throughApp(taskRef: string, file: File, progress: Progress): Promise<Attachment> {
  const url = `/api/v1/tasks/${encodeURIComponent(taskRef)}/attachments`;
  const xhr = await postForm(url, {}, file, progress);
  return JSON.parse(xhr.responseText) as Attachment;
}

/** Upload `file` to the task `taskRef` (its id), as an attachment. */
export function uploadTo(taskRef: string): Transfer {
  return async (file, progress) => {
    const link = await startUpload(taskRef, file, progress.signal);
    try {
      await postForm(link.url, link.fields, file, progress);
    } catch (error) {
      const unreachable = error instanceof ApiError && error.status === 0;
      if (unreachable && !isOwnOrigin(link.url)) return throughApp(taskRef, file, progress);
      throw error;
    }
    return completeUpload(taskRef, link.upload_id, progress.signal);
  };
}

/** What a person reads about a failed upload. */
export function describeUploadError(error: unknown): string {
  if (error instanceof ApiError) {
    return uploadErrorMessage({
      status: error.status,
      code: error.code,
      detail: error.problem.detail ?? undefined,
    });
  }
  if (error instanceof DOMException && error.name === "AbortError") return "Cancelled.";
  return "The upload failed. Try again.";
}

/** Whether trying the same upload again may work: not for a file the server refused as such. */
export function retryable(error: unknown): boolean {
  if (!(error instanceof ApiError)) return true;
  const { status } = error;
  return status === 0 || status === 401 || status === 408 || status === 429 || status >= 500;
}

export function explainUploadError(error: unknown) {
  return { message: describeUploadError(error), retryable: retryable(error) };
}
