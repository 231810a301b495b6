import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";

export type SearchHit = components["schemas"]["SearchHit"];
export type SearchResults = components["schemas"]["SearchPage"];

export const searchKeys = {
  all: ["search"] as const,
  instant: (workspaceId: string, q: string) => ["search", workspaceId, q, "instant"] as const,
  pages: (workspaceId: string, q: string) => ["search", workspaceId, q, "pages"] as const,
};

/** What the search box may send: something with a letter or digit in it (the server refuses
 * punctuation alone, or only words to leave out). */
export function searchable(q: string): boolean {
  return /[\p{L}\p{N}]/u.test(q.replace(/(^|\s)-("[^"]*"?|\S+)/g, " "));
}

export function search(
  workspaceId: string,
  q: string,
  limit: number,
  cursor?: string,
  signal?: AbortSignal,
): Promise<SearchResults> {
  return unwrap(
    api.GET("/api/v1/search", {
      params: { query: { q, workspace_id: workspaceId, limit, cursor } },
      signal,
    }),
  );
}

/** The first few hits while someone types (the search box). */
export function useInstantSearch(workspaceId: string | undefined, q: string) {
  return useQuery({
    queryKey: searchKeys.instant(workspaceId ?? "", q),
    enabled: Boolean(workspaceId) && searchable(q),
    queryFn: ({ signal }) => search(workspaceId as string, q, 8, undefined, signal),
    staleTime: 10_000,
    placeholderData: (previous) => previous,
    retry: false,
  });
}

/** Every hit, a page at a time (the results page). */
export function useSearchPages(workspaceId: string | undefined, q: string) {
  return useInfiniteQuery({
    queryKey: searchKeys.pages(workspaceId ?? "", q),
    enabled: Boolean(workspaceId) && searchable(q),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) => search(workspaceId as string, q, 25, pageParam, signal),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    retry: false,
  });
}

/** Where a hit opens: its task, in its project's board. */
export function hitTarget(hit: SearchHit): string {
  return `/p/${hit.project_id}/board/${hit.task_key}`;
}
