/**
 * Markdown for descriptions and comments. markdown-it runs with `html: false`, so raw HTML in
 * the text is shown as text, and its link check refuses `javascript:` and similar URLs. The
 * renderer loads on first use, so it is not part of the first page load.
 */
import { useEffect, useState } from "react";
import { taskLists } from "./taskLists";

type Render = (text: string) => string;
let renderer: Promise<Render> | null = null;

export function loadMarkdown(): Promise<Render> {
  renderer ??= import("markdown-it").then(({ default: MarkdownIt }) => {
    const md = new MarkdownIt({ html: false, linkify: true, breaks: true }).use(taskLists);
    const defaultLink =
      md.renderer.rules.link_open ??
      ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
    md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
      const token = tokens[idx];
      token?.attrSet("target", "_blank");
      token?.attrSet("rel", "noopener noreferrer nofollow");
      return defaultLink(tokens, idx, options, env, self);
    };
    return (text: string) => md.render(text);
  });
  return renderer;
}

export function Markdown({ text, className = "" }: { text: string; className?: string }) {
  const [html, setHtml] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    void loadMarkdown().then((render) => {
      if (live) setHtml(render(text));
    });
    return () => {
      live = false;
    };
  }, [text]);
  if (html === null) return <div className={`markdown plain ${className}`}>{text}</div>;
  // biome-ignore lint/security/noDangerouslySetInnerHtml: markdown-it with html disabled escapes raw HTML
  return <div className={`markdown ${className}`} dangerouslySetInnerHTML={{ __html: html }} />;
}
