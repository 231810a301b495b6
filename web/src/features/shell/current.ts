/** The workspace the person is working in, remembered per browser. */
import { useSyncExternalStore } from "react";

const KEY = "tasklane.workspace";
const listeners = new Set<() => void>();
let current: string | null = read();

function read(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function setCurrentWorkspace(id: string): void {
  if (current === id) return;
  current = id;
  try {
    localStorage.setItem(KEY, id);
  } catch {
    // Private mode: remembered for this page only.
  }
  for (const l of listeners) l();
}

export function useCurrentWorkspace(): string | null {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => current,
  );
}

/** Commands that pages offer to the palette and shortcuts (create a task, ...). */
export const CREATE_TASK_EVENT = "tasklane:create-task";
