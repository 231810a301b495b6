/**
 * The URL's search parameters for controls bound to them (filters, grouping).
 *
 * React Router 7 moves to a new location inside a React transition, so the location a component
 * reads lags the change it asked for until that transition is rendered. A controlled checkbox or
 * select bound to the URL shows its old value in between: React puts the DOM back to the value it
 * was rendered with, and under load a click looks undone. This hook shows the parameters it set
 * at once and keeps them until the URL has them, or until the URL changes some other way (back,
 * a link), which wins.
 */
import { useCallback, useState } from "react";
import { useSearchParams } from "react-router";

export type SearchParamsNow = [
  URLSearchParams,
  (update: (current: URLSearchParams) => URLSearchParams) => void,
];

export function useSearchParamsNow(): SearchParamsNow {
  const [url, setUrl] = useSearchParams();
  const [pending, setPending] = useState<{ from: URLSearchParams; next: URLSearchParams } | null>(
    null,
  );
  const params = pending && pending.from === url ? pending.next : url;
  const set = useCallback(
    (update: (current: URLSearchParams) => URLSearchParams) => {
      const next = update(new URLSearchParams(params));
      setPending({ from: url, next });
      setUrl(next, { replace: true });
    },
    [params, url, setUrl],
  );
  return [params, set];
}
