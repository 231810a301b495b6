/**
 * Uploads in progress, as a small state machine per file:
 *
 *   queued → sending (bytes go up, with progress) → finishing (the server records it) → done
 *      ↘ failed (with a message; retry puts it back in the queue) ↙     cancelled ↙
 *
 * The lists live outside React, by scope (a task's files, or a comment being written), so an
 * upload carries on when the task panel closes and shows again when it opens. At most
 * MAX_PARALLEL files of a scope go up at once; the rest wait their turn.
 */
import { useSyncExternalStore } from "react";
import type { Attachment } from "./files";

export type Phase = "queued" | "sending" | "finishing" | "done" | "failed" | "cancelled";

export interface Upload {
  id: string;
  name: string;
  size: number;
  phase: Phase;
  /** Bytes sent so far. */
  loaded: number;
  error?: string;
  /** A failure that may go away by trying again (a lost connection, a server error); not a
   * file that is too large or a full workspace. */
  retryable?: boolean;
  attachment?: Attachment;
}

export type UploadAction =
  | { type: "add"; uploads: Array<Pick<Upload, "id" | "name" | "size">> }
  | { type: "start"; id: string }
  | { type: "progress"; id: string; loaded: number }
  | { type: "sent"; id: string }
  | { type: "done"; id: string; attachment: Attachment }
  | { type: "fail"; id: string; error: string; retryable?: boolean }
  | { type: "cancel"; id: string }
  | { type: "retry"; id: string }
  | { type: "dismiss"; id: string };

export const MAX_PARALLEL = 3;

const FINAL: ReadonlySet<Phase> = new Set(["done", "failed", "cancelled"]);

export function isFinal(phase: Phase): boolean {
  return FINAL.has(phase);
}

/** Which phases each action may move an upload out of; anything else is a late or repeated
 * message (a progress event after a cancel, a second "done") and changes nothing. */
const FROM: Record<Exclude<UploadAction["type"], "add" | "dismiss">, ReadonlySet<Phase>> = {
  start: new Set(["queued"]),
  progress: new Set(["sending"]),
  sent: new Set(["sending"]),
  done: new Set(["sending", "finishing"]),
  fail: new Set(["queued", "sending", "finishing"]),
  // Not once the bytes are up: the server may be recording the file already.
  cancel: new Set(["queued", "sending"]),
  retry: new Set(["failed", "cancelled"]),
};

function step(upload: Upload, action: Exclude<UploadAction, { type: "add" }>): Upload {
  switch (action.type) {
    case "start":
      return { ...upload, phase: "sending", loaded: 0, error: undefined };
    case "progress": {
      // Never backwards, never past the file's size.
      const loaded = Math.min(upload.size, Math.max(upload.loaded, action.loaded));
      return loaded === upload.loaded ? upload : { ...upload, loaded };
    }
    case "sent":
      return { ...upload, phase: "finishing", loaded: upload.size };
    case "done":
      return { ...upload, phase: "done", loaded: upload.size, attachment: action.attachment };
    case "fail":
      return { ...upload, phase: "failed", error: action.error, retryable: action.retryable };
    case "cancel":
      return { ...upload, phase: "cancelled" };
    case "retry":
      return { ...upload, phase: "queued", loaded: 0, error: undefined, retryable: undefined };
    default:
      return upload;
  }
}

export function reduce(state: readonly Upload[], action: UploadAction): Upload[] {
  if (action.type === "add") {
    const known = new Set(state.map((u) => u.id));
    const added = action.uploads
      .filter((u) => !known.has(u.id))
      .map((u): Upload => ({ ...u, phase: "queued", loaded: 0 }));
    return added.length ? [...state, ...added] : (state as Upload[]);
  }
  const at = state.findIndex((u) => u.id === action.id);
  if (at === -1) return state as Upload[];
  const upload = state[at] as Upload;
  if (action.type === "dismiss") {
    // One still going is cancelled first, so it is not left running unseen.
    if (!isFinal(upload.phase)) return state as Upload[];
    return state.filter((u) => u.id !== action.id);
  }
  if (!FROM[action.type].has(upload.phase)) return state as Upload[];
  const next = step(upload, action);
  if (next === upload) return state as Upload[];
  const out = [...state];
  out[at] = next;
  return out;
}

/** How far along (0..1): sending counts the bytes; finishing is nearly there. */
export function progressOf(upload: Upload): number {
  if (upload.phase === "done") return 1;
  if (upload.phase === "finishing") return 0.99;
  if (upload.phase !== "sending" || upload.size === 0) return 0;
  return Math.min(0.99, upload.loaded / upload.size);
}

