import { useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { ApiError } from "../../api/client";
import type { User } from "../../api/types";
import { finishSignIn, signIn, signUp, useAuthConfig } from "./api";
import { safeNext } from "./next";
import { passkeySignInProblem, passkeysSupported, signInWithPasskey } from "./passkey";
import { StrengthMeter } from "./StrengthMeter";
import { forgetSsoReturn, ssoReturn } from "./sso";
import { contextWords, passwordStrength } from "./strength";

export function AuthPage({ mode }: { mode: "signin" | "signup" }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  // A single sign-on that did not work comes back as ?sso_error=<code>.
  const [error, setError] = useState<string | null>(() => ssoReturn().problem);
  const [busy, setBusy] = useState(false);
  const [password, setPassword] = useState("");
  // The name and e-mail typed so far: a password made of them is easy to guess.
  const [details, setDetails] = useState<string[]>([]);
  const [passwordError, setPasswordError] = useState<string | null>(null);
  // Set once the password was right for an account with two-factor sign-in on.
  // (After single sign-on it arrives in the address's fragment, which no server sees.)
  const [mfaToken, setMfaToken] = useState<string | null>(() => ssoReturn().mfaToken);
  useEffect(forgetSsoReturn, []);
  const strength = passwordStrength(password, contextWords(...details));
  // Only a path on this site: `next` comes from the address bar, which anyone can craft.
  const next = safeNext(params.get("next"));
  const carry = next === "/" ? "" : `?next=${encodeURIComponent(next)}`;
  // How this installation takes sign-ups (TASKLANE_SIGNUP): the page says so up front.
  const config = useAuthConfig();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = String(form.get("email") ?? "");
    const password = String(form.get("password") ?? "");
    setBusy(true);
    setError(null);
    setPasswordError(null);
    try {
      if (mode === "signup") {
        signedIn(await signUp(String(form.get("name") ?? ""), email, password));
        return;
      }
      const answer = await signIn(email, password);
      if ("mfaToken" in answer) setMfaToken(answer.mfaToken);
      else signedIn(answer.user);
    } catch (e) {
      const atField = passwordProblem(e);
      if (atField) setPasswordError(atField);
      else setError(describe(e, mode));
    } finally {
      setBusy(false);
    }
  }

  async function passkeySignIn() {
    setBusy(true);
    setError(null);
    try {
      signedIn(await signInWithPasskey());
    } catch (e) {
      setError(passkeySignInProblem(e));
    } finally {
      setBusy(false);
    }
  }

  function signedIn(user: User) {
    qc.setQueryData(["me"], user);
    navigate(next, { replace: true });
  }

  if (mfaToken !== null) {
    return (
      <CodeStep
        mfaToken={mfaToken}
        onSignedIn={signedIn}
        onStartAgain={(why) => {
          setMfaToken(null);
          setPassword("");
          setError(why);
        }}
      />
    );
  }

  const title = mode === "signup" ? "Create your account" : "Sign in to Tasklane";
  const signup = config.data?.signup ?? "open";
  if (mode === "signup" && signup === "closed") {
    return (
      <main className="auth">
        <div className="auth-card">
          <div className="brand-mark" aria-hidden="true" />
          <h1 id="auth-title">Sign-up is closed</h1>
          <p>This Tasklane does not take new accounts. Ask its administrator for one.</p>
          <p className="muted">
            Have an account? <Link to={`/signin${carry}`}>Sign in</Link>
          </p>
        </div>
      </main>
    );
  }
  return (
    <main className="auth">
      <form
        className="auth-card"
        onSubmit={submit}
        aria-labelledby="auth-title"
        onChange={(e) => {
          if (mode !== "signup") return;
          const form = new FormData(e.currentTarget);
          setDetails([String(form.get("name") ?? ""), String(form.get("email") ?? "")]);
        }}
      >
        <div className="brand-mark" aria-hidden="true" />
        <h1 id="auth-title">{title}</h1>
        {mode === "signup" && signup === "invite" && (
          <p className="muted" role="note">
            Sign-up is by invitation: use the e-mail address a workspace admin invited.
          </p>
        )}
        {mode === "signup" && (
          <label>
            Name
            <input name="name" autoComplete="name" required maxLength={100} />
          </label>
        )}
        <label>
          E-mail
          <input
            name="email"
            type="email"
            autoComplete="email"
            required
            autoFocus={mode === "signin"}
            defaultValue={params.get("email") ?? undefined}
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={mode === "signup" ? "new-password" : "current-password"}
            required
            minLength={mode === "signup" ? 8 : 1}
            value={password}
            onChange={(e) => {
              setPassword(e.target.value);
              setPasswordError(null);
            }}
            aria-invalid={passwordError ? true : undefined}
            aria-describedby={mode === "signup" ? "password-strength password-error" : undefined}
          />
        </label>
        {mode === "signup" && (
          <StrengthMeter id="password-strength" password={password} strength={strength} />
        )}
        {passwordError && (
          <p id="password-error" className="form-error" role="alert">
            {passwordError}
          </p>
        )}
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <button className="primary" type="submit" disabled={busy}>
          {busy ? "Please wait…" : mode === "signup" ? "Sign up" : "Sign in"}
        </button>
        {config.data?.sso && (
          <a className="button sso" href={`/api/v1/auth/oidc/login${carry}`}>
            Sign in with {config.data.sso.display_name}
          </a>
        )}
        {mode === "signin" && passkeysSupported() && (
          <button
            type="button"
            className="passkey"
            onClick={() => void passkeySignIn()}
            disabled={busy}
          >
            Sign in with a passkey
          </button>
        )}
        <p className="muted">
          {mode === "signup" ? (
            <>
              Have an account? <Link to={`/signin${carry}`}>Sign in</Link>
            </>
          ) : signup === "closed" ? null : (
            <>
              New here? <Link to={`/signup${carry}`}>Create an account</Link>
            </>
          )}
        </p>
      </form>
    </main>
  );
}

