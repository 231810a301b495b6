/** Two-factor sign-in on the account page: set up an authenticator app from a QR code, keep the
 * recovery codes, make new ones, turn it off. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import QRCode from "qrcode";
import { type FormEvent, useEffect, useState } from "react";
import { ApiError, api, unwrap } from "../../api/client";
import type { User } from "../../api/types";
import { ErrorNote, formatDateTime, Spinner } from "../../app/ui";
import { toast } from "../shell/toasts";

const MFA = ["mfa"] as const;

function useMfaStatus() {
  return useQuery({ queryKey: MFA, queryFn: () => unwrap(api.GET("/api/v1/users/me/mfa")) });
}

/** The secret in groups of four, as authenticator apps show it when typed by hand. */
export function groupSecret(secret: string): string {
  return secret.match(/.{1,4}/g)?.join(" ") ?? secret;
}

/** Recovery codes as a text file to keep. */
export function recoveryFile(codes: readonly string[], email: string): string {
  return [
    `Tasklane recovery codes for ${email}`,
    "Each code signs in once when you cannot use your authenticator app.",
    "",
    ...codes,
    "",
  ].join("\n");
}

function codeProblem(error: unknown): string {
  if (!(error instanceof ApiError)) return "Something went wrong. Try again.";
  if (error.status === 429) return "Too many attempts. Wait a minute, then try again.";
  const field = error.problem.errors?.[0];
  if (field?.code === "invalid_code")
    return "That code did not work. Use the current code from your app; each works once.";
  if (field?.code === "wrong_password") return "The password is not correct.";
  return error.userMessage;
}

export function TwoFactor({ me }: { me: User }) {
  const status = useMfaStatus();
  const [codes, setCodes] = useState<string[] | null>(null);
  return (
    <section aria-labelledby="mfa-title" className="settings-card" id="two-factor">
      <h2 id="mfa-title">Two-factor sign-in</h2>
      {codes !== null ? (
        <RecoveryCodes codes={codes} email={me.email} onDone={() => setCodes(null)} />
      ) : status.isPending ? (
        <Spinner />
      ) : status.isError ? (
        <ErrorNote error={status.error} retry={() => void status.refetch()} />
      ) : status.data.totp_enabled ? (
        <TurnedOn
          enabledAt={status.data.enabled_at}
          left={status.data.recovery_codes_left}
          onNewCodes={setCodes}
        />
      ) : (
        <SetUp onTurnedOn={setCodes} />
      )}
    </section>
  );
}

