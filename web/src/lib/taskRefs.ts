/**
 * Task references (`ENG-42`) in text: found as whole words, and turned into links to the task
 * in Markdown (a markdown-it core rule) and in plain titles. Only upper-case keys count, as
 * project keys are stored, so "covid-19" or "utf-8" stay text. Code spans, code blocks and
 * links are left alone.
 */
import type MarkdownIt from "markdown-it";
import { taskPath } from "../features/tasks/paths";

type Md = InstanceType<typeof MarkdownIt>;
type StateCore = Parameters<Md["core"]["process"]>[0];
type Token = InstanceType<StateCore["Token"]>;

/** Where a task is: `/{workspace}/t/ENG-4`, or `/t/ENG-4` (which redirects) without the
 * workspace. The one place reference links are made. */
export function taskHref(key: string, workspaceSlug?: string): string {
  return taskPath(workspaceSlug, key);
}

/** What `md.render(text, env)` passes to this plugin. */
export type TaskRefsEnv = {
  /** The workspace the text belongs to, whose keys it uses. */
  workspaceSlug?: string | undefined;
};

// A project key is a letter and 1-9 letters or digits (the API's rule); the number has no
// leading zero. Not preceded by a word character or by `/ . @ -` (a path, an e-mail, a longer
// key like `X-ENG-4`), not followed by a word character, `-word` or `.digit` (`ENG-4.5`).
const REF =
  /(?<![\p{L}\p{N}_/.@-])([A-Z][A-Z0-9]{1,9}-[1-9][0-9]{0,9})(?![\p{L}\p{N}_]|-[\p{L}\p{N}_]|\.\p{N})/gu;

export interface TaskRef {
  key: string;
  start: number;
  end: number;
}

export function findTaskRefs(text: string): TaskRef[] {
  const found: TaskRef[] = [];
  for (const match of text.matchAll(REF)) {
    const key = match[1] as string;
    found.push({ key, start: match.index, end: match.index + key.length });
  }
  return found;
}

/** The text in pieces: plain strings, and `{ key }` for each reference. */
export function splitTaskRefs(text: string): Array<string | { key: string }> {
  const parts: Array<string | { key: string }> = [];
  let at = 0;
  for (const ref of findTaskRefs(text)) {
    if (ref.start > at) parts.push(text.slice(at, ref.start));
    parts.push({ key: ref.key });
    at = ref.end;
  }
  if (at < text.length) parts.push(text.slice(at));
  return parts;
}

/** The distinct keys a text refers to, in order, leaving out `except` (a task's own key). */
export function referencedKeys(text: string, except?: string): string[] {
  const keys = findTaskRefs(text).map((r) => r.key);
  return [...new Set(keys)].filter((k) => k !== except);
}

function linkRefs(state: StateCore): void {
  const slug = (state.env as TaskRefsEnv | undefined)?.workspaceSlug;
  for (const block of state.tokens) {
    if (block.type !== "inline" || !block.children) continue;
    const out: Token[] = [];
    let inLink = 0;
    let changed = false;
    for (const token of block.children) {
      if (token.type === "link_open") inLink++;
      if (token.type === "link_close") inLink--;
      // Code spans are `code_inline` tokens and code blocks are not inline at all, so only
      // text outside links is looked at.
      const refs = token.type === "text" && inLink === 0 ? findTaskRefs(token.content) : [];
      if (refs.length === 0) {
        out.push(token);
        continue;
      }
      changed = true;
      const text = (content: string) => {
        const t = new state.Token("text", "", 0);
        t.content = content;
        return t;
      };
      let at = 0;
      for (const ref of refs) {
        if (ref.start > at) out.push(text(token.content.slice(at, ref.start)));
        const open = new state.Token("link_open", "a", 1);
        open.attrs = [
          ["href", taskHref(ref.key, slug)],
          ["class", "task-ref"],
          ["data-task-ref", ref.key],
        ];
        open.markup = "task-ref";
        out.push(open, text(ref.key), new state.Token("link_close", "a", -1));
        at = ref.end;
      }
      if (at < token.content.length) out.push(text(token.content.slice(at)));
    }
    if (changed) block.children = out;
  }
}

/** The markdown-it plugin. It runs after every other core rule, when the text is final (the
 * inline parser splits `ENG-4` at the dash; `text_join` puts it back together). */
export function taskRefs(md: Md): void {
  md.core.ruler.push("task_refs", linkRefs);
}
