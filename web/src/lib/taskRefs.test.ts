import MarkdownIt from "markdown-it";
import { describe, expect, it } from "vitest";
import { taskLists } from "./taskLists";
import { findTaskRefs, referencedKeys, splitTaskRefs, taskHref, taskRefs } from "./taskRefs";

const md = new MarkdownIt({ html: false, linkify: true, breaks: true })
  .use(taskLists)
  .use(taskRefs);

const keys = (text: string) => findTaskRefs(text).map((r) => r.key);
const link = (key: string) =>
  `<a href="${taskHref(key)}" class="task-ref" data-task-ref="${key}">${key}</a>`;

describe("findTaskRefs", () => {
  it("finds whole-word keys with their places", () => {
    expect(findTaskRefs("See ENG-4 and OPS2-17.")).toEqual([
      { key: "ENG-4", start: 4, end: 9 },
      { key: "OPS2-17", start: 14, end: 21 },
    ]);
    expect(keys("(ENG-4), ENG-5: ENG-6; #ENG-7 'ENG-8' ENG-9?")).toEqual([
      "ENG-4",
      "ENG-5",
      "ENG-6",
      "ENG-7",
      "ENG-8",
      "ENG-9",
    ]);
    expect(keys("ENG-4\nENG-5")).toEqual(["ENG-4", "ENG-5"]);
  });

  it("leaves out what only looks like a key", () => {
    for (const text of [
      "eng-4", // keys are upper case
      "covid-19 and utf-8",
      "E-4", // a key has two characters at least
      "ENG-0",
      "ENG-04",
      "XENG-4b",
      "ENG-4x",
      "ENG-4-2",
      "X-ENG-4",
      "docs/ENG-4",
      "ada@ENG-4",
      "v1.ENG-4",
      "ENG-4.5",
      "éENG-4",
      "ENG-4é",
      "ABCDEFGHIJK-1", // eleven characters: longer than any project key
      "ENG-12345678901",
    ])
      expect(keys(text), text).toEqual([]);
  });
});

describe("splitTaskRefs and referencedKeys", () => {
  it("splits a title into text and references", () => {
    expect(splitTaskRefs("Follow up on ENG-4 after OPS-2")).toEqual([
      "Follow up on ",
      { key: "ENG-4" },
      " after ",
      { key: "OPS-2" },
    ]);
    expect(splitTaskRefs("ENG-4")).toEqual([{ key: "ENG-4" }]);
    expect(splitTaskRefs("nothing here")).toEqual(["nothing here"]);
    expect(splitTaskRefs("")).toEqual([]);
  });

  it("lists each key once, without the task's own", () => {
    expect(referencedKeys("ENG-1 ENG-4 ENG-4 OPS-2", "ENG-1")).toEqual(["ENG-4", "OPS-2"]);
  });
});

describe("the markdown-it plugin", () => {
  it("links references in text, emphasis, lists and headings", () => {
    const html = md.render("Blocked by ENG-4.\n\n- *ENG-5* done\n- [ ] ENG-6\n\n# About OPS-1");
    expect(html).toContain(`<p>Blocked by ${link("ENG-4")}.</p>`);
    expect(html).toContain(`<em>${link("ENG-5")}</em> done`);
    expect(html).toContain(`disabled> ${link("ENG-6")}</li>`);
    expect(html).toContain(`<h1>About ${link("OPS-1")}</h1>`);
  });

  it("leaves code spans, code blocks and links alone", () => {
    const html = md.render(
      "`ENG-4` and\n\n```\nENG-5\n```\n\n    ENG-6\n\n[see ENG-7](https://example.com/ENG-7) " +
        "<https://example.com/ENG-8> https://example.com/x/ENG-9 ENG-10",
    );
    expect(html).toContain("<code>ENG-4</code>");
    expect(html).toContain("<pre><code>ENG-5\n</code></pre>");
    expect(html).toContain("<pre><code>ENG-6\n</code></pre>");
    expect(html).toContain('<a href="https://example.com/ENG-7">see ENG-7</a>');
    expect(html).not.toContain('data-task-ref="ENG-7"');
    expect(html).not.toContain('data-task-ref="ENG-8"');
    expect(html).not.toContain('data-task-ref="ENG-9"');
    expect(html.match(/data-task-ref=/g)).toHaveLength(1);
    expect(html).toContain(link("ENG-10"));
  });

  it("links into the workspace the text belongs to", () => {
    expect(md.render("See ENG-4", { workspaceSlug: "acme" })).toContain(
      '<a href="/acme/t/ENG-4" class="task-ref" data-task-ref="ENG-4">ENG-4</a>',
    );
    expect(taskHref("ENG-4")).toBe("/t/ENG-4");
  });

  it("keeps the text around a reference escaped", () => {
    const html = md.render('<img src=x onerror="alert(1)"> ENG-4 <b>');
    expect(html).toContain(
      `&lt;img src=x onerror=&quot;alert(1)&quot;&gt; ${link("ENG-4")} &lt;b&gt;`,
    );
  });
});
