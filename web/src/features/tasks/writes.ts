/**
 * Writes of this tab still in flight, per task. The live event of a write can arrive before
 * the write's own answer; judged then, it looks like someone else's newer version and would be
 * fetched again. Such an event waits until the write has settled and its answer is in the
 * caches, and is judged against that.
 */

const inFlight = new Map<string, number>();
const waiting = new Map<string, Array<() => void>>();

/** Run `work` (a request and the storing of its answer) with `taskIds` marked as being
 * written; events for them that arrive meanwhile wait for it to settle, however it ends. */
export async function writing<T>(taskIds: Iterable<string>, work: () => Promise<T>): Promise<T> {
  const ids = [...new Set(taskIds)];
  for (const id of ids) inFlight.set(id, (inFlight.get(id) ?? 0) + 1);
  try {
    return await work();
  } finally {
    for (const id of ids) settle(id);
  }
}

function settle(id: string): void {
  const left = (inFlight.get(id) ?? 1) - 1;
  if (left > 0) {
    inFlight.set(id, left);
    return;
  }
  inFlight.delete(id);
  const then = waiting.get(id) ?? [];
  waiting.delete(id);
  for (const run of then) run();
}

/** If this tab is writing the task, run `then` once it no longer is and answer true;
 * otherwise answer false and run nothing (the caller goes on at once). */
export function afterWrites(taskId: string, then: () => void): boolean {
  if (!inFlight.has(taskId)) return false;
  const list = waiting.get(taskId) ?? [];
  list.push(then);
  waiting.set(taskId, list);
  return true;
}
