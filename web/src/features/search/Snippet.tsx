import type { SearchHit } from "./api";

/** A hit's snippet as text, with the matching words marked. Never HTML: the server sends
 * segments, and each is a text node here. */
export function Snippet({ hit }: { hit: SearchHit }) {
  if (hit.snippet.length === 0) return null;
  return (
    <span className="snippet">
      {hit.snippet.map((segment, i) =>
        segment.match ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: segments have no identity but order
          <mark key={i}>{segment.text}</mark>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: as above
          <span key={i}>{segment.text}</span>
        ),
      )}
    </span>
  );
}
