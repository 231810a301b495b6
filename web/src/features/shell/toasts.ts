/** Short messages in the corner, announced to screen readers. */
import { useSyncExternalStore } from "react";

export interface Toast {
  id: number;
  kind: "info" | "error";
  text: string;
}

let toasts: Toast[] = [];
let nextId = 1;
const listeners = new Set<() => void>();

function emit(): void {
  for (const l of listeners) l();
}

function push(kind: Toast["kind"], text: string): void {
  const id = nextId++;
  toasts = [...toasts.slice(-3), { id, kind, text }];
  emit();
  setTimeout(() => dismiss(id), kind === "error" ? 8000 : 4000);
}

export function dismiss(id: number): void {
  toasts = toasts.filter((t) => t.id !== id);
  emit();
}

export const toast = {
  info: (text: string) => push("info", text),
  error: (text: string) => push("error", text),
};

export function useToasts(): Toast[] {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => toasts,
  );
}
