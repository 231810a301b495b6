import { useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { ApiError, api, unwrap } from "../../api/client";
import { signIn, signUp } from "./api";
import { safeNext } from "./next";
import { StrengthMeter } from "./StrengthMeter";
import { contextWords, passwordStrength } from "./strength";

export function AuthPage({ mode }: { mode: "signin" | "signup" }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [password, setPassword] = useState("");
  // The name and e-mail typed so far: a password made of them is easy to guess.
  const [details, setDetails] = useState<string[]>([]);
  const [passwordError, setPasswordError] = useState<string | null>(null);
  const strength = passwordStrength(password, contextWords(...details));
  // Only a path on this site: `next` comes from the address bar, which anyone can craft.
  const next = safeNext(params.get("next"));
  const carry = next === "/" ? "" : `?next=${encodeURIComponent(next)}`;
  // How this installation takes sign-ups (TASKLANE_SIGNUP): the page says so up front.
  const config = useQuery({
    queryKey: ["auth-config"],
    queryFn: () => unwrap(api.GET("/api/v1/auth/config")),
    staleTime: 5 * 60_000,
  });

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = String(form.get("email") ?? "");
    const password = String(form.get("password") ?? "");
    setBusy(true);
    setError(null);
    setPasswordError(null);
    try {
      const user =
        mode === "signup"
          ? await signUp(String(form.get("name") ?? ""), email, password)
          : await signIn(email, password);
      qc.setQueryData(["me"], user);
      navigate(next, { replace: true });
    } catch (e) {
      const atField = passwordProblem(e);
      if (atField) setPasswordError(atField);
      else setError(describe(e, mode));
    } finally {
      setBusy(false);
    }
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