function SetUp({ onTurnedOn }: { onTurnedOn: (codes: string[]) => void }) {
  const qc = useQueryClient();
  const start = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/users/me/mfa/totp")),
  });
  const confirm = useMutation({
    mutationFn: (code: string) =>
      unwrap(api.POST("/api/v1/users/me/mfa/totp/confirm", { body: { code } })),
    onSuccess: (answer) => {
      void qc.invalidateQueries({ queryKey: MFA });
      onTurnedOn(answer.recovery_codes);
    },
  });
  const [qr, setQr] = useState<string | null>(null);
  const [code, setCode] = useState("");
  const uri = start.data?.otpauth_uri;
  useEffect(() => {
    if (!uri) return;
    let current = true;
    void QRCode.toDataURL(uri, { margin: 1, width: 200 }).then((url) => {
      if (current) setQr(url);
    });
    return () => {
      current = false;
    };
  }, [uri]);

  if (!start.data) {
    return (
      <>
        <p className="muted">
          Off. With it on, signing in also asks for a code from an authenticator app on your phone,
          so a stolen password is not enough.
        </p>
        {start.isError && <ErrorNote error={start.error} />}
        <div className="settings-actions">
          <button
            type="button"
            className="primary"
            disabled={start.isPending}
            onClick={() => start.mutate()}
          >
            Set up two-factor sign-in
          </button>
        </div>
      </>
    );
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    confirm.mutate(code.trim(), { onError: () => setCode("") });
  }

  return (
    <form className="settings-form mfa-setup" onSubmit={submit} aria-labelledby="mfa-title">
      <ol className="mfa-steps">
        <li>
          Scan this QR code with an authenticator app (1Password, Google Authenticator, Authy,
          Microsoft Authenticator…).
          <div className="mfa-qr">
            {qr ? (
              <img src={qr} alt="QR code for your authenticator app" width={200} height={200} />
            ) : (
              <Spinner />
            )}
          </div>
          <details>
            <summary>Cannot scan it? Type this key instead</summary>
            <code className="mfa-secret" data-secret={start.data.secret}>
              {groupSecret(start.data.secret)}
            </code>
          </details>
        </li>
        <li>
          <label>
            Enter the 6-digit code the app shows
            <input
              name="code"
              inputMode="numeric"
              autoComplete="one-time-code"
              required
              minLength={6}
              maxLength={10}
              value={code}
              onChange={(e) => setCode(e.target.value)}
              aria-invalid={confirm.isError ? true : undefined}
            />
          </label>
        </li>
      </ol>
      {confirm.isError && (
        <p className="form-error" role="alert">
          {codeProblem(confirm.error)}
        </p>
      )}
      <div className="settings-actions">
        <button type="submit" className="primary" disabled={confirm.isPending}>
          Turn on
        </button>
        <button type="button" onClick={() => start.reset()}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function RecoveryCodes({
  codes,
  email,
  onDone,
}: {
  codes: string[];
  email: string;
  onDone: () => void;
}) {
  const text = recoveryFile(codes, email);
  const download = `data:text/plain;charset=utf-8,${encodeURIComponent(text)}`;
  return (
    <div className="mfa-codes">
      <p role="status">
        Save these recovery codes somewhere safe. Each signs you in once if you lose your phone.
        They are shown only now.
      </p>
      <ul className="recovery-codes" aria-label="Recovery codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ul>
      <div className="settings-actions">
        <button
          type="button"
          onClick={() =>
            void navigator.clipboard
              .writeText(codes.join("\n"))
              .then(() => toast.info("Recovery codes copied."))
              .catch(() => toast.error("Could not copy; select the codes instead."))
          }
        >
          Copy
        </button>
        <a className="button" href={download} download="tasklane-recovery-codes.txt">
          Download
        </a>
        <button type="button" className="primary" onClick={onDone}>
          I have saved them
        </button>
      </div>
    </div>
  );
}

type Asking = "codes" | "off" | null;

function TurnedOn({
  enabledAt,
  left,
  onNewCodes,
}: {
  enabledAt: string | null;
  left: number;
  onNewCodes: (codes: string[]) => void;
}) {
  const qc = useQueryClient();
  const [asking, setAsking] = useState<Asking>(null);
  const [code, setCode] = useState("");
  const [password, setPassword] = useState("");
  const newCodes = useMutation({
    mutationFn: (c: string) =>
      unwrap(api.POST("/api/v1/users/me/mfa/recovery-codes", { body: { code: c } })),
    onSuccess: (answer) => {
      void qc.invalidateQueries({ queryKey: MFA });
      onNewCodes(answer.recovery_codes);
    },
  });
  const turnOff = useMutation({
    mutationFn: (body: { password: string; code: string }) =>
      unwrap(api.DELETE("/api/v1/users/me/mfa/totp", { body })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: MFA });
      toast.info("Two-factor sign-in is off.");
    },
  });
  const pending = asking === "codes" ? newCodes : turnOff;

  function submit(event: FormEvent) {
    event.preventDefault();
    const done = { onSettled: () => setCode("") };
    if (asking === "codes") newCodes.mutate(code.trim(), done);
    else turnOff.mutate({ password, code: code.trim() }, done);
  }

  return (
    <>
      <p>
        <strong>On</strong>
        {enabledAt && <> since {formatDateTime(enabledAt)}</>}. Signing in asks for a code from your
        authenticator app.{" "}
        <span className={left <= 2 ? "form-error" : "muted"}>
          {left} recovery {left === 1 ? "code" : "codes"} left.
        </span>
      </p>
      {asking === null ? (
        <div className="settings-actions">
          <button type="button" onClick={() => setAsking("codes")}>
            New recovery codes
          </button>
          <button type="button" className="danger" onClick={() => setAsking("off")}>
            Turn off
          </button>
        </div>
      ) : (
        <form className="settings-form" onSubmit={submit} aria-label="Confirm with a code">
          {asking === "off" && (
            <label>
              Password
              <input
                name="password"
                type="password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            </label>
          )}
          <label>
            Code from your app, or a recovery code
            <input
              name="code"
              autoComplete="one-time-code"
              required
              minLength={6}
              maxLength={32}
              value={code}
              onChange={(e) => setCode(e.target.value)}
            />
          </label>
          {pending.isError && (
            <p className="form-error" role="alert">
              {codeProblem(pending.error)}
            </p>
          )}
          <div className="settings-actions">
            <button
              type="submit"
              className={asking === "off" ? "danger" : "primary"}
              disabled={pending.isPending}
            >
              {asking === "off" ? "Turn off two-factor sign-in" : "Make new codes"}
            </button>
            <button
              type="button"
              onClick={() => {
                setAsking(null);
                newCodes.reset();
                turnOff.reset();
              }}
            >
              Cancel
            </button>
          </div>
        </form>
      )}
    </>
  );
}
