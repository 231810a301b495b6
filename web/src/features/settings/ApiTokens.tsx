/** Personal API tokens on the account page: create one (its secret is shown once), see when each
 * was last used, revoke it. */
import { type FormEvent, useId, useRef, useState } from "react";
import { ApiError } from "../../api/client";
import type { User } from "../../api/types";
import { ErrorNote, formatDateTime, Modal, Spinner, timeAgo } from "../../app/ui";
import { toast } from "../shell/toasts";
import {
  type ApiToken,
  fieldProblem,
  type NewApiToken,
  type TokenScope,
  useApiTokens,
  useCreateApiToken,
  useRevokeApiToken,
} from "./api";
import { OneTimeSecret } from "./OneTimeSecret";

/** What each scope lets a token do, widest last. Each includes the ones before it. */
export const ACCESS: Array<{ scope: TokenScope; label: string; hint: string }> = [
  { scope: "read", label: "Read only", hint: "Sees what you can see; changes nothing." },
  {
    scope: "write",
    label: "Read and write",
    hint: "Also creates and changes tasks, comments and projects.",
  },
  {
    scope: "admin",
    label: "Full access (admin)",
    hint: "Everything you may do, workspaces and members included.",
  },
];

export const EXPIRY = [
  { value: "30", label: "30 days", days: 30 },
  { value: "90", label: "90 days", days: 90 },
  { value: "365", label: "1 year", days: 365 },
  { value: "never", label: "Never", days: null },
] as const;
export type ExpiryChoice = (typeof EXPIRY)[number]["value"];

const DAY_MS = 24 * 60 * 60 * 1000;

/** When a token made now with this choice stops working (ISO), or null for never. */
export function expiresAt(choice: ExpiryChoice, now = Date.now()): string | null {
  const days = EXPIRY.find((e) => e.value === choice)?.days ?? null;
  return days === null ? null : new Date(now + days * DAY_MS).toISOString();
}

/** The widest scope a token holds, as a person reads it. */
export function accessLabel(scopes: readonly string[]): string {
  const widest = [...ACCESS].reverse().find((a) => scopes.includes(a.scope));
  return widest?.label ?? scopes.join(", ");
}

export function isExpired(token: Pick<ApiToken, "expires_at">, now = Date.now()): boolean {
  return token.expires_at !== null && new Date(token.expires_at).getTime() <= now;
}

/** A moment as a day ("Mar 3, 2027") in the account's time zone, or the browser's. */
export function formatDay(iso: string, timeZone: string | null): string {
  const options: Intl.DateTimeFormatOptions = { month: "short", day: "numeric", year: "numeric" };
  try {
    return new Intl.DateTimeFormat("en-US", { ...options, timeZone: timeZone ?? undefined }).format(
      new Date(iso),
    );
  } catch {
    return new Intl.DateTimeFormat("en-US", options).format(new Date(iso));
  }
}

function problemText(error: unknown, fallback: string): string {
  if (!(error instanceof ApiError)) return fallback;
  if (error.code === "too_many_tokens") {
    return "You have as many tokens as an account may hold. Revoke one you no longer use first.";
  }
  return error.userMessage;
}

export function ApiTokens({ me }: { me: User }) {
  const tokens = useApiTokens();
  const [created, setCreated] = useState<NewApiToken | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  return (
    <section aria-labelledby="tokens-title" className="settings-card api-tokens">
      <h2 id="tokens-title" ref={heading} tabIndex={-1}>
        API tokens
      </h2>
      <p className="muted tokens-intro">
        A token lets a script or another tool use the Tasklane API as you: send it in the{" "}
        <code>Authorization: Bearer</code> header. It can never do more than you can, and its access
        narrows that further. No token can change your password, profile, sign-ins or tokens.
      </p>
      <CreateToken onCreated={setCreated} />
      {created && (
        <NewTokenPanel
          key={created.id}
          token={created}
          onDone={() => {
            setCreated(null);
            heading.current?.focus();
          }}
        />
      )}
      <h3 id="tokens-list-title">Your tokens</h3>
      {tokens.isPending ? (
        <Spinner label="Loading your tokens" />
      ) : tokens.isError ? (
        <ErrorNote error={tokens.error} retry={() => void tokens.refetch()} />
      ) : tokens.data.length === 0 ? (
        <p className="muted small">No tokens yet.</p>
      ) : (
        <TokenList
          tokens={tokens.data}
          timeZone={me.time_zone}
          onRevoked={(token) => {
            if (created?.id === token.id) setCreated(null);
            heading.current?.focus();
          }}
        />
      )}
    </section>
  );
}

