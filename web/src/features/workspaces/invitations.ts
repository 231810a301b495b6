/** Pending workspace invitations: the person's own (accept or decline), and a workspace's
 * (its admins see and cancel them). */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";

export type Invitation = components["schemas"]["InvitationRead"];

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
