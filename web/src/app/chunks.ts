/**
 * A lazily loaded part of the app (a chunk) can fail to load: the server restarted, or a deploy
 * renamed the chunks this page still asks for. A reload fetches the new ones; it is done at
 * most once a minute (remembered in sessionStorage), so a chunk that keeps failing cannot make
 * the page reload in a loop.
 */

const KEY = "tasklane.chunkReloadAt";
const QUIET_MS = 60_000;

/** Whether `error` is a failed dynamic import or module preload. */
export function isChunkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === "ChunkLoadError") return true;
  return /dynamically imported module|importing a module script failed|unable to preload|error loading dynamically|failed to load module script/i.test(
    error.message,
  );
}

/** Reload the page for a failed chunk unless that was done less than a minute ago; answer
 * whether a reload was started. */
export function reloadForChunk(
  storage: Pick<Storage, "getItem" | "setItem"> = window.sessionStorage,
  reload: () => void = () => window.location.reload(),
  now = Date.now(),
): boolean {
  let last = 0;
  try {
    last = Number(storage.getItem(KEY) ?? 0) || 0;
  } catch {
    return false; // no storage, no guard: do not risk a loop
  }
  if (now - last < QUIET_MS) return false;
  try {
    storage.setItem(KEY, String(now));
  } catch {
    return false;
  }
  reload();
  return true;
}
