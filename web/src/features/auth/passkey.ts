/** Signing in with a passkey alone: the server's challenge, the browser's ceremony
 * (navigator.credentials.get, through @simplewebauthn/browser), then the cookie session. */
import {
  browserSupportsWebAuthn,
  type PublicKeyCredentialRequestOptionsJSON,
  startAuthentication,
} from "@simplewebauthn/browser";
import { ApiError, api, unwrap } from "../../api/client";
import type { User } from "../../api/types";

export function passkeysSupported(): boolean {
  return typeof window !== "undefined" && browserSupportsWebAuthn();
}

export async function signInWithPasskey(): Promise<User> {
  const start = await unwrap(api.POST("/api/v1/auth/passkey/options"));
  const credential = await startAuthentication({
    optionsJSON: start.options as unknown as PublicKeyCredentialRequestOptionsJSON,
  });
  const session = await unwrap(
    api.POST("/api/v1/auth/session/passkey", {
      body: {
        challenge_id: start.challenge_id,
        credential,
      },
    }),
  );
  return session.user;
}

/** What to tell the person when a passkey sign-in did not work; null when they cancelled. */
export function passkeySignInProblem(error: unknown): string | null {
  if (error instanceof DOMException && error.name === "NotAllowedError") return null;
  if (error instanceof ApiError && error.status === 429)
    return "Too many failed sign-ins. Wait a minute, then try again.";
  if (error instanceof ApiError)
    return "That passkey did not sign you in. It may have been removed from your account.";
  return "The passkey sign-in did not work. Try again, or use your password.";
}
