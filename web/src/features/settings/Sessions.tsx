/** Where the account is signed in, on the account page: each sign-in session with its device,
 * address and last use, ended one at a time or all but this one. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Bowser from "bowser";
import { useState } from "react";
import { ApiError, api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { ErrorNote, formatDateTime, Modal, Spinner, timeAgo } from "../../app/ui";
import { toast } from "../shell/toasts";

export type SignInSession = components["schemas"]["SessionInfo"];

const SESSIONS = ["sessions"] as const;

function useSessions() {
  return useQuery({
    queryKey: SESSIONS,
    queryFn: async () => (await unwrap(api.GET("/api/v1/users/me/sessions"))).items,
  });
}

function useEndSession() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (sessionId: string) =>
      unwrap(
        api.DELETE("/api/v1/users/me/sessions/{session_id}", {
          params: { path: { session_id: sessionId } },
        }),
      ),
    onSettled: () => void qc.invalidateQueries({ queryKey: SESSIONS }),
  });
}

function useEndOthers() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/users/me/sessions/end-others")),
    onSettled: () => void qc.invalidateQueries({ queryKey: SESSIONS }),
  });
}

/** "Chrome on Linux" from a user agent; a script's own agent (curl, python-httpx) as it is. */
export function describeAgent(agent: string | null): string {
  if (!agent) return "Unknown device";
  const parsed = Bowser.parse(agent);
  const browser = parsed.browser.name;
  const os = parsed.os.name;
  if (browser && os) return `${browser} on ${os}`;
  if (browser) return browser;
  return agent.split(" ")[0]?.slice(0, 60) || "Unknown device";
}

type Ending = { kind: "one"; session: SignInSession } | { kind: "others"; count: number };

export function Sessions() {
  const sessions = useSessions();
  const endOne = useEndSession();
  const endOthers = useEndOthers();
  const [ending, setEnding] = useState<Ending | null>(null);
  const others = sessions.data?.filter((s) => !s.current).length ?? 0;

  function confirm() {
    if (ending === null) return;
    if (ending.kind === "one") {
      const s = ending.session;
      endOne.mutate(s.id, {
        onSuccess: () => toast.info(`Signed out ${describeAgent(s.user_agent)}.`),
        onError: (err) => {
          if (err instanceof ApiError && err.status === 404) {
            toast.info("That session had already ended.");
          } else {
            toast.error(err instanceof ApiError ? err.userMessage : "The session did not end.");
          }
        },
        onSettled: () => setEnding(null),
      });
    } else {
      endOthers.mutate(undefined, {
        onSuccess: (r) =>
          toast.info(
            r.ended === 1 ? "Signed out 1 other session." : `Signed out ${r.ended} other sessions.`,
          ),
        onError: (err) =>
          toast.error(err instanceof ApiError ? err.userMessage : "The sessions did not end."),
        onSettled: () => setEnding(null),
      });
    }
  }

  const now = Date.now();
  return (
    <section aria-labelledby="sessions-title" className="settings-card sign-in-sessions">
      <h2 id="sessions-title">Where you are signed in</h2>
      <p className="muted tokens-intro">
        Each browser and script that signed in with your password. If you do not recognise one, sign
        it out and change your password.
      </p>
      {sessions.isPending ? (
        <Spinner label="Loading your sessions" />
      ) : sessions.isError ? (
        <ErrorNote error={sessions.error} retry={() => void sessions.refetch()} />
      ) : (
        <>
          <ul className="token-list" aria-labelledby="sessions-title">
            {sessions.data.map((s) => (
              <li key={s.id} className="token-item">
                <div className="token-head">
                  <strong className="token-name">{describeAgent(s.user_agent)}</strong>
                  {s.current && <span className="badge">This session</span>}
                  <span className="spacer" />
                  {!s.current && (
                    <button
                      type="button"
                      className="danger small"
                      aria-label={`Sign out ${describeAgent(s.user_agent)}, last used ${timeAgo(s.last_used_at, now)}`}
                      onClick={() => setEnding({ kind: "one", session: s })}
                    >
                      Sign out
                    </button>
                  )}
                </div>
                <dl className="token-facts">
                  <div>
                    <dt>Kind</dt>
                    <dd>{s.kind === "browser" ? "Web browser" : "API sign-in"}</dd>
                  </div>
                  <div>
                    <dt>Signed in with</dt>
                    <dd>{SIGN_IN_METHODS[s.method]}</dd>
                  </div>
                  <div>
                    <dt>Address</dt>
                    <dd>{s.ip ?? "Unknown"}</dd>
                  </div>
                  <div>
                    <dt>Last used</dt>
                    <dd>
                      <time dateTime={s.last_used_at} title={formatDateTime(s.last_used_at)}>
                        {s.current ? "Now" : timeAgo(s.last_used_at, now)}
                      </time>
                    </dd>
                  </div>
                  <div>
                    <dt>Signed in</dt>
                    <dd>
                      <time dateTime={s.created_at}>{formatDateTime(s.created_at)}</time>
                    </dd>
                  </div>
                </dl>
              </li>
            ))}
          </ul>
          <div className="settings-actions">
            <button
              type="button"
              disabled={others === 0}
              onClick={() => setEnding({ kind: "others", count: others })}
            >
              Sign out all other sessions
            </button>
          </div>
        </>
      )}
      <Modal open={ending !== null} onClose={() => setEnding(null)} title="Sign out">
        {ending && (
          <div className="confirm">
            <h2>
              {ending.kind === "one"
                ? `Sign out ${describeAgent(ending.session.user_agent)}?`
                : `Sign out ${ending.count === 1 ? "1 other session" : `${ending.count} other sessions`}?`}
            </h2>
            <p>
              {ending.kind === "one"
                ? "It is signed out at once and must sign in again with your password."
                : "Every browser and script signed in with your password, except this one, must sign in again. API tokens keep working."}
            </p>
            <div className="settings-actions">
              <button type="button" onClick={() => setEnding(null)}>
                Cancel
              </button>
              <button
                type="button"
                className="primary danger-fill"
                disabled={endOne.isPending || endOthers.isPending}
                onClick={confirm}
              >
                Sign out
              </button>
            </div>
          </div>
        )}
      </Modal>
    </section>
  );
}

const SIGN_IN_METHODS: Record<SignInSession["method"], string> = {
  password: "Password",
  passkey: "Passkey",
  sso: "Single sign-on",
};
