import { queryOptions, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";

export function useProject(projectId: string | undefined) {
  return useQuery({ ...projectQuery(projectId ?? ""), enabled: Boolean(projectId) });
}

export function statusesQuery(projectId: string) {
  return queryOptions({
    queryKey: ["statuses", projectId],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/projects/{project_id}/statuses", {
          params: { path: { project_id: projectId } },
        }),
      ).then((page) => [...page.items].sort((a, b) => a.position - b.position)),
    staleTime: 60_000,
  });
}

export function projectQuery(projectId: string) {
  return queryOptions({
    queryKey: ["project", projectId],
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/projects/{project_id}", {
          params: { path: { project_id: projectId } },
          signal,
        }),
      ),
    staleTime: 60_000,
  });
}

export function useStatuses(projectId: string | undefined) {
  return useQuery({ ...statusesQuery(projectId ?? ""), enabled: Boolean(projectId) });
}

export function labelsQuery(projectId: string) {
  return queryOptions({
    queryKey: ["labels", projectId],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/projects/{project_id}/labels", {
          params: { path: { project_id: projectId } },
        }),
      ).then((page) => page.items),
    staleTime: 60_000,
  });
}

export function useLabels(projectId: string | undefined) {
  return useQuery({ ...labelsQuery(projectId ?? ""), enabled: Boolean(projectId) });
}

export function useProjectMembers(projectId: string | undefined) {
  return useQuery({
    queryKey: ["projectMembers", projectId],
    enabled: Boolean(projectId),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/projects/{project_id}/members", {
          params: { path: { project_id: projectId as string } },
        }),
      ).then((page) => page.items),
    staleTime: 60_000,
  });
}

/** Everyone who can see the project (names, avatar initials; e-mails only for non-guests), for
 * showing and filtering assignees. Every project role may read it, guests included. */
export function usePeople(projectId: string | undefined) {
  return useQuery({ ...peopleQuery(projectId ?? ""), enabled: Boolean(projectId) });
}

export function peopleQuery(projectId: string) {
  return queryOptions({
    queryKey: ["people", projectId],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/projects/{project_id}/people", {
          params: { path: { project_id: projectId } },
        }),
      ).then((page) => page.items),
    staleTime: 60_000,
  });
}

export function canEdit(role: string | undefined): boolean {
  return role === "admin" || role === "member";
}
