/** The app's one QueryClient and its rules for trying a failed read again. */
import { QueryClient } from "@tanstack/react-query";
import { ApiError } from "../api/client";

/** A failed read is tried again at most this many times. */
export const MAX_RETRIES = 2;

/** Try again only what may pass next time: a network error or a 5xx, never a 4xx (the answer
 * would be the same), and at most MAX_RETRIES times; then the page shows the error. */
export function shouldRetry(failures: number, error: unknown): boolean {
  if (error instanceof ApiError && error.status >= 400 && error.status < 500) return false;
  return failures < MAX_RETRIES;
}

/** Back off: 1 s, 2 s, 4 s, ... at most 10 s. */
export function retryDelay(failures: number): number {
  return Math.min(1000 * 2 ** failures, 10_000);
}

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        refetchOnWindowFocus: false,
        retry: shouldRetry,
        retryDelay,
      },
      mutations: { retry: false },
    },
  });
}
