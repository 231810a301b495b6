import { useQuery } from "@tanstack/react-query";
import { allPages, api, unwrap } from "../../api/client";

export function useWorkspaces() {
  return useQuery({
    queryKey: ["workspaces"],
    queryFn: () =>
      allPages((cursor) =>
        unwrap(api.GET("/api/v1/workspaces", { params: { query: { limit: 200, cursor } } })),
      ),
    staleTime: 60_000,
  });
}

export function useMembers(workspaceId: string | undefined) {
  return useQuery({
    queryKey: ["members", workspaceId],
    enabled: Boolean(workspaceId),
    queryFn: () =>
      allPages((cursor) =>
        unwrap(
          api.GET("/api/v1/workspaces/{workspace_id}/members", {
            params: {
              path: { workspace_id: workspaceId as string },
              query: { limit: 200, cursor },
            },
          }),
        ),
      ),
    staleTime: 60_000,
  });
}

export function useProjects(workspaceId: string | undefined) {
  return useQuery({
    queryKey: ["projects", workspaceId],
    enabled: Boolean(workspaceId),
    queryFn: () =>
      allPages((cursor) =>
        unwrap(
          api.GET("/api/v1/workspaces/{workspace_id}/projects", {
            params: {
              path: { workspace_id: workspaceId as string },
              query: { limit: 200, cursor },
            },
          }),
        ),
      ),
    staleTime: 60_000,
  });
}
