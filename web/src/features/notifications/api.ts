/** The inbox and the notification settings on /notifications and
 * /users/me/notification-settings, with the caches that live messages refresh. */
import {
  type InfiniteData,
  type QueryClient,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
} from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import type { Page } from "../../api/types";
import { useUserChannel } from "../realtime/useLive";
import { toast } from "../shell/toasts";

type S = components["schemas"];
export type Notification = S["NotificationRead"];
export type Kind = S["Kind"];
export type Box = S["Box"];
export type InApp = S["InApp"];
export type Email = S["Email"];
export type Mute = S["Mute"];
export type Channels = S["Channels"];
export type ProjectMute = S["ProjectMute"];
export type NotificationSettings = S["NotificationSettingsRead"];
export type NotificationSettingsWrite = S["NotificationSettingsWrite"];

export const notificationKeys = {
  all: ["notifications"] as const,
  count: () => ["notifications", "unread-count"] as const,
  lists: () => ["notifications", "list"] as const,
  list: (box: Box, unread: boolean) => ["notifications", "list", box, unread] as const,
  settings: () => ["notification-settings"] as const,
};

const PAGE = 50;

/** How many unread notifications wait in the inbox: asked again when a live message says a
 * new one came, when the window gets focus, and every few minutes (a snoozed one waking up
 * sends no message). */
export function useUnreadCount() {
  return useQuery({
    queryKey: notificationKeys.count(),
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/v1/notifications/unread-count", { signal })).then((r) => r.count),
    staleTime: 15_000,
    refetchOnWindowFocus: true,
    refetchInterval: 5 * 60_000,
  });
}

export function useNotificationList(box: Box, unread: boolean) {
  return useInfiniteQuery({
    queryKey: notificationKeys.list(box, unread),
    queryFn: ({ pageParam, signal }) =>
      unwrap(
        api.GET("/api/v1/notifications", {
          params: {
            query: {
              box,
              // The API reads `unread` for the inbox only.
              ...(unread && box === "inbox" ? { unread: true } : {}),
              limit: PAGE,
              ...(pageParam ? { cursor: pageParam } : {}),
            },
          },
          signal,
        }),
      ) as Promise<Page<Notification>>,
    initialPageParam: "",
    getNextPageParam: (last) => last.next_cursor || undefined,
    refetchOnWindowFocus: true,
  });
}

/** Refresh the bell and every inbox list shown. */
export function refreshNotifications(qc: QueryClient): void {
  void qc.invalidateQueries({ queryKey: notificationKeys.all });
}

/** Keep the bell and the inbox current from the live `user` channel. Mounted once, in the
 * shell. */
export function useNotificationFeed(): void {
  const qc = useQueryClient();
  // A new notification: read again. Or the channel is live (again): what came before it
  // (while the page loaded, or during a break in the connection) was not sent: read again too.
  useUserChannel(() => refreshNotifications(qc));
}

type Lists = InfiniteData<Page<Notification>, string>;

/** Change the notifications `ids` in every cached list at once (before the server answers). */
export function patchCached(
  qc: QueryClient,
  ids: readonly string[],
  change: (n: Notification) => Notification,
): void {
  const wanted = new Set(ids);
  qc.setQueriesData<Lists>({ queryKey: notificationKeys.lists() }, (data) =>
    data
      ? {
          ...data,
          pages: data.pages.map((page) => ({
            ...page,
            items: page.items.map((n) => (wanted.has(n.id) ? change(n) : n)),
          })),
        }
      : data,
  );
}

/** Take the notifications `ids` out of every cached list (archived, snoozed, brought back). */
export function dropCached(qc: QueryClient, ids: readonly string[]): void {
  const gone = new Set(ids);
  qc.setQueriesData<Lists>({ queryKey: notificationKeys.lists() }, (data) =>
    data
      ? {
          ...data,
          pages: data.pages.map((page) => ({
            ...page,
            items: page.items.filter((n) => !gone.has(n.id)),
          })),
        }
      : data,
  );
}

export type Action = "read" | "unread" | "archive" | "unarchive";

const PATHS = {
  read: "/api/v1/notifications/read",
  unread: "/api/v1/notifications/unread",
  archive: "/api/v1/notifications/archive",
  unarchive: "/api/v1/notifications/unarchive",
} as const;

const FAILED: Record<Action, string> = {
  read: "Not marked read.",
  unread: "Not marked unread.",
  archive: "Not archived.",
  unarchive: "Not moved back to the inbox.",
};

/** Read, unread, archive or unarchive some notifications (`ids`) or the whole inbox (`all`).
 * The lists show the change at once; then the bell and the lists are read again. */
export function useNotificationAction() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ action, ids }: { action: Action; ids: string[] | "all" }) =>
      unwrap(
        api.POST(PATHS[action], {
          body: ids === "all" ? { all: true } : { ids },
        }),
      ),
    onMutate: ({ action, ids }) => {
      const now = new Date().toISOString();
      if (ids === "all") {
        if (action === "read") {
          // The whole inbox; snoozed and archived ones stay as they are.
          qc.setQueriesData<Lists>({ queryKey: [...notificationKeys.lists(), "inbox"] }, (data) =>
            data
              ? {
                  ...data,
                  pages: data.pages.map((p) => ({
                    ...p,
                    items: p.items.map((n) => ({ ...n, read_at: n.read_at ?? now })),
                  })),
                }
              : data,
          );
          qc.setQueryData(notificationKeys.count(), 0);
        }
        return;
      }
      if (action === "read") patchCached(qc, ids, (n) => ({ ...n, read_at: n.read_at ?? now }));
      else if (action === "unread") patchCached(qc, ids, (n) => ({ ...n, read_at: null }));
      else dropCached(qc, ids);
    },
    onError: (error, { action }) => {
      toast.error(error instanceof Error ? `${FAILED[action]} ${error.message}` : FAILED[action]);
    },
    onSettled: () => refreshNotifications(qc),
  });
}

export function useSnooze() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, until }: { id: string; until: Date }) =>
      unwrap(
        api.POST("/api/v1/notifications/{notification_id}/snooze", {
          params: { path: { notification_id: id } },
          body: { until: until.toISOString() },
        }),
      ),
    onMutate: ({ id }) => dropCached(qc, [id]),
    onError: (error) =>
      toast.error(`Not snoozed. ${error instanceof Error ? error.message : ""}`.trim()),
    onSettled: () => refreshNotifications(qc),
  });
}

// --- settings -------------------------------------------------------------------------------

export function useNotificationSettings() {
  return useQuery({
    queryKey: notificationKeys.settings(),
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/users/me/notification-settings", { signal })),
  });
}

export function useSaveNotificationSettings() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: NotificationSettingsWrite) =>
      unwrap(api.PUT("/api/v1/users/me/notification-settings", { body })),
    onSuccess: (saved, body) => {
      qc.setQueryData(notificationKeys.settings(), saved);
      // The time zone is the account's: times everywhere follow it.
      if ("time_zone" in body) void qc.invalidateQueries({ queryKey: ["me"] });
    },
  });
}
