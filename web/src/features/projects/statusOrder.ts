/** Where a new status goes: with the others of its category, in the workflow's order
 * (backlog, unstarted, started, done, cancelled), so a new "started" status lands before Done
 * and Cancelled, not after them. */
import type { Status, StatusCategory } from "../../api/types";

export const CATEGORY_ORDER: StatusCategory[] = [
  "backlog",
  "unstarted",
  "started",
  "done",
  "cancelled",
];

/** The position (0-based index; the API shifts the rest) for a new status of `category` among
 * `statuses` (in their order): after the last one of the same or an earlier category. */
export function newStatusPosition(statuses: Status[], category: StatusCategory): number {
  const rank = CATEGORY_ORDER.indexOf(category);
  let position = 0;
  statuses.forEach((s, i) => {
    if (CATEGORY_ORDER.indexOf(s.category) <= rank) position = i + 1;
  });
  return position;
}
