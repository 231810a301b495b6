/** Short messages in the corner, announced to screen readers. A message may carry one action
 * (an "Undo"); it stays longer, so there is time to reach the button. */
import { useSyncExternalStore } from "react";
import "./toasts.css";

export interface ToastAction {
  label: string;
  run: () => void;
}

export interface Toast {
  id: number;
  kind: "info" | "error";
  text: string;
  action?: ToastAction;
}

export interface ToastOptions {
  action?: ToastAction;
  /** How long it shows; by default 4 s, 8 s for an error or a message with an action. */
  ms?: number;
}

let toasts: Toast[] = [];
let nextId = 1;
const listeners = new Set<() => void>();

function emit(): void {
  for (const l of listeners) l();
}

function push(kind: Toast["kind"], text: string, options: ToastOptions = {}): number {
  const id = nextId++;
  toasts = [...toasts.slice(-3), { id, kind, text, action: options.action }];
  emit();
  const ms = options.ms ?? (kind === "error" || options.action ? 8000 : 4000);
  setTimeout(() => dismiss(id), ms);
  return id;
}

export function dismiss(id: number): void {
  toasts = toasts.filter((t) => t.id !== id);
  emit();
}

/** Run a message's action, once: the message goes away first, so a second click does nothing. */
export function act(id: number): void {
  const found = toasts.find((t) => t.id === id);
  dismiss(id);
  found?.action?.run();
}

export const toast = {
  info: (text: string, options?: ToastOptions) => push("info", text, options),
  error: (text: string, options?: ToastOptions) => push("error", text, options),
};

/** The messages shown now. */
export function currentToasts(): Toast[] {
  return toasts;
}

export function useToasts(): Toast[] {
  return useSyncExternalStore((l) => {
    listeners.add(l);
    return () => listeners.delete(l);
  }, currentToasts);
}
