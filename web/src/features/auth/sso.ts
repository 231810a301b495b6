/** Coming back to the sign-in page from single sign-on (GET /api/v1/auth/oidc/callback). */

/** What single sign-on came back with: a problem (`?sso_error=`) or, for an account with
 * two-factor sign-in, the code step's token (in the fragment, which no server sees). */
export function ssoReturn(): { problem: string | null; mfaToken: string | null } {
  return {
    problem: ssoProblem(new URLSearchParams(window.location.search).get("sso_error")),
    mfaToken: new URLSearchParams(window.location.hash.slice(1)).get("mfa_token"),
  };
}

/** Take both out of the address bar: the token is not to be bookmarked or shared, and a
 * reload should not show the problem again. */
export function forgetSsoReturn() {
  const url = new URL(window.location.href);
  if (!url.searchParams.has("sso_error") && !url.hash) return;
  url.searchParams.delete("sso_error");
  window.history.replaceState(window.history.state, "", url.pathname + url.search);
}

const SSO_PROBLEMS: Record<string, string> = {
  sso_cancelled: "Single sign-on was cancelled.",
  sso_state: "That sign-in link expired or was already used. Start the sign-in again.",
  sso_unverified_email:
    "An account with your e-mail address exists, and the identity provider does not confirm the address is verified. Sign in with your password.",
  sso_other_identity:
    "Your account here is linked to a different identity at the identity provider. Sign in with that one, or ask an administrator.",
  sso_no_email: "The identity provider did not give an e-mail address.",
  sso_no_account: "There is no account here for your e-mail address. Ask an administrator.",
  account_inactive: "This account is deactivated.",
  provider_unreachable: "The identity provider did not answer. Try again in a moment.",
};

export function ssoProblem(code: string | null): string | null {
  if (!code) return null;
  return SSO_PROBLEMS[code] ?? "Single sign-on did not work. Try again, or use your password.";
}
