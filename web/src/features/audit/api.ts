import { useInfiniteQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";

export type AuditEntry = components["schemas"]["AuditEntryRead"];

/** The filters as the page keeps them in its URL: a person's id, an action or kind (`auth.`),
 * and a range of calendar days (`2026-12-04`, inclusive) in the browser's zone. */
export interface AuditFilters {
  actor?: string;
  action?: string;
  from?: string;
  to?: string;
}

function startOfDay(day: string, plusDays = 0): string | undefined {
  const [y, m, d] = day.split("-").map(Number);
  if (!y || !m || !d) return undefined;
  return new Date(y, m - 1, d + plusDays).toISOString();
}

/** The API's query parameters for `filters`. */
export function auditQuery(filters: AuditFilters): Record<string, string> {
  const query: Record<string, string> = {};
  if (filters.actor) query.actor = filters.actor;
  if (filters.action) query.action = filters.action;
  const since = filters.from ? startOfDay(filters.from) : undefined;
  const until = filters.to ? startOfDay(filters.to, 1) : undefined;
  if (since) query.since = since;
  if (until) query.until = until;
  return query;
}

export function useAuditLog(workspaceId: string, filters: AuditFilters) {
  const query = auditQuery(filters);
  return useInfiniteQuery({
    queryKey: ["audit-log", workspaceId, query],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/v1/workspaces/{workspace_id}/audit-log", {
          params: {
            path: { workspace_id: workspaceId },
            query: { ...query, limit: 50, cursor: pageParam },
          },
        }),
      ),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

/** The export's address with the page's filters (a plain download: the session cookie signs
 * it). */
export function exportUrl(workspaceId: string, filters: AuditFilters, format: "jsonl" | "csv") {
  const params = new URLSearchParams({ ...auditQuery(filters), format });
  return `/api/v1/workspaces/${encodeURIComponent(workspaceId)}/audit-log/export?${params}`;
}
