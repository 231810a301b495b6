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

export async function signIn(email: string, password: string): Promise<User> {
  const session = await unwrap(api.POST("/api/v1/auth/session", { body: { email, password } }));
  return session.user;
}

export async function signUp(name: string, email: string, password: string): Promise<User> {
  await unwrap(api.POST("/api/v1/auth/register", { body: { name, email, password } }));
  return signIn(email, password);
}

export async function signOut(): Promise<void> {
  try {
    await unwrap(api.POST("/api/v1/auth/logout"));
  } catch {
    // Already signed out: nothing to end.
  }
}