/** The second step of a two-factor sign-in: the code from the authenticator app, or a
 * recovery code when the phone is lost. */
function CodeStep({
  mfaToken,
  onSignedIn,
  onStartAgain,
}: {
  mfaToken: string;
  onSignedIn: (user: User) => void;
  onStartAgain: (why: string | null) => void;
}) {
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await finishSignIn(mfaToken, code));
    } catch (e) {
      if (e instanceof ApiError && e.code === "invalid_mfa_token") {
        onStartAgain("The sign-in took too long. Enter your password again.");
        return;
      }
      setCode("");
      if (e instanceof ApiError && e.status === 429)
        setError("Too many attempts. Wait a minute, then try again.");
      else if (e instanceof ApiError && e.code === "invalid_code")
        setError("That code did not work. Codes change every 30 seconds and each works once.");
      else setError(e instanceof ApiError ? e.userMessage : "Something went wrong. Try again.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="auth">
      <form className="auth-card" onSubmit={submit} aria-labelledby="auth-title">
        <div className="brand-mark" aria-hidden="true" />
        <h1 id="auth-title">Two-factor sign-in</h1>
        <p className="muted">Enter the 6-digit code from your authenticator app.</p>
        <label>
          Code
          <input
            name="code"
            autoComplete="one-time-code"
            autoFocus
            required
            minLength={6}
            maxLength={32}
            spellCheck={false}
            value={code}
            onChange={(e) => setCode(e.target.value)}
            aria-invalid={error ? true : undefined}
          />
        </label>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <button className="primary" type="submit" disabled={busy}>
          {busy ? "Please wait…" : "Verify"}
        </button>
        <p className="muted">
          Lost your phone? Enter one of your recovery codes instead.{" "}
          <button type="button" className="link" onClick={() => onStartAgain(null)}>
            Back
          </button>
        </p>
      </form>
    </main>
  );
}

/** The server's verdict on the new password (e.g. too common), to show at the field. */
function passwordProblem(error: unknown): string | null {
  if (!(error instanceof ApiError) || error.status !== 422) return null;
  return error.problem.errors?.find((e) => e.field === "password")?.message ?? null;
}

function describe(error: unknown, mode: "signin" | "signup"): string {
  if (!(error instanceof ApiError)) return "Something went wrong. Try again.";
  if (error.status === 401) return "That e-mail and password do not match an account.";
  if (error.status === 429) return "Too many attempts. Wait a minute, then try again.";
  if (error.status === 409 && mode === "signup")
    return "An account with this e-mail already exists. Sign in instead.";
  return error.userMessage;
}
