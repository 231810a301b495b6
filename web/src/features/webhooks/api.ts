/** A workspace's webhooks and their deliveries (owners and admins only), on
 * /workspaces/{id}/webhooks and /webhooks/{id}/deliveries. */
import {
  type InfiniteData,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
} from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import type { Page } from "../../api/types";
import { anyPending, type DeliveryStatus } from "./deliveries";

type S = components["schemas"];
export type Webhook = S["WebhookRead"];
export type WebhookWithSecret = S["WebhookWithSecret"];
export type WebhookCreate = S["WebhookCreate"];
export type WebhookUpdate = S["WebhookUpdate"];
export type Delivery = S["DeliveryRead"];
export type DeliveryDetail = S["DeliveryDetail"];

/** While a delivery is pending, its list (and the webhook, which a failure may disable) is
 * read again this often. */
export const PENDING_REFRESH_MS = 2000;

const webhooksKey = (workspaceId: string) => ["webhooks", workspaceId] as const;
const deliveriesKey = (webhookId: string) => ["webhook-deliveries", webhookId] as const;

export function useWebhooks(workspaceId: string, options: { enabled?: boolean; poll?: boolean }) {
  return useQuery({
    queryKey: webhooksKey(workspaceId),
    enabled: options.enabled ?? true,
    refetchInterval: options.poll ? PENDING_REFRESH_MS : false,
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/workspaces/{workspace_id}/webhooks", {
          params: { path: { workspace_id: workspaceId } },
        }),
      ),
  });
}

function useWebhookMutation<TVars, TResult>(
  workspaceId: string,
  call: (vars: TVars) => Promise<TResult>,
) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: call,
    onSettled: () => void qc.invalidateQueries({ queryKey: webhooksKey(workspaceId) }),
  });
}

export function useCreateWebhook(workspaceId: string) {
  return useWebhookMutation(workspaceId, (body: WebhookCreate) =>
    unwrap(
      api.POST("/api/v1/workspaces/{workspace_id}/webhooks", {
        params: { path: { workspace_id: workspaceId } },
        body,
      }),
    ),
  );
}

export function useUpdateWebhook(workspaceId: string) {
  return useWebhookMutation(workspaceId, ({ id, body }: { id: string; body: WebhookUpdate }) =>
    unwrap(
      api.PATCH("/api/v1/workspaces/{workspace_id}/webhooks/{webhook_id}", {
        params: { path: { workspace_id: workspaceId, webhook_id: id } },
        body,
      }),
    ),
  );
}

export function useDeleteWebhook(workspaceId: string) {
  return useWebhookMutation(workspaceId, (id: string) =>
    unwrap(
      api.DELETE("/api/v1/workspaces/{workspace_id}/webhooks/{webhook_id}", {
        params: { path: { workspace_id: workspaceId, webhook_id: id } },
      }),
    ),
  );
}

export function useRotateSecret(workspaceId: string) {
  return useWebhookMutation(workspaceId, (id: string) =>
    unwrap(
      api.POST("/api/v1/workspaces/{workspace_id}/webhooks/{webhook_id}/rotate-secret", {
        params: { path: { workspace_id: workspaceId, webhook_id: id } },
      }),
    ),
  );
}

/** Send a `ping`; the webhook's deliveries are read again to show it. */
export function useSendTest(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(
        api.POST("/api/v1/workspaces/{workspace_id}/webhooks/{webhook_id}/test", {
          params: { path: { workspace_id: workspaceId, webhook_id: id } },
        }),
      ),
    onSuccess: (_delivery, id) => void qc.invalidateQueries({ queryKey: deliveriesKey(id) }),
  });
}

/** A webhook's deliveries, newest first, a page at a time; read again every few seconds while
 * one is pending. */
export function useDeliveries(webhookId: string, status: DeliveryStatus | undefined) {
  return useInfiniteQuery({
    queryKey: [...deliveriesKey(webhookId), status ?? "all"],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/v1/webhooks/{webhook_id}/deliveries", {
          params: {
            path: { webhook_id: webhookId },
            query: { status, limit: 50, cursor: pageParam },
          },
        }),
      ),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    refetchInterval: (query) => (hasPending(query.state.data) ? PENDING_REFRESH_MS : false),
    staleTime: 0,
  });
}

export function hasPending(data: InfiniteData<Page<Delivery>> | undefined): boolean {
  return data ? data.pages.some((p) => anyPending(p.items)) : false;
}

/** One delivery with its request and answer. The key holds its status and attempts, so a
 * delivery that is tried again is read again. */
export function useDelivery(webhookId: string, delivery: Delivery, open: boolean) {
  return useQuery({
    queryKey: ["webhook-delivery", webhookId, delivery.id, delivery.status, delivery.attempts],
    enabled: open,
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}", {
          params: { path: { webhook_id: webhookId, delivery_id: delivery.id } },
        }),
      ),
    placeholderData: (previous) => previous,
  });
}

export function useRedeliver(webhookId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (deliveryId: string) =>
      unwrap(
        api.POST("/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", {
          params: { path: { webhook_id: webhookId, delivery_id: deliveryId } },
        }),
      ),
    onSuccess: () => void qc.invalidateQueries({ queryKey: deliveriesKey(webhookId) }),
  });
}

export function useReplay(webhookId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (window: { since: string; until: string }) =>
      unwrap(
        api.POST("/api/v1/webhooks/{webhook_id}/replay", {
          params: { path: { webhook_id: webhookId } },
          body: window,
        }),
      ),
    onSuccess: () => void qc.invalidateQueries({ queryKey: deliveriesKey(webhookId) }),
  });
}
