/**
 * Start loading a board before React has rendered anything: the page's first requests go out
 * while the app boots and checks the session, instead of one round trip after another.
 */
import type { QueryClient } from "@tanstack/react-query";
import { columnQuery } from "../tasks/api";
import { projectQuery, statusesQuery } from "./api";

const BOARD = /^\/p\/([0-9a-f-]{36})(?:\/board)?(?:\/[^/]+)?\/?$/i;

export function prefetchRoute(qc: QueryClient, pathname: string): void {
  const projectId = BOARD.exec(pathname)?.[1];
  if (!projectId) return;
  void qc.prefetchQuery(projectQuery(projectId));
  void qc.fetchQuery(statusesQuery(projectId)).then(
    (statuses) => {
      for (const s of statuses) void qc.prefetchInfiniteQuery(columnQuery(projectId, s.id));
    },
    () => undefined, // not signed in, or no such project: the page will say so
  );
}
