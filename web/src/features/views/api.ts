import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";

export type View = components["schemas"]["ViewRead"];
export type ViewCreate = components["schemas"]["ViewCreate"];
export type ViewUpdate = components["schemas"]["ViewUpdate"];

export const viewKeys = {
  list: (workspaceId: string) => ["views", workspaceId] as const,
  one: (viewId: string) => ["view", viewId] as const,
  tasks: (viewId: string) => ["view", viewId, "tasks"] as const,
};

export function useViews(workspaceId: string | undefined) {
  return useQuery({
    queryKey: viewKeys.list(workspaceId ?? ""),
    enabled: Boolean(workspaceId),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/workspaces/{workspace_id}/views", {
          params: { path: { workspace_id: workspaceId as string } },
          signal,
        }),
      ),
  });
}

export function useView(viewId: string | undefined) {
  return useQuery({
    queryKey: viewKeys.one(viewId ?? ""),
    enabled: Boolean(viewId),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/views/{view_id}", {
          params: { path: { view_id: viewId as string } },
          signal,
        }),
      ),
    retry: false,
  });
}

export function useViewTasks(viewId: string | undefined, version: string | undefined) {
  return useInfiniteQuery({
    queryKey: [...viewKeys.tasks(viewId ?? ""), version],
    enabled: Boolean(viewId && version),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      unwrap(
        api.GET("/api/v1/views/{view_id}/tasks", {
          params: { path: { view_id: viewId as string }, query: { limit: 100, cursor: pageParam } },
          signal,
        }),
      ),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    retry: false,
  });
}

export function useCreateView(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: ViewCreate) =>
      unwrap(
        api.POST("/api/v1/workspaces/{workspace_id}/views", {
          params: { path: { workspace_id: workspaceId } },
          body,
        }),
      ),
    onSuccess: () => qc.invalidateQueries({ queryKey: viewKeys.list(workspaceId) }),
  });
}

export function useUpdateView(view: View) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: ViewUpdate) =>
      unwrap(
        api.PATCH("/api/v1/views/{view_id}", { params: { path: { view_id: view.id } }, body }),
      ),
    onSuccess: (updated) => {
      qc.setQueryData(viewKeys.one(view.id), updated);
      void qc.invalidateQueries({ queryKey: viewKeys.list(view.workspace_id) });
      void qc.invalidateQueries({ queryKey: viewKeys.tasks(view.id) });
    },
  });
}

export function useDeleteView(view: View) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () =>
      unwrap(api.DELETE("/api/v1/views/{view_id}", { params: { path: { view_id: view.id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: viewKeys.list(view.workspace_id) }),
  });
}
