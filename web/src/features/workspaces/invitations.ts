/** Workspace invitations: the person's own (accept or decline), a workspace's (its admins
 * send them, get their one-time links, and cancel them), and an invitation link's page. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import type { WorkspaceRole } from "../../api/types";

export type Invitation = components["schemas"]["InvitationRead"];
export type NewInvitation = components["schemas"]["InvitationCreated"];
export type InvitationPreview = components["schemas"]["InvitationPreview"];

const MINE = ["invitations", "mine"] as const;

export function useMyInvitations() {
  return useQuery({
    queryKey: MINE,
    queryFn: () => unwrap(api.GET("/api/v1/users/me/invitations")),
    staleTime: 60_000,
  });
}

export function useWorkspaceInvitations(workspaceId: string | undefined, enabled: boolean) {
  return useQuery({
    queryKey: ["invitations", workspaceId],
    enabled: Boolean(workspaceId) && enabled,
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/workspaces/{workspace_id}/invitations", {
          params: { path: { workspace_id: workspaceId as string } },
        }),
      ),
  });
}

export function useAnswerInvitation() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ invitation, accept }: { invitation: Invitation; accept: boolean }) => {
      const path = { invitation_id: invitation.id };
      if (accept) {
        await unwrap(api.POST("/api/v1/invitations/{invitation_id}/accept", { params: { path } }));
      } else {
        await unwrap(api.POST("/api/v1/invitations/{invitation_id}/decline", { params: { path } }));
      }
      return { invitation, accept };
    },
    onSettled: async () => {
      await Promise.all([
        qc.invalidateQueries({ queryKey: MINE }),
        qc.invalidateQueries({ queryKey: ["workspaces"] }),
      ]);
    },
  });
}

export function useCancelInvitation(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (invitationId: string) =>
      unwrap(
        api.DELETE("/api/v1/workspaces/{workspace_id}/invitations/{invitation_id}", {
          params: { path: { workspace_id: workspaceId, invitation_id: invitationId } },
        }),
      ),
    onSettled: () => void qc.invalidateQueries({ queryKey: ["invitations", workspaceId] }),
  });
}

/** Invite (or invite again): the answer carries the invitation's link, this once. */
export function useSendInvitation(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { email: string; role: WorkspaceRole }) =>
      unwrap(
        api.POST("/api/v1/workspaces/{workspace_id}/invitations", {
          params: { path: { workspace_id: workspaceId } },
          body,
        }),
      ),
    onSettled: () => void qc.invalidateQueries({ queryKey: ["invitations", workspaceId] }),
  });
}

/** The full address of an invitation link (the server answers its path). */
export function linkUrl(link: string, origin = window.location.origin): string {
  return `${origin}${link}`;
}

const ROLES: WorkspaceRole[] = ["owner", "admin", "member", "guest"];

/** The roles someone may invite with: none above their own (only owners invite owners). */
export function invitableRoles(myRole: WorkspaceRole): WorkspaceRole[] {
  return ROLES.slice(ROLES.indexOf(myRole));
}

/** Sign-in and sign-up addresses that come back to the invitation's page, the invited
 * address filled in. */
export function authLinks(token: string, email: string): { signin: string; signup: string } {
  const here = `/invite/${encodeURIComponent(token)}`;
  const query = `next=${encodeURIComponent(here)}&email=${encodeURIComponent(email)}`;
  return { signin: `/signin?${query}`, signup: `/signup?${query}` };
}

/** What an invitation link invites to; readable signed out. */
export function useInvitationPreview(token: string) {
  return useQuery({
    queryKey: ["invitation-link", token],
    queryFn: () =>
      unwrap(api.GET("/api/v1/invitations/by-token/{token}", { params: { path: { token } } })),
    retry: false,
    staleTime: Number.POSITIVE_INFINITY,
  });
}

export function useAcceptInvitationLink(token: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/v1/invitations/by-token/{token}/accept", { params: { path: { token } } }),
      ),
    onSuccess: async (workspace) => {
      qc.removeQueries({ queryKey: ["invitation-link", token] });
      await Promise.all([
        qc.invalidateQueries({ queryKey: ["workspaces"] }),
        qc.invalidateQueries({ queryKey: MINE }),
      ]);
      return workspace;
    },
  });
}
