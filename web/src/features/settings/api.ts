/** The signed-in account's settings and a workspace's management, on /users/me and /workspaces. */
import { type QueryClient, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { ApiError, api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import type { User, WorkspaceRole } from "../../api/types";
import { noteAvatarColors, setDisplayTimeZone } from "../../app/ui";
import { type ThemeChoice, useTheme } from "../shell/theme";

export type UserUpdate = components["schemas"]["UserUpdate"];
export type ApiToken = components["schemas"]["ApiTokenRead"];
export type NewApiToken = components["schemas"]["ApiTokenCreated"];
export type ApiTokenCreate = components["schemas"]["ApiTokenCreate"];
export type TokenScope = ApiToken["scopes"][number];

/** The browser's own time zone: what Tasklane shows while the account has none. */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** Every IANA zone the browser knows, with the browser's own (and the saved one) surely in. */
export function timeZones(...include: Array<string | null | undefined>): string[] {
  const all = new Set(
    typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [],
  );
  for (const zone of include) if (zone) all.add(zone);
  return [...all].sort();
}

/** Zones matching what was typed, loosely: "new york", "new_york" and "America/New" all match. */
export function matchZones(zones: string[], query: string, limit = 50): string[] {
  const words = query
    .toLowerCase()
    .replace(/_/g, " ")
    .split(/[\s/]+/)
    .filter(Boolean);
  if (words.length === 0) return zones.slice(0, limit);
  return zones
    .filter((z) => {
      const name = z.toLowerCase().replace(/_/g, " ");
      return words.every((w) => name.includes(w));
    })
    .slice(0, limit);
}

/** The message of a field the server refused, or null. */
export function fieldProblem(error: unknown, field: string): string | null {
  if (!(error instanceof ApiError)) return null;
  return error.problem.errors?.find((e) => e.field === field)?.message ?? null;
}

function setMe(qc: QueryClient, user: User): void {
  qc.setQueryData(["me"], user);
}

export function saveMe(body: UserUpdate): Promise<User> {
  return unwrap(api.PATCH("/api/v1/users/me", { body }));
}

export function useUpdateMe() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: saveMe,
    onSuccess: (user) => {
      setMe(qc, user);
      // Others' lists show this person's name and colour.
      void qc.invalidateQueries({ queryKey: ["members"] });
      void qc.invalidateQueries({ queryKey: ["people"] });
    },
  });
}

export function useChangePassword() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { current_password?: string; new_password: string }) =>
      unwrap(api.POST("/api/v1/users/me/password", { body })),
    // An account made by single sign-on has a password now.
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["me"] }),
  });
}

/**
 * The account's theme and time zone, applied in this browser. The theme is stored on the account,
 * so it follows the person to every browser; the local copy only paints the first frame before
 * the account has loaded. Setting it (the sidebar toggle, the account page) saves it.
 */
export function useAccountPreferences(me: User): [ThemeChoice, (t: ThemeChoice) => void] {
  const qc = useQueryClient();
  const [theme, setLocal] = useTheme();
  // Before the children render, so every date they write is in the account's zone.
  setDisplayTimeZone(me.time_zone);
  useEffect(() => setLocal(me.theme), [me.theme, setLocal]);
  const set = (t: ThemeChoice) => {
    setLocal(t);
    setMe(qc, { ...me, theme: t });
    saveMe({ theme: t }).then(
      (user) => setMe(qc, user),
      () => void qc.invalidateQueries({ queryKey: ["me"] }),
    );
  };
  return [theme, set];
}

const WITH_PEOPLE = new Set(["me", "people", "members"]);

/** Feed the avatar colours of every person the app loads into the Avatar component. */
export function useAvatarColorFeed(): void {
  const qc = useQueryClient();
  useEffect(() => {
    const cache = qc.getQueryCache();
    const note = (key: readonly unknown[], data: unknown) => {
      if (!WITH_PEOPLE.has(String(key[0]))) return;
      if (Array.isArray(data)) noteAvatarColors(data);
      else if (data && typeof data === "object") noteAvatarColors([data]);
    };
    for (const q of cache.getAll()) note(q.queryKey, q.state.data);
    return cache.subscribe((event) => {
      if (event.type === "updated" && event.action.type === "success") {
        note(event.query.queryKey, event.query.state.data);
      }
    });
  }, [qc]);
}

export function useRenameWorkspace(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (name: string) =>
      unwrap(
        api.PATCH("/api/v1/workspaces/{workspace_id}", {
          params: { path: { workspace_id: workspaceId } },
          body: { name },
        }),
      ),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["workspaces"] }),
  });
}

/** What a workspace requires of its members' sign-in: two-factor, single sign-on. */
export function useSignInRule(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (rule: { require_mfa: boolean } | { require_sso: boolean }) =>
      unwrap(
        api.PATCH("/api/v1/workspaces/{workspace_id}", {
          params: { path: { workspace_id: workspaceId } },
          body: rule,
        }),
      ),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["workspaces"] }),
  });
}

export function useDeleteWorkspace(workspaceId: string) {
  return useMutation({
    mutationFn: () =>
      unwrap(
        api.DELETE("/api/v1/workspaces/{workspace_id}", {
          params: { path: { workspace_id: workspaceId } },
        }),
      ),
  });
}

export function useChangeRole(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: WorkspaceRole }) =>
      unwrap(
        api.PATCH("/api/v1/workspaces/{workspace_id}/members/{user_id}", {
          params: { path: { workspace_id: workspaceId, user_id: userId } },
          body: { role },
        }),
      ),
    onSettled: () => void qc.invalidateQueries({ queryKey: ["members", workspaceId] }),
  });
}

/** Remove a member, or leave when `userId` is the caller's own. */
export function useRemoveMember(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (userId: string) =>
      unwrap(
        api.DELETE("/api/v1/workspaces/{workspace_id}/members/{user_id}", {
          params: { path: { workspace_id: workspaceId, user_id: userId } },
        }),
      ),
    onSettled: () => void qc.invalidateQueries({ queryKey: ["members", workspaceId] }),
  });
}

const TOKENS = ["tokens"] as const;

/** The account's personal API tokens, newest first; revoked ones are gone, expired ones stay. */
export function useApiTokens() {
  return useQuery({
    queryKey: TOKENS,
    queryFn: async () => (await unwrap(api.GET("/api/v1/users/me/tokens"))).items,
  });
}

/** Create a token. The answer carries the secret, the only time it is ever sent: it is not put
 * in the query cache, only the list (without secrets) is read again. */
export function useCreateApiToken() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: ApiTokenCreate) => unwrap(api.POST("/api/v1/users/me/tokens", { body })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: TOKENS }),
  });
}

/** Revoke a token: it stops working at once. */
export function useRevokeApiToken() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (tokenId: string) =>
      unwrap(
        api.DELETE("/api/v1/users/me/tokens/{token_id}", {
          params: { path: { token_id: tokenId } },
        }),
      ),
    onSettled: () => void qc.invalidateQueries({ queryKey: TOKENS }),
  });
}
