import { useQuery } from "@tanstack/react-query";
import { ApiError, api, unwrap } from "../../api/client";
import type { User } from "../../api/types";

export function useMe() {
  return useQuery<User | null>({
    queryKey: ["me"],
    queryFn: async () => {
      try {
        return await unwrap(api.GET("/api/v1/users/me"));
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 5 * 60_000,
  });
}

/** How this installation signs people in (sign-ups, single sign-on); it changes only with a
 * restart. */
export function useAuthConfig() {
  return useQuery({
    queryKey: ["auth-config"],
    queryFn: () => unwrap(api.GET("/api/v1/auth/config")),
    staleTime: 5 * 60_000,
  });
}

/** The password step: the signed-in user, or, with two-factor sign-in on, the token that
 * `finishSignIn` takes with a code. */
export async function signIn(
  email: string,
  password: string,
): Promise<{ user: User } | { mfaToken: string }> {
  const answer = await unwrap(api.POST("/api/v1/auth/session", { body: { email, password } }));
  return "mfa_token" in answer ? { mfaToken: answer.mfa_token } : { user: answer.user };
}

/** The code step of a two-factor sign-in: a code from the app, or a recovery code. */
export async function finishSignIn(mfaToken: string, code: string): Promise<User> {
  const session = await unwrap(
    api.POST("/api/v1/auth/session/mfa", { body: { mfa_token: mfaToken, code } }),
  );
  return session.user;
}

export async function signUp(name: string, email: string, password: string): Promise<User> {
  await unwrap(api.POST("/api/v1/auth/register", { body: { name, email, password } }));
  const signedIn = await signIn(email, password);
  if (!("user" in signedIn)) throw new Error("A new account has no second factor.");
  return signedIn.user;
}

export async function signOut(): Promise<void> {
  try {
    await unwrap(api.POST("/api/v1/auth/logout"));
  } catch {
    // Already signed out: nothing to end.
  }
}
