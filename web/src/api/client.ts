/**
 * The API client: typed from docs/openapi.json (openapi-fetch), with the browser session's
 * rules built in. Writes carry the CSRF token from the readable `tasklane_csrf` cookie; a 401
 * refreshes the cookie session once and retries; errors become `ApiError` with the RFC 9457
 * problem document.
 */
import createClient from "openapi-fetch";
import type { paths } from "./schema";
import type { Problem } from "./types";

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);
const CSRF_COOKIE = "tasklane_csrf";

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(status: number, problem: Problem) {
    super(problem.detail || problem.title || `Request failed (${status})`);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
  }

  get code(): string {
    return this.problem.code;
  }

  /** A message a person can act on. */
  get userMessage(): string {
    if (this.status === 0)
      return "Tasklane cannot be reached. Check your connection and try again.";
    if (this.problem.errors?.length) {
      return this.problem.errors.map((e) => `${e.field}: ${e.message}`).join("; ");
    }
    return this.message;
  }
}

export function csrfToken(): string {
  for (const part of document.cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === CSRF_COOKIE) return decodeURIComponent(rest.join("="));
  }
  return "";
}

let refreshing: Promise<boolean> | null = null;
let onSignedOut: () => void = () => {};

export function setSignedOutHandler(handler: () => void): void {
  onSignedOut = handler;
}

/** Rotate the cookie session; concurrent callers share one refresh. */
export function refreshSession(): Promise<boolean> {
  refreshing ??= fetch("/api/v1/auth/session/refresh", {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRF-Token": csrfToken() },
  })
    .then((r) => r.ok)
    .catch(() => false)
    .finally(() => {
      setTimeout(() => {
        refreshing = null;
      }, 0);
    });
  return refreshing;
}

function withCsrf(request: Request): Request {
  if (!SAFE.has(request.method)) request.headers.set("X-CSRF-Token", csrfToken());
  return request;
}

async function sessionFetch(input: Request): Promise<Response> {
  const retry = input.clone();
  let response: Response;
  try {
    response = await fetch(withCsrf(input));
  } catch {
    return networkProblem();
  }
  const isAuthCall = new URL(input.url).pathname.startsWith("/api/v1/auth/");
  if (response.status === 401 && !isAuthCall) {
    if (await refreshSession()) {
      try {
        response = await fetch(withCsrf(retry));
      } catch {
        return networkProblem();
      }
    }
    if (response.status === 401) onSignedOut();
  }
  return response;
}

function networkProblem(): Response {
  const body: Problem = {
    type: "about:blank",
    title: "Network error",
    status: 0,
    code: "network_error",
    detail: "Tasklane cannot be reached. Check your connection and try again.",
  };
  // Status 0 cannot be constructed; 599 marks "no answer" and is turned back into 0 below.
  return new Response(JSON.stringify(body), {
    status: 599,
    headers: { "content-type": "application/problem+json" },
  });
}

export const api = createClient<paths>({
  baseUrl: "",
  credentials: "same-origin",
  fetch: sessionFetch,
});

interface Result<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a successful call, or throw its problem as an ApiError. */
export async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok) return data as T;
  const status = response.status === 599 ? 0 : response.status;
  const problem = (
    error && typeof error === "object" && "title" in error
      ? error
      : { type: "about:blank", title: response.statusText || "Error", status, code: "http_error" }
  ) as Problem;
  throw new ApiError(status, problem);
}

/** The `X-Event-Seq` of a read: the newest event already reflected in its answer, so live
 * updates resumed from it miss nothing (docs/realtime.md). Null when the answer has none. */
export function eventSeq(response: Response): number | null {
  const value = response.headers.get("X-Event-Seq");
  if (value === null || !/^\d+$/.test(value)) return null;
  return Number(value);
}

/** Like `unwrap`, with the answer's event position. */
export async function unwrapSeq<T>(
  call: Promise<Result<T>>,
): Promise<{ data: T; seq: number | null }> {
  const result = await call;
  const data = await unwrap(Promise.resolve(result));
  return { data, seq: eventSeq(result.response) };
}

export function ifMatch(version: number): { "If-Match": string } {
  return { "If-Match": `"${version}"` };
}

/** Follow `next_cursor` until the end (bounded), for small lists like statuses and labels. */
export async function allPages<T>(
  load: (cursor: string | undefined) => Promise<{ items: T[]; next_cursor?: string | null }>,
  maxPages = 20,
): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const page = await load(cursor);
    out.push(...page.items);
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return out;
}