function CreateToken({ onCreated }: { onCreated: (token: NewApiToken) => void }) {
  const create = useCreateApiToken();
  const [name, setName] = useState("");
  const [scope, setScope] = useState<TokenScope>("read");
  const [expiry, setExpiry] = useState<ExpiryChoice>("90");
  const ids = useId();
  const nameError = fieldProblem(create.error, "name");
  const expiryError = fieldProblem(create.error, "expires_at");
  const until = expiresAt(expiry);

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    create.mutate(
      { name: name.trim(), scopes: [scope], expires_at: expiresAt(expiry) },
      {
        onSuccess: (token) => {
          setName("");
          setScope("read");
          setExpiry("90");
          onCreated(token);
        },
      },
    );
  }

  return (
    <form
      className="settings-form"
      aria-labelledby={`${ids}-title`}
      onSubmit={submit}
      onChange={() => create.reset()}
    >
      <h3 id={`${ids}-title`}>New token</h3>
      <div className="token-field">
        <label>
          Token name
          <input
            name="token_name"
            required
            maxLength={100}
            value={name}
            onChange={(e) => setName(e.target.value)}
            autoComplete="off"
            placeholder="e.g. ci-bot"
            aria-describedby={`${ids}-name-hint`}
            aria-invalid={nameError ? true : undefined}
          />
        </label>
        <span id={`${ids}-name-hint`} className="hint">
          What uses it, so you can tell your tokens apart.
        </span>
      </div>
      {nameError && <p className="form-error">{nameError}</p>}
      <fieldset className="token-access">
        <legend>Access</legend>
        {ACCESS.map((a) => (
          <div key={a.scope} className="token-choice">
            <label className="inline">
              <input
                type="radio"
                name="token_scope"
                value={a.scope}
                checked={scope === a.scope}
                onChange={() => setScope(a.scope)}
                aria-describedby={`${ids}-${a.scope}`}
              />
              {a.label}
            </label>
            <span id={`${ids}-${a.scope}`} className="hint">
              {a.hint}
            </span>
          </div>
        ))}
      </fieldset>
      <div className="token-field">
        <label>
          Expires
          <select
            name="token_expiry"
            value={expiry}
            onChange={(e) => setExpiry(e.target.value as ExpiryChoice)}
            aria-describedby={`${ids}-expiry-hint`}
            aria-invalid={expiryError ? true : undefined}
          >
            {EXPIRY.map((e) => (
              <option key={e.value} value={e.value}>
                {e.label}
              </option>
            ))}
          </select>
        </label>
        <span id={`${ids}-expiry-hint`} className="hint">
          {until
            ? `It stops working on ${formatDateTime(until)}.`
            : "It works until you revoke it."}
        </span>
      </div>
      {expiryError && <p className="form-error">{expiryError}</p>}
      {create.isError && !nameError && !expiryError && (
        <p className="form-error" role="alert">
          {problemText(create.error, "The token was not created.")}
        </p>
      )}
      <div className="settings-actions">
        <button type="submit" className="primary" disabled={create.isPending}>
          Create token
        </button>
      </div>
    </form>
  );
}

/** The new token's secret, this once. */
function NewTokenPanel({ token, onDone }: { token: NewApiToken; onDone: () => void }) {
  return (
    <OneTimeSecret
      title={
        <>
          Token <strong>{token.name}</strong> created
        </>
      }
      label="Your new token"
      value={token.token}
      onDone={onDone}
    />
  );
}

function TokenList({
  tokens,
  timeZone,
  onRevoked,
}: {
  tokens: ApiToken[];
  timeZone: string | null;
  onRevoked: (token: ApiToken) => void;
}) {
  const revoke = useRevokeApiToken();
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const now = Date.now();

  function revokeNow(token: ApiToken) {
    revoke.mutate(token.id, {
      onSuccess: () => {
        toast.info(`The token ${token.name} was revoked.`);
        onRevoked(token);
      },
      onError: (err) => {
        if (err instanceof ApiError && err.status === 404) {
          toast.info(`The token ${token.name} was already revoked.`);
          onRevoked(token);
        } else {
          toast.error(problemText(err, "The token was not revoked."));
        }
      },
      onSettled: () => setRevoking(null),
    });
  }

  return (
    <>
      <ul className="token-list" aria-labelledby="tokens-list-title">
        {tokens.map((t) => {
          const expired = isExpired(t, now);
          return (
            <li key={t.id} className="token-item">
              <div className="token-head">
                <span className="token-title">
                  <strong className="token-name">{t.name}</strong>
                  <code className="token-prefix" title="The token's first characters">
                    {t.prefix}…
                  </code>
                  {expired && <span className="badge token-expired-badge">Expired</span>}
                </span>
                <button
                  type="button"
                  className="danger small"
                  aria-label={`Revoke ${t.name}`}
                  onClick={() => setRevoking(t)}
                >
                  Revoke
                </button>
              </div>
              <dl className="token-facts">
                <div>
                  <dt>Access</dt>
                  <dd>{accessLabel(t.scopes)}</dd>
                </div>
                <div>
                  <dt>Created</dt>
                  <dd>
                    <time dateTime={t.created_at} title={formatDateTime(t.created_at)}>
                      {formatDay(t.created_at, timeZone)}
                    </time>
                  </dd>
                </div>
                <div>
                  <dt>Last used</dt>
                  <dd>
                    {t.last_used_at ? (
                      <time dateTime={t.last_used_at} title={formatDateTime(t.last_used_at)}>
                        {timeAgo(t.last_used_at, now)}
                      </time>
                    ) : (
                      "Never used"
                    )}
                  </dd>
                </div>
                <div>
                  <dt>Expires</dt>
                  <dd>
                    {t.expires_at === null ? (
                      "Never"
                    ) : (
                      <time
                        dateTime={t.expires_at}
                        title={formatDateTime(t.expires_at)}
                        className={expired ? "token-expired" : undefined}
                      >
                        {expired ? "Expired" : formatDay(t.expires_at, timeZone)}
                      </time>
                    )}
                  </dd>
                </div>
              </dl>
            </li>
          );
        })}
      </ul>
      <Modal open={revoking !== null} onClose={() => setRevoking(null)} title="Revoke token">
        {revoking && (
          <div className="confirm">
            <h2>Revoke {revoking.name}?</h2>
            <p>
              Anything that uses it (<code>{revoking.prefix}…</code>) is refused from now on. This
              cannot be undone; you can create a new token instead.
            </p>
            <div className="settings-actions">
              <button type="button" onClick={() => setRevoking(null)}>
                Cancel
              </button>
              <button
                type="button"
                className="primary danger-fill"
                disabled={revoke.isPending}
                onClick={() => revokeNow(revoking)}
              >
                Revoke
              </button>
            </div>
          </div>
        )}
      </Modal>
    </>
  );
}
