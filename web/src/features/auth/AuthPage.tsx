import { useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link, useLocation, useNavigate } from "react-router";
import { ApiError } from "../../api/client";
import { signIn, signUp } from "./api";

export function AuthPage({ mode }: { mode: "signin" | "signup" }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const location = useLocation();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const next = (location.state as { from?: string } | null)?.from ?? "/";

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = String(form.get("email") ?? "");
    const password = String(form.get("password") ?? "");
    setBusy(true);
    setError(null);
    try {
      const user =
        mode === "signup"
          ? await signUp(String(form.get("name") ?? ""), email, password)
          : await signIn(email, password);
      qc.setQueryData(["me"], user);
      navigate(next, { replace: true });
    } catch (e) {
      setError(describe(e, mode));
    } finally {
      setBusy(false);
    }
  }

  const title = mode === "signup" ? "Create your account" : "Sign in to Tasklane";
  return (
    <main className="auth">
      <form className="auth-card" onSubmit={submit} aria-labelledby="auth-title">
        <div className="brand-mark" aria-hidden="true" />
        <h1 id="auth-title">{title}</h1>
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
          />
        </label>
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
              Have an account? <Link to="/signin">Sign in</Link>
            </>
          ) : (
            <>
              New here? <Link to="/signup">Create an account</Link>
            </>
          )}
        </p>
      </form>
    </main>
  );
}

function describe(error: unknown, mode: "signin" | "signup"): string {
  if (!(error instanceof ApiError)) return "Something went wrong. Try again.";
  if (error.status === 401) return "That e-mail and password do not match an account.";
  if (error.status === 429) return "Too many attempts. Wait a minute, then try again.";
  if (error.status === 409 && mode === "signup")
    return "An account with this e-mail already exists. Sign in instead.";
  return error.userMessage;
}
