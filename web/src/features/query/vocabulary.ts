/** The names a query box suggests, from what the app already loads: a project's statuses,
 * labels and people, or, across a workspace, its projects' and its members. */
import { useQueries } from "@tanstack/react-query";
import { labelsQuery, peopleQuery, statusesQuery } from "../projects/api";
import { useMembers, useProjects } from "../workspaces/api";
import type { Vocabulary } from "./complete";

/** A workspace-wide box asks for at most this many projects' statuses and labels. */
const MAX_PROJECTS = 50;

interface Named {
  name: string;
}

/** The vocabulary of one project's (or several projects') lists. */
export function vocabularyOf({
  statuses = [],
  labels = [],
  people = [],
  projects = [],
}: {
  statuses?: readonly Named[];
  labels?: readonly Named[];
  people?: ReadonlyArray<{ handle?: string | null; name: string }>;
  projects?: ReadonlyArray<{ key: string; name: string }>;
}): Vocabulary {
  return {
    statuses: unique(statuses.map((s) => s.name)),
    labels: unique(labels.map((l) => l.name)).sort((a, b) => a.localeCompare(b)),
    people: [...people].sort((a, b) => a.name.localeCompare(b.name)),
    projects,
  };
}

function unique(names: string[]): string[] {
  const seen = new Set<string>();
  return names.filter((name) => {
    const key = name.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The vocabulary of a query across a workspace (or one of its projects): every project's key,
 * the statuses and labels of each (up to MAX_PROJECTS), and the members, or, for a guest who
 * may not list them, the people of the projects. Nothing is asked for until `enabled` (the box
 * got the focus); what the app already has comes from its cache.
 */
export function useWorkspaceVocabulary(
  workspaceId: string | undefined,
  { enabled, projectId }: { enabled: boolean; projectId?: string | null },
): Vocabulary {
  const projects = useProjects(workspaceId);
  const all = projects.data ?? [];
  const ids = projectId ? [projectId] : all.slice(0, MAX_PROJECTS).map((p) => p.id);
  const on = enabled && Boolean(workspaceId);
  const statuses = useQueries({
    queries: ids.map((id) => ({ ...statusesQuery(id), enabled: on })),
  });
  const labels = useQueries({ queries: ids.map((id) => ({ ...labelsQuery(id), enabled: on })) });
  const members = useMembers(on ? workspaceId : undefined);
  const people = useQueries({
    queries: ids.map((id) => ({ ...peopleQuery(id), enabled: on && members.isError })),
  });
  return vocabularyOf({
    statuses: statuses.flatMap((q) => q.data ?? []),
    labels: labels.flatMap((q) => q.data ?? []),
    people: members.data ?? uniquePeople(people.flatMap((q) => q.data ?? [])),
    projects: all.map((p) => ({ key: p.key, name: p.name })),
  });
}

function uniquePeople<T extends { user_id: string }>(people: T[]): T[] {
  return [...new Map(people.map((p) => [p.user_id, p])).values()];
}
