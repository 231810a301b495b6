/**
 * `- [ ] todo` and `- [x] done` list items as checkboxes, read-only (a markdown-it core rule).
 * Only a list item's first text can be a box; the box is a fixed tag this rule writes, never
 * text from the document, so it stays safe with `html: false`.
 */
import type MarkdownIt from "markdown-it";

type Md = InstanceType<typeof MarkdownIt>;
type StateCore = Parameters<Md["core"]["process"]>[0];

const MARK = /^\[([ xX])\][ \t]+/;

function boxes(state: StateCore): void {
  const tokens = state.tokens;
  for (let i = 2; i < tokens.length; i++) {
    const inline = tokens[i];
    if (inline?.type !== "inline") continue;
    if (tokens[i - 1]?.type !== "paragraph_open" || tokens[i - 2]?.type !== "list_item_open")
      continue;
    const first = inline.children?.[0];
    const match = first?.type === "text" ? MARK.exec(first.content) : null;
    if (!first || !match || !inline.children) continue;
    first.content = first.content.slice(match[0].length);
    const box = new state.Token("task_checkbox", "input", 0);
    box.meta = { checked: match[1] !== " " };
    inline.children.unshift(box);
    tokens[i - 2]?.attrJoin("class", "task-list-item");
  }
}

export function taskLists(md: Md): void {
  md.core.ruler.push("task_lists", boxes);
  md.renderer.rules.task_checkbox = (tokens, idx) =>
    `<input class="task-checkbox" type="checkbox" disabled${tokens[idx]?.meta?.checked ? " checked" : ""}> `;
}
