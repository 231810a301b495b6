/** Where to go after signing in: the page a signed-out person was sent away from. */

const BASE = "https://tasklane.invalid";

/** `raw` if it is a path on this site, else "/". Never an absolute URL, `//host` or `/\host`
 * (browsers read a backslash as a slash), and never the sign-in pages themselves. */
export function safeNext(raw: string | null | undefined): string {
  if (!raw?.startsWith("/") || raw.startsWith("//")) return "/";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters
  if (/[\\\u0000-\u001f\u007f]/.test(raw)) return "/";
  let url: URL;
  try {
    url = new URL(raw, BASE);
  } catch {
    return "/";
  }
  if (url.origin !== BASE) return "/";
  if (url.pathname === "/signin" || url.pathname === "/signup") return "/";
  return `${url.pathname}${url.search}${url.hash}`;
}

/** The sign-in address that comes back to `path` (the home page needs no `next`). */
export function signInFor(path: string): string {
  const next = safeNext(path);
  return next === "/" ? "/signin" : `/signin?next=${encodeURIComponent(next)}`;
}
