/** Passkeys on the account page: add one (the browser or phone makes it), rename, remove. A
 * passkey signs in alone, with no authenticator-app code after it. */
import {
  browserSupportsWebAuthn,
  type PublicKeyCredentialCreationOptionsJSON,
  startRegistration,
} from "@simplewebauthn/browser";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { ApiError, api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { ErrorNote, formatDateTime, Modal, Spinner, timeAgo } from "../../app/ui";
import { toast } from "../shell/toasts";

type Passkey = components["schemas"]["PasskeyRead"];
const PASSKEYS = ["passkeys"] as const;

export function passkeyProblem(error: unknown): string {
  if (error instanceof DOMException && error.name === "NotAllowedError")
    return "The passkey was not made: the request was cancelled or timed out.";
  if (error instanceof DOMException && error.name === "InvalidStateError")
    return "This device already holds a passkey for your account.";
  if (error instanceof ApiError) return error.problem.errors?.[0]?.message ?? error.userMessage;
  if (error instanceof Error && error.message) return error.message;
  return "Something went wrong. Try again.";
}

function usePasskeys() {
  return useQuery({
    queryKey: PASSKEYS,
    queryFn: () => unwrap(api.GET("/api/v1/users/me/passkeys")),
  });
}

function useAddPasskey() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (name: string) => {
      const options = await unwrap(api.POST("/api/v1/users/me/passkeys/options"));
      const credential = await startRegistration({
        optionsJSON: options as unknown as PublicKeyCredentialCreationOptionsJSON,
      });
      return unwrap(
        api.POST("/api/v1/users/me/passkeys", {
          body: { name, credential },
        }),
      );
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: PASSKEYS }),
  });
}

export function Passkeys() {
  const list = usePasskeys();
  const add = useAddPasskey();
  const [adding, setAdding] = useState(false);
  const supported = browserSupportsWebAuthn();

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const name = String(new FormData(e.currentTarget).get("name") ?? "").trim();
    add.mutate(name, {
      onSuccess: (made) => {
        setAdding(false);
        toast.info(`The passkey ${made.name} was added.`);
      },
    });
  }

  return (
    <section aria-labelledby="passkeys-title" className="settings-card" id="passkeys">
      <h2 id="passkeys-title">Passkeys</h2>
      <p className="muted small">
        Sign in with your device's fingerprint, face or PIN instead of a password. A passkey counts
        as two factors: no code from the authenticator app is asked after it.
      </p>
      {list.isPending ? (
        <Spinner />
      ) : list.isError ? (
        <ErrorNote error={list.error} retry={() => void list.refetch()} />
      ) : (
        <PasskeyList passkeys={list.data.items} />
      )}
      {!supported ? (
        <p className="muted small">This browser cannot make passkeys.</p>
      ) : adding ? (
        <form className="settings-form" onSubmit={submit} aria-label="Add a passkey">
          <label>
            Name
            <input name="name" required maxLength={100} placeholder="e.g. Work laptop" autoFocus />
          </label>
          {add.isError && (
            <p className="form-error" role="alert">
              {passkeyProblem(add.error)}
            </p>
          )}
          <div className="settings-actions">
            <button type="submit" className="primary" disabled={add.isPending}>
              Create passkey
            </button>
            <button
              type="button"
              onClick={() => {
                setAdding(false);
                add.reset();
              }}
            >
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <div className="settings-actions">
          <button type="button" onClick={() => setAdding(true)}>
            Add a passkey
          </button>
        </div>
      )}
    </section>
  );
}

function PasskeyList({ passkeys }: { passkeys: Passkey[] }) {
  const qc = useQueryClient();
  const [removing, setRemoving] = useState<Passkey | null>(null);
  const [renaming, setRenaming] = useState<string | null>(null);
  const remove = useMutation({
    mutationFn: (id: string) =>
      unwrap(
        api.DELETE("/api/v1/users/me/passkeys/{passkey_id}", {
          params: { path: { passkey_id: id } },
        }),
      ),
    onSettled: () => void qc.invalidateQueries({ queryKey: PASSKEYS }),
  });
  const rename = useMutation({
    mutationFn: ({ id, name }: { id: string; name: string }) =>
      unwrap(
        api.PATCH("/api/v1/users/me/passkeys/{passkey_id}", {
          params: { path: { passkey_id: id } },
          body: { name },
        }),
      ),
    onSuccess: () => setRenaming(null),
    onError: (err) => toast.error(passkeyProblem(err)),
    onSettled: () => void qc.invalidateQueries({ queryKey: PASSKEYS }),
  });
  const now = Date.now();

  if (passkeys.length === 0) return <p className="muted small">No passkeys yet.</p>;
  return (
    <>
      <ul className="token-list" aria-label="Your passkeys">
        {passkeys.map((p) => (
          <li key={p.id} className="token-item">
            <div className="token-head">
              {renaming === p.id ? (
                <form
                  className="token-title"
                  onSubmit={(e) => {
                    e.preventDefault();
                    const name = String(new FormData(e.currentTarget).get("name") ?? "").trim();
                    rename.mutate({ id: p.id, name });
                  }}
                >
                  <input
                    name="name"
                    aria-label="Passkey name"
                    required
                    maxLength={100}
                    defaultValue={p.name}
                  />
                  <button type="submit" className="small" disabled={rename.isPending}>
                    Save
                  </button>
                  <button type="button" className="small" onClick={() => setRenaming(null)}>
                    Cancel
                  </button>
                </form>
              ) : (
                <span className="token-title">
                  <strong className="token-name">{p.name}</strong>
                </span>
              )}
              <span>
                {renaming !== p.id && (
                  <button
                    type="button"
                    className="small"
                    aria-label={`Rename ${p.name}`}
                    onClick={() => setRenaming(p.id)}
                  >
                    Rename
                  </button>
                )}{" "}
                <button
                  type="button"
                  className="danger small"
                  aria-label={`Remove ${p.name}`}
                  onClick={() => setRemoving(p)}
                >
                  Remove
                </button>
              </span>
            </div>
            <dl className="token-facts">
              <div>
                <dt>Created</dt>
                <dd>
                  <time dateTime={p.created_at}>{formatDateTime(p.created_at)}</time>
                </dd>
              </div>
              <div>
                <dt>Last used</dt>
                <dd>
                  {p.last_used_at ? (
                    <time dateTime={p.last_used_at} title={formatDateTime(p.last_used_at)}>
                      {timeAgo(p.last_used_at, now)}
                    </time>
                  ) : (
                    "Never used"
                  )}
                </dd>
              </div>
            </dl>
          </li>
        ))}
      </ul>
      <Modal open={removing !== null} onClose={() => setRemoving(null)} title="Remove passkey">
        {removing && (
          <div className="confirm">
            <h2>Remove {removing.name}?</h2>
            <p>It will no longer sign in to this account. The device may still list it.</p>
            <div className="settings-actions">
              <button type="button" onClick={() => setRemoving(null)}>
                Cancel
              </button>
              <button
                type="button"
                className="primary danger-fill"
                disabled={remove.isPending}
                onClick={() =>
                  remove.mutate(removing.id, {
                    onSuccess: () => toast.info(`The passkey ${removing.name} was removed.`),
                    onError: (err) => toast.error(passkeyProblem(err)),
                    onSettled: () => setRemoving(null),
                  })
                }
              >
                Remove
              </button>
            </div>
          </div>
        )}
      </Modal>
    </>
  );
}
