/**
 * @mentions while writing Markdown (comments, task descriptions): the `@handle` being typed at
 * the caret, the people it may name, and the text once one is picked. The rules follow the
 * server's (src/tasklane/notifications/mentions.py): a handle is 2 to 32 letters, digits, `_`
 * or `-`, after the start of the text or a character that is not a letter, a digit or one of
 * `_ @ . / + -` (so an e-mail address mentions nobody), and not inside code.
 */
import type { Person } from "../../api/types";

export const MAX_SUGGESTIONS = 8;

// What may come before the `@`: nothing, or a character the server's look-behind accepts.
const TOKEN = /(?:^|[^\p{L}\p{N}_@./+-])@([A-Za-z0-9_-]{0,32})$/u;
const HANDLE_CHARS = /^[A-Za-z0-9_-]*/;

export interface MentionToken {
  /** Where the `@` is. */
  start: number;
  /** What follows it up to the caret (may be empty). */
  query: string;
}

/** Whether position `at` of `text` is inside code: a fenced block, or an inline `span`. */
export function inCode(text: string, at: number): boolean {
  const before = text.slice(0, at);
  const lines = before.split("\n");
  const current = lines.pop() ?? "";
  let fenced = false;
  for (const line of lines) if (/^\s{0,3}```/.test(line)) fenced = !fenced;
  if (fenced) return true;
  const ticks = current.match(/`/g)?.length ?? 0;
  return ticks % 2 === 1;
}

/** The mention being typed at `caret`, or null. */
export function mentionAt(text: string, caret: number): MentionToken | null {
  if (caret < 1 || caret > text.length) return null;
  const match = TOKEN.exec(text.slice(0, caret));
  if (!match) return null;
  const query = match[1] ?? "";
  const start = caret - query.length - 1;
  if (inCode(text, start)) return null;
  return { start, query };
}

/** People with a handle that `query` matches, best first: handle starts with it, then a word
 * of the name does, then either contains it; at most `limit`. */
export function matchPeople(
  people: readonly Person[],
  query: string,
  limit = MAX_SUGGESTIONS,
): Person[] {
  const q = query.toLowerCase();
  const scored: Array<[number, Person]> = [];
  for (const person of people) {
    const handle = person.handle?.toLowerCase();
    if (!handle) continue;
    const name = person.name.toLowerCase();
    let score: number;
    if (handle.startsWith(q)) score = 0;
    else if (name.split(/[\s._-]+/).some((word) => word.startsWith(q))) score = 1;
    else if (handle.includes(q) || name.includes(q)) score = 2;
    else continue;
    scored.push([score, person]);
  }
  scored.sort((a, b) => a[0] - b[0] || a[1].name.localeCompare(b[1].name));
  return scored.slice(0, limit).map(([, person]) => person);
}

/** `text` with the mention at `token` (up to the end of the word the caret is in) replaced by
 * `@handle` and a space; and where the caret goes: after that space. */
export function insertMention(
  text: string,
  token: MentionToken,
  caret: number,
  handle: string,
): { text: string; caret: number } {
  const rest = text.slice(caret);
  const end = caret + (HANDLE_CHARS.exec(rest)?.[0].length ?? 0);
  const after = text.slice(end);
  const spaced = /^\s/.test(after) ? after : ` ${after}`;
  const mention = `@${handle}`;
  return {
    text: text.slice(0, token.start) + mention + spaced,
    caret: token.start + mention.length + 1,
  };
}
