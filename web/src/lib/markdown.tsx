/**
 * Markdown for descriptions and comments. markdown-it runs with `html: false`, so raw HTML in
 * the text is shown as text, and its link check refuses `javascript:` and similar URLs. The
 * renderer loads on first use, so it is not part of the first page load. Task keys (`ENG-4`)
 * become links to the task, with a preview on hover or focus (lib/taskRefs.ts).
 */
import { useEffect, useState } from "react";
import { useCurrentWorkspace } from "../features/shell/current";
import { useWorkspaceSlug } from "../features/tasks/paths";
import { useRefPreviewHost } from "../features/tasks/RefPreview";
import { taskLists } from "./taskLists";
import { type TaskRefsEnv, taskRefs } from "./taskRefs";

type Render = (text: string, env?: TaskRefsEnv) => string;
let renderer: Promise<Render> | null = null;

export function loadMarkdown(): Promise<Render> {
  renderer ??= import("markdown-it").then(({ default: MarkdownIt }) => {
    const md = new MarkdownIt({ html: false, linkify: true, breaks: true })
      .use(taskLists)
      .use(taskRefs);
    const defaultLink =
      md.renderer.rules.link_open ??
      ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
    md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
      const token = tokens[idx];
      // Links out open in a new tab; task references stay in the app.
      if (token && token.markup !== "task-ref") {
        token.attrSet("target", "_blank");
        token.attrSet("rel", "noopener noreferrer nofollow");
      }
      return defaultLink(tokens, idx, options, env, self);
    };
    return (text: string, env: TaskRefsEnv = {}) => md.render(text, env);
  });
  return renderer;
}

export function Markdown({ text, className = "" }: { text: string; className?: string }) {
  const [html, setHtml] = useState<string | null>(null);
  const refs = useRefPreviewHost();
  // Keys in the text are those of the workspace being worked in.
  const workspaceSlug = useWorkspaceSlug(useCurrentWorkspace() ?? undefined);
  useEffect(() => {
    let live = true;
    void loadMarkdown().then((render) => {
      if (live) setHtml(render(text, { workspaceSlug }));
    });
    return () => {
      live = false;
    };
  }, [text, workspaceSlug]);
  if (html === null) return <div className={`markdown plain ${className}`}>{text}</div>;
  return (
    <>
      <div
        className={`markdown ${className}`}
        // biome-ignore lint/security/noDangerouslySetInnerHtml: markdown-it with html disabled escapes raw HTML
        dangerouslySetInnerHTML={{ __html: html }}
        {...refs.handlers}
      />
      {refs.card}
    </>
  );
}