/** The queued uploads that may start now, oldest first, keeping at most `limit` going. */
export function startable(state: readonly Upload[], limit = MAX_PARALLEL): Upload[] {
  const going = state.filter((u) => u.phase === "sending" || u.phase === "finishing").length;
  const room = Math.max(0, limit - going);
  return state.filter((u) => u.phase === "queued").slice(0, room);
}

/** Whether anything of the list is still on its way. */
export function busy(state: readonly Upload[]): boolean {
  return state.some((u) => !isFinal(u.phase));
}

// --- the store -------------------------------------------------------------------------------

export type Transfer = (
  file: File,
  options: { signal: AbortSignal; onProgress: (loaded: number) => void; onSent: () => void },
) => Promise<Attachment>;

interface Job {
  file: File;
  transfer: Transfer;
  onDone?: (attachment: Attachment, id: string) => void;
  controller?: AbortController;
}

const EMPTY: Upload[] = [];

/** What a failure means for a person: what to read, and whether trying again may help. */
export type Explain = (error: unknown) => { message: string; retryable: boolean };

/** Each scope's uploads, with the files and how to send them, and who listens. */
export class UploadStore {
  private lists = new Map<string, Upload[]>();
  private jobs = new Map<string, Job>();
  private listeners = new Set<() => void>();
  private counter = 0;

  constructor(
    private readonly explain: Explain,
    private readonly newId: () => string = () => `upload-${++this.counter}`,
  ) {}

  get(scope: string): Upload[] {
    return this.lists.get(scope) ?? EMPTY;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private dispatch(scope: string, action: UploadAction): void {
    const before = this.get(scope);
    const after = reduce(before, action);
    if (after === before) return;
    if (after.length) this.lists.set(scope, after);
    else this.lists.delete(scope);
    for (const l of this.listeners) l();
  }

  /** Queue `files` in `scope`, each sent by `transfer`; `onDone` hears of each one stored. */
  add(
    scope: string,
    files: File[],
    transfer: Transfer,
    onDone?: (attachment: Attachment, id: string) => void,
  ): string[] {
    const ids = files.map(() => this.newId());
    files.forEach((file, i) => {
      this.jobs.set(ids[i] as string, { file, transfer, onDone });
    });
    this.dispatch(scope, {
      type: "add",
      uploads: files.map((f, i) => ({ id: ids[i] as string, name: f.name, size: f.size })),
    });
    this.pump(scope);
    return ids;
  }

  cancel(scope: string, id: string): void {
    const phase = this.get(scope).find((u) => u.id === id)?.phase;
    if (phase !== "queued" && phase !== "sending") return;
    this.jobs.get(id)?.controller?.abort();
    this.dispatch(scope, { type: "cancel", id });
    this.pump(scope);
  }

  retry(scope: string, id: string): void {
    this.dispatch(scope, { type: "retry", id });
    this.pump(scope);
  }

  dismiss(scope: string, id: string): void {
    this.dispatch(scope, { type: "dismiss", id });
    if (!this.get(scope).some((u) => u.id === id)) this.jobs.delete(id);
  }

  /** Forget every finished upload of the scope (a comment was sent with its files). */
  clear(scope: string): void {
    for (const u of this.get(scope)) if (isFinal(u.phase)) this.dismiss(scope, u.id);
  }

  private pump(scope: string): void {
    for (const upload of startable(this.get(scope))) {
      const job = this.jobs.get(upload.id);
      if (!job) continue;
      const controller = new AbortController();
      job.controller = controller;
      this.dispatch(scope, { type: "start", id: upload.id });
      job
        .transfer(job.file, {
          signal: controller.signal,
          onProgress: (loaded) => this.dispatch(scope, { type: "progress", id: upload.id, loaded }),
          onSent: () => this.dispatch(scope, { type: "sent", id: upload.id }),
        })
        .then(
          (attachment) => {
            if (controller.signal.aborted) return;
            this.dispatch(scope, { type: "done", id: upload.id, attachment });
            job.onDone?.(attachment, upload.id);
          },
          (error: unknown) => {
            if (controller.signal.aborted) return;
            const { message, retryable } = this.explain(error);
            this.dispatch(scope, { type: "fail", id: upload.id, error: message, retryable });
          },
        )
        .finally(() => {
          job.controller = undefined;
          this.pump(scope);
        });
    }
  }
}

export function useUploads(store: UploadStore, scope: string): Upload[] {
  return useSyncExternalStore(store.subscribe, () => store.get(scope));
}
